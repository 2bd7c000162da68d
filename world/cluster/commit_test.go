package cluster_test

import (
	"context"
	"testing"

	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// A target commits a batch with one record, kept 48 h; the entities are the target's
// (Owns, and free to leave) from its next step, when their own entries name it.
func TestCommitRecordThenEntries(t *testing.T) {
	ctx := context.Background()
	wa, moving := parkedWorld(t, 3)
	_, zs := zonePair(t, wa, nil, nil)
	a, b := zs[0], zs[1]
	wb := b.World()
	js := mustJS(t, a.cfg.Conn)
	kv, err := js.KeyValue(ctx, cluster.DirectoryBucket)
	require.NoError(t, err)
	records := func() []string {
		l, err := kv.ListKeysFiltered(ctx, "m.>")
		require.NoError(t, err)
		var keys []string
		for k := range l.Keys() {
			keys = append(keys, k)
		}
		return keys
	}

	require.NoError(t, a.Migrate(ctx, "b", moving))
	require.Empty(t, records(), "no record before the target commits")
	// b takes the payload in at the step whose fetch sees it: the stream has it stored when
	// Migrate returns, but b's consumer may learn of it a step later (FetchNoWait).
	for steps := 0; wb.Len() == 0; steps++ {
		require.Less(t, steps, 1000, "b never took the payload in")
		require.NoError(t, b.Step(ctx))
	}
	require.Equal(t, 3, wb.Len())
	keys := records()
	require.Len(t, keys, 1)
	e, err := kv.Get(ctx, keys[0])
	require.NoError(t, err)
	require.JSONEq(t, `{"zone":"b","epoch":0}`, string(e.Value()))
	st, err := js.Stream(ctx, "KV_"+cluster.DirectoryBucket)
	require.NoError(t, err)
	m, err := st.GetMsg(ctx, e.Revision())
	require.NoError(t, err)
	require.Equal(t, "48h0m0s", m.Header.Get("Nats-TTL"), "the record's TTL")
	for _, id := range moving { // its entry is on its way (being written, or written)
		require.False(t, b.Owns(id), "entity %d is b's once b has the answer, at its next step", id)
	}

	require.NoError(t, b.Step(ctx))
	for _, id := range moving {
		require.Equal(t, cluster.Owner{Zone: "b", Epoch: 1}, owner(t, js, id))
		require.True(t, b.Owns(id))
	}
}
