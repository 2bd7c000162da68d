package cluster_test

import (
	"context"
	"slices"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// TestBucketsHoldOnlyLiveKeys runs walkers back and forth across the border for many
// migrations, with letters between them, saves both zones (which settles their journals
// and trims the streams) and reads the buckets' streams: each holds exactly one message
// per live key, no delete marker, no old revision, no commit record; and the payload and
// mail streams hold nothing. Before, every settled journal key left a delete marker
// forever, commit records stayed 48 h and payloads and letters 24 h.
func TestBucketsHoldOnlyLiveKeys(t *testing.T) {
	ctx := context.Background()
	wa := walkers(t, 40, 1)
	all := ids(wa)
	for _, id := range all {
		world.NewMailbox[string](wa, id, "inbox")
	}
	_, zs := zonePair(t, wa, nil, nil)
	sent := 0
	for i := range 60 {
		for _, z := range zs {
			if es := z.World().Entities(); len(es) > 0 {
				require.NoError(t, z.Send(es[0].ID, all[(i*7)%len(all)], "inbox", "hi"))
				sent++
			}
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

	t.Logf("%d entities moved, %d payloads, %d letters; streams: zones %d, directory %d, payloads %d, letters %d",
		moves, streamInfo(t, js, cluster.MigrationStream).State.LastSeq, sent, streamMsgs(t, js, cluster.ZonesBucket),
		streamMsgs(t, js, cluster.DirectoryBucket), streamInfo(t, js, cluster.MigrationStream).State.Msgs,
		streamInfo(t, js, cluster.MailStream).State.Msgs)
	require.Equal(t, uint64(sent), zs[0].Stats().MailIn+zs[1].Stats().MailIn, "every letter posted once")
	require.Zero(t, streamInfo(t, js, cluster.MigrationStream).State.Msgs, "payloads: all taken in and saved")
	require.Zero(t, streamInfo(t, js, cluster.MailStream).State.Msgs, "letters: all posted and saved")
}

func streamInfo(t *testing.T, js jetstream.JetStream, name string) *jetstream.StreamInfo {
	t.Helper()
	st, err := js.Stream(context.Background(), name)
	require.NoError(t, err)
	info, err := st.Info(context.Background())
	require.NoError(t, err)
	return info
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
