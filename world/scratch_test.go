package world_test

import (
	"testing"

	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// crowdWorld is n entities on a 256×256 map that all see each other (radius 400).
func crowdWorld(t *testing.T, n int, capN int32) (*world.World, []world.EntityID) {
	t.Helper()
	w := newWorld(t, world.Config{Seed: 3, Width: 256, Height: 256, InterestCap: capN})
	k := w.Kind("x")
	ids := make([]world.EntityID, n)
	for i := range ids {
		ids[i] = w.NewEntity(k, world.Vec{X: int32(i % 256), Y: int32(i / 256 * 7 % 256)})
		w.SetInterest(ids[i], 400, world.Mailbox[world.AoIEvent]{})
	}
	return w, ids
}

// TestScratchFollowsWhatIsAlive: a crowd's first tick (an enter event per pair of its
// 500 entities) grows the world's buffers; once all but 10 have despawned, two windows
// of ticks later every buffer is back to what 10 entities need. It once kept the peak
// forever (the events alone: 500 × 499 × 40 bytes).
func TestScratchFollowsWhatIsAlive(t *testing.T) {
	for _, capN := range []int32{0, 64} {
		w, ids := crowdWorld(t, 500, capN)
		tick(t, w, 1)
		peak := world.ScratchCaps(w)
		if capN == 0 {
			require.GreaterOrEqual(t, peak["events"], 500*499)
		}
		seen := 499
		if capN > 0 {
			seen = int(capN)
		}
		require.GreaterOrEqual(t, peak["sets"], 500*seen)
		for _, id := range ids[10:] {
			require.True(t, w.Despawn(id))
		}
		tick(t, w, 3*64)
		for name, c := range world.ScratchCaps(w) { // determinism: checks, in any order
			limit := 256 + 4*2*10 // trimMinCap + trimSlack × the movers' need
			if name == "sets" {
				limit = 10 * 4 * (256 + 4*10)
			}
			require.LessOrEqual(t, c, limit, "cap %d: %s", capN, name)
		}
		require.Len(t, w.Visible(ids[0]), 9)
	}
}

// TestScratchSteadyTicksAllocateNothing: a world whose entities keep moving (and crossing
// each other's areas of interest) allocates nothing per tick once its buffers have grown,
// trims included.
func TestScratchSteadyTicksAllocateNothing(t *testing.T) {
	w, ids := crowdWorld(t, 300, 0)
	for i, id := range ids {
		w.SetInterest(id, 40, world.Mailbox[world.AoIEvent]{})
		w.SetVel(id, world.Vec{X: int32(i%3 - 1), Y: int32(i%5 - 2)})
	}
	bounce := func() {
		for _, e := range w.Entities() {
			if e.Pos.X <= 0 || e.Pos.X >= 255 || e.Pos.Y <= 0 || e.Pos.Y >= 255 {
				w.SetVel(e.ID, world.Vec{X: -e.Vel.X, Y: -e.Vel.Y})
			}
		}
	}
	for range 4 * 64 {
		bounce()
		tick(t, w, 1)
	}
	events := 0
	allocs := testing.AllocsPerRun(2*64, func() {
		bounce()
		require.NoError(t, w.Tick())
		events += len(w.Events())
	})
	require.Zero(t, allocs)
	require.Greater(t, events, 1000, "the entities cross each other's areas")
}

// BenchmarkTick runs the small scenario (assets/scenarios/small.json) one tick per
// iteration after 200 ticks of warm-up (runs of 64 ticks or more cross a trim).
func BenchmarkTick(b *testing.B) {
	b.Run("scenario=small", func(b *testing.B) {
		w := scenarioWorld(b, smallScenario(b), 1)
		defer w.Close()
		for range 200 {
			if err := w.Tick(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := w.Tick(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(w.Len()), "entities")
	})
}
