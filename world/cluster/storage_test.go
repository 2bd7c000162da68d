package cluster_test

import (
	"context"
	"slices"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// TestBucketsHoldOnlyLiveKeys runs walkers back and forth across the border for many
// migrations, saves both zones (which settles their journals) and reads the buckets'
// streams: each holds exactly one message per live key, no delete marker, no old
// revision. Before, every settled journal key left a delete marker forever.
func TestBucketsHoldOnlyLiveKeys(t *testing.T) {
	ctx := context.Background()
	wa := walkers(t, 40, 1)
	all := ids(wa)
	_, zs := zonePair(t, wa, nil, nil)
	for range 60 {
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
	}
	settle(t, zs)
	for range 5 { // a sends b what stands in a's region; b sends it back
		require.NoError(t, zs[0].Migrate(ctx, "b", ids(zs[0].World())))
		settle(t, zs)
	}
	for range 2 { // the second save settles the outgoing entries the first kept
		for _, z := range zs {
			require.NoError(t, z.Save(ctx))
		}
	}
	moves := zs[0].Stats().MigrationsOut + zs[1].Stats().MigrationsOut
	require.Greater(t, moves, uint64(5*len(all)), "entities crossed back and forth")
	census(t, zs[0].cfg.Conn, zs, all)

	js := mustJS(t, zs[0].cfg.Conn)
	zkeys := liveKeys(t, js, cluster.ZonesBucket)
	require.Equal(t, []string{"map", "zone.a", "zone.b"}, zkeys, "every journal key is settled")
	require.Equal(t, uint64(len(zkeys)), streamMsgs(t, js, cluster.ZonesBucket), "zones bucket: one message per live key")

	dkeys := liveKeys(t, js, cluster.DirectoryBucket)
	want := make([]string, len(all))
	for i, id := range all {
		want[i] = "e." + itoa(uint64(id))
	}
	slices.Sort(want)
	slices.Sort(dkeys)
	require.Equal(t, want, dkeys, "one entry per entity, no commit record")
	require.Equal(t, uint64(len(all)), streamMsgs(t, js, cluster.DirectoryBucket), "directory: one message per entity")
}

func liveKeys(t *testing.T, js jetstream.JetStream, bucket string) []string {
	t.Helper()
	kv, err := js.KeyValue(context.Background(), bucket)
	require.NoError(t, err)
	keys, err := kv.Keys(context.Background())
	require.NoError(t, err)
	return keys
}

func streamMsgs(t *testing.T, js jetstream.JetStream, bucket string) uint64 {
	t.Helper()
	st, err := js.Stream(context.Background(), "KV_"+bucket)
	require.NoError(t, err)
	info, err := st.Info(context.Background())
	require.NoError(t, err)
	return info.State.Msgs
}
