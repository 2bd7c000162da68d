package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// Zones on world/server trim as zones stepped by hand do: the server's autosaves (copied
// at a boundary, written later) settle the journals and trim the streams, so that after
// the run the directory holds one entry per entity and no commit record, and the payload
// and mail streams hold only what came after the last save.
func TestZonesOnTheRuntimeHoldOnlyWhatIsAlive(t *testing.T) {
	ctx := context.Background()
	wa := walkers(t, 30, 5)
	all := ids(wa)
	for _, id := range all {
		world.NewMailbox[string](wa, id, "inbox")
	}
	_, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.AckWait = 250 * time.Millisecond })
	done := make([]chan error, 2)
	for i, z := range zs {
		srv, err := z.NewServer(server.Options{Ticks: 60, SaveEvery: 3, EndTick: func(_ context.Context, w *world.World) error {
			if es := w.Entities(); len(es) > 0 && w.Now()%2 == 0 {
				return z.Send(es[0].ID, all[int(w.Now())%len(all)], "inbox", "hi")
			}
			return nil
		}})
		require.NoError(t, err)
		done[i] = make(chan error, 1)
		go func() { done[i] <- srv.Run(ctx) }()
	}
	for _, d := range done {
		require.NoError(t, <-d)
	}
	js := mustJS(t, zs[0].cfg.Conn)
	for _, z := range zs {
		require.Zero(t, cluster.SaveMarks(z.Zone), "zone %s: every save the gate let through was written and trimmed after", z.Name())
	}
	for _, name := range []string{cluster.MigrationStream, cluster.MailStream} {
		first := streamInfo(t, js, name).State.FirstSeq
		require.Greater(t, first, uint64(1), "%s: the autosaves trimmed it", name)
	}
	settle(t, zs)
	census(t, zs[0].cfg.Conn, zs, all)
	require.Positive(t, zs[0].Stats().MigrationsOut+zs[1].Stats().MigrationsOut)
	require.Positive(t, zs[0].Stats().MailIn+zs[1].Stats().MailIn)
	for range 2 {
		for _, z := range zs {
			require.NoError(t, z.Save(ctx))
		}
	}
	require.Equal(t, uint64(len(all)), streamMsgs(t, js, cluster.DirectoryBucket), "one entry per entity, no commit record")
	require.Zero(t, streamInfo(t, js, cluster.MigrationStream).State.Msgs)
	require.Zero(t, streamInfo(t, js, cluster.MailStream).State.Msgs)
}
