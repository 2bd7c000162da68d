package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// A zone's mail subject that is full refuses letters: the sender logs it once, counts each
// refusal, keeps the letters and publishes them again at each tick; once the receiving
// zone has taken its letters in and saved (which trims the stream), they go, in order,
// and nothing is lost.
func TestFullMailStreamRefusesAndKeeps(t *testing.T) {
	t.Cleanup(cluster.SetMailLimit(3))
	ctx := context.Background()
	wa, wb, sender, receiver, _ := letterPair(t)
	var logs bytes.Buffer
	_, zs := zonePair(t, wa, wb, func(c *cluster.Config) {
		if c.Name == "a" {
			c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		}
	})
	a, b := zs[0], zs[1]
	js := mustJS(t, a.cfg.Conn)
	var want []any
	for i := 1; i <= 5; i++ {
		want = append(want, fmt.Sprintf("m%d", i))
		require.NoError(t, a.Send(sender, receiver, "inbox", want[i-1]))
	}
	require.NoError(t, a.Step(ctx)) // b does not step: its subject takes 3
	require.NoError(t, a.Step(ctx))
	require.Equal(t, uint64(3), streamInfo(t, js, cluster.MailStream).State.Msgs)
	require.Equal(t, uint64(2), a.Stats().StreamFull, "the fourth letter refused at each step")
	require.Equal(t, 1, strings.Count(logs.String(), "stream full"), "logged once:\n%s", logs.String())
	require.Contains(t, logs.String(), `level=ERROR msg="cluster: stream full: message refused, kept and published again at each tick" zone=a stream=stackworld_mail subject=stackworld.mail.b reason="maximum messages per subject exceeded" fix="the zone reading stackworld.mail.b has not taken its messages in: start it, or raise the stream's limits (nats stream edit stackworld_mail)"`)

	require.NoError(t, b.Step(ctx)) // b posts m1-m3, and its save trims them
	require.NoError(t, b.Save(ctx))
	require.Zero(t, streamInfo(t, js, cluster.MailStream).State.Msgs)
	settle(t, zs)
	require.Equal(t, want, inbox(zs, receiver))
	require.Contains(t, logs.String(), "stream takes messages again")
	require.Equal(t, uint64(2), a.Stats().StreamFull)
}

// LockStep zones trim the lock-step mail stream below the first letter any zone's last
// written save may need: zone b, killed after round 20 and restarted from its save of
// round 10, posts again the letters it had posted since, and in the end every receiver
// has each letter of a once, in order, and the stream holds none.
func TestLockStepMailTrimKeepsWhatARestartNeeds(t *testing.T) {
	ctx := context.Background()
	wa := walkers(t, 40, 9)
	receivers := ids(wa)[:6]
	for _, id := range receivers {
		world.NewMailbox[string](wa, id, "inbox")
	}
	s, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.LockStep, c.AckWait = true, 250*time.Millisecond })
	js := mustJS(t, zs[0].cfg.Conn)
	var want []any
	for round := 1; round <= 30; round++ {
		from := slices.Min(ids(zs[0].World()))
		want = append(want, fmt.Sprintf("a%d", round))
		for _, to := range receivers {
			require.NoError(t, zs[0].Send(from, to, "inbox", want[len(want)-1]))
		}
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
		switch round {
		case 10:
			for _, z := range zs {
				require.NoError(t, z.Save(ctx))
			}
		case 15: // a trims below what b's save of round 10 may need, not below its own
			require.NoError(t, zs[0].Save(ctx))
		case 20:
			zs[1] = restart(t, s, zs[1])
			for zs[1].World().Now() < zs[0].World().Now() {
				require.NoError(t, zs[1].Step(ctx))
			}
		}
	}
	settle(t, zs)
	for range 2 {
		for _, z := range zs {
			require.NoError(t, z.Save(ctx))
		}
	}
	require.Positive(t, zs[0].Stats().MigrationsOut+zs[1].Stats().MigrationsOut)
	for _, id := range receivers {
		require.Equal(t, want, inbox(zs, id), "entity %d", id)
	}
	info := streamInfo(t, js, cluster.LockStepMailStream)
	require.Equal(t, uint64(30*len(receivers)), info.State.LastSeq, "letters sent")
	require.Zero(t, info.State.Msgs, "letters left in the stream")
}

// A zone's payload subject that is full refuses a payload: the source keeps it (in
// flight: no save), logs it once, exports nothing more to that zone, and publishes it
// again at each tick until the target has taken its payloads in and saved.
func TestFullMigrationStreamRefusesAndKeeps(t *testing.T) {
	t.Cleanup(cluster.SetMigrationLimit(1))
	ctx := context.Background()
	wa, all := parkedWorld(t, 6) // standing in b's region
	var logs bytes.Buffer
	_, zs := zonePair(t, wa, nil, func(c *cluster.Config) {
		if c.Name == "a" {
			c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		}
	})
	a, b := zs[0], zs[1]
	js := mustJS(t, a.cfg.Conn)
	require.NoError(t, a.Migrate(ctx, "b", all[:2]))
	require.NoError(t, a.Migrate(ctx, "b", all[2:4])) // refused: kept
	require.Equal(t, 2, a.Stats().InFlight)
	require.ErrorIs(t, a.Save(ctx), cluster.ErrInFlight)
	require.NoError(t, a.Step(ctx)) // sends again; exports nothing more to b
	require.Equal(t, 2, a.World().Len())
	require.Equal(t, uint64(1), streamInfo(t, js, cluster.MigrationStream).State.Msgs)
	require.Equal(t, uint64(3), a.Stats().StreamFull, "refused at Migrate, at Save and at the step, each publishing it again")
	require.Equal(t, 1, strings.Count(logs.String(), "stream full"), "logged once:\n%s", logs.String())
	require.Contains(t, logs.String(), `stream=stackworld_migrations subject=stackworld.migrate.b reason="maximum messages per subject exceeded"`)

	for b.World().Len() < 2 {
		require.NoError(t, b.Step(ctx))
	}
	require.NoError(t, b.Step(ctx)) // the entries settle
	require.NoError(t, b.Save(ctx)) // trims what it took in
	// One payload fits: each waits for b's save after it is taken in.
	deadline := time.Now().Add(10 * time.Second)
	for a.World().Len() > 0 || a.Stats().InFlight > 0 {
		require.True(t, time.Now().Before(deadline), "a: %+v", a.Stats())
		require.NoError(t, a.Step(ctx))
		require.NoError(t, b.Step(ctx))
		if err := b.Save(ctx); !errors.Is(err, cluster.ErrInFlight) {
			require.NoError(t, err)
		}
	}
	settle(t, zs)
	require.Equal(t, 0, a.World().Len())
	require.Equal(t, 6, b.World().Len())
	for _, id := range all {
		require.Equal(t, cluster.Owner{Zone: "b", Epoch: 1}, owner(t, js, id))
	}
	require.Contains(t, logs.String(), "stream takes messages again")
	for _, z := range zs {
		require.NoError(t, z.Save(ctx))
	}
	require.Zero(t, streamInfo(t, js, cluster.MigrationStream).State.Msgs)
}
