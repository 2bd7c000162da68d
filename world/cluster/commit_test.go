package cluster_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// A target commits a batch with one record (with a 48 h TTL as a backstop); the entities
// are the target's (Owns, and free to leave) from its next step, when their own entries
// name it, and the record is gone then: the source finds the entries changed and no
// longer asks who won.
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
	require.Empty(t, records(), "the settled batch's record is removed")
	_, err = st.GetMsg(ctx, e.Revision())
	require.ErrorIs(t, err, jetstream.ErrMsgNotFound, "no marker is left in the stream")
}

// A source killed after publishing a payload takes the move back when it restarts (the
// batch's record names it); the target then refuses the payload, and removes the record
// when a save drops the payload's journal entry: the stream can no longer deliver it.
func TestTakenBackRecordGoesWithTheTargetsJournal(t *testing.T) {
	ctx := context.Background()
	wa, moving := parkedWorld(t, 3)
	killed := false
	s, zs := zonePair(t, wa, nil, func(c *cluster.Config) {
		if c.Name == "a" {
			c.Fault = func(p string) error {
				if p == "out.published" && !killed {
					killed = true
					return errors.New("killed")
				}
				return nil
			}
		}
	})
	require.ErrorIs(t, zs[0].Step(ctx), cluster.ErrZoneDead, "a dies with the payload in the stream")
	a, b := restart(t, s, zs[0]), zs[1]
	require.Equal(t, uint64(3), a.Stats().Aborted, "a took the move back")
	kv, err := mustJS(t, a.cfg.Conn).KeyValue(ctx, cluster.DirectoryBucket)
	require.NoError(t, err)
	keys, err := kv.ListKeysFiltered(ctx, "m.>")
	require.NoError(t, err)
	var recs []string
	for k := range keys.Keys() {
		recs = append(recs, k)
	}
	require.Len(t, recs, 1)
	e, err := kv.Get(ctx, recs[0])
	require.NoError(t, err)
	require.JSONEq(t, `{"zone":"a","epoch":0}`, string(e.Value()))

	for steps := 0; ; steps++ { // b refuses the payload and acks it
		require.Less(t, steps, 1000, "b never took the payload")
		require.NoError(t, b.Step(ctx))
		idle, err := b.Idle(ctx)
		require.NoError(t, err)
		if idle {
			break
		}
	}
	require.Zero(t, b.World().Len())
	_, err = kv.Get(ctx, recs[0])
	require.NoError(t, err, "the record stays while b's journal entry does")
	require.NoError(t, b.Save(ctx))
	_, err = kv.Get(ctx, recs[0])
	require.ErrorIs(t, err, jetstream.ErrKeyNotFound, "the record goes with the journal entry")
	for _, id := range moving {
		require.True(t, a.World().Alive(id), "entity %d", id)
		require.Equal(t, cluster.Owner{Zone: "a"}, owner(t, mustJS(t, a.cfg.Conn), id))
	}
}
