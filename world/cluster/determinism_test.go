package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// Two LockStep zones stepped in turn (one tick each) with the same seed give the same deep
// checksum per zone at every tick on every rerun, whichever zone steps first in a round:
// migrations, mail between moving entities, and a restart of zone b from its save at
// round 15 after round 25 (b then steps alone to a's tick, and the rounds go on).
func TestLockStepZonesRepeat(t *testing.T) {
	want := lockStepRun(t, []int{0, 1})
	for k := range 4 {
		order := []int{0, 1}
		if k%2 == 1 {
			order = []int{1, 0}
		}
		require.Equal(t, want, lockStepRun(t, order), "run %d, zones stepped in order %v", k+2, order)
	}
}

const (
	lockStepRounds = 40
	saveRound      = 15 // both zones save after this round
	killRound      = 25 // b dies after this round and restarts from its save
)

// lockStepRun runs the zones in lock-step and returns their deep checksums after each
// round, then b's during its catch-up after the restart, then the mail each receiver has.
func lockStepRun(t *testing.T, order []int) []string {
	ctx := context.Background()
	wa := walkers(t, 40, 9)
	receivers := ids(wa)[:6]
	for _, id := range receivers {
		world.NewMailbox[string](wa, id, "inbox")
	}
	s, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.LockStep, c.AckWait = true, 250*time.Millisecond })
	sum := func(z *zone) string {
		c, err := z.World().DeepChecksum()
		require.NoError(t, err)
		return fmt.Sprintf("%s@%d:%x", z.Name(), z.World().Now(), c)
	}
	var rows []string
	for round := 1; round <= lockStepRounds; round++ {
		for _, i := range order {
			sendRound(t, zs[i], receivers, round)
			require.NoError(t, zs[i].Step(ctx))
		}
		rows = append(rows, sum(zs[0])+" "+sum(zs[1]))
		switch round {
		case saveRound:
			for _, z := range zs {
				require.NoError(t, z.Save(ctx))
			}
		case killRound: // kill -9 of b: its memory is gone; it restarts from its save
			zs[1] = restart(t, s, zs[1])
			rows = append(rows, "restarted "+sum(zs[1]))
			for zs[1].World().Now() < zs[0].World().Now() {
				require.NoError(t, zs[1].Step(ctx))
				rows = append(rows, "catch-up "+sum(zs[1]))
			}
		}
	}
	require.Positive(t, zs[0].Stats().MigrationsOut)
	mail := 0
	for _, id := range receivers {
		got := inbox(zs, id)
		mail += len(got)
		rows = append(rows, fmt.Sprintf("entity %d: %v", id, got))
	}
	require.Greater(t, mail, 100, "letters posted")
	return rows
}

// sendRound sends a letter from the lowest-numbered entity of zone z (if it has one) to
// each receiver.
func sendRound(t *testing.T, z *zone, receivers []world.EntityID, round int) {
	t.Helper()
	own := ids(z.World())
	if len(own) == 0 {
		return
	}
	from := slices.Min(own)
	for _, to := range receivers {
		require.NoError(t, z.Send(from, to, "inbox", fmt.Sprintf("%s%d", z.Name(), round)))
	}
}
