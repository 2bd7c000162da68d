package sim_test

import (
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// freezeLog is a Freezer that records its thaws; every tasklet it was given is frozen.
type freezeLog struct {
	started map[*sim.Tasklet]bool // frozen tasklets: started when frozen
	thawed  []sim.ID
}

func (f *freezeLog) Frozen(t *sim.Tasklet) (frozen, started bool) {
	started, frozen = f.started[t]
	return frozen, started
}

func (f *freezeLog) Thaw(t *sim.Tasklet) (frozen, started bool) {
	if frozen, started = f.Frozen(t); frozen {
		delete(f.started, t)
		f.thawed = append(f.thawed, t.ID())
	}
	return frozen, started
}

// TestFreezeThawsBeforeTheFirstStep freezes a started and a fresh tasklet: each is thawed
// once, before its next step, in the order they step; while frozen, Started and Saved
// report what they did before the freeze.
func TestFreezeThawsBeforeTheFirstStep(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	a := s.Spawn(&countdown{Name: "A", N: 3})
	c := s.Spawn(&countdown{Name: "C", N: 5})
	require.NoError(t, s.Main().Schedule().Wait()) // A and C have started
	b := s.Spawn(&countdown{Name: "B", N: 1})
	require.NoError(t, c.Remove())
	f := &freezeLog{started: map[*sim.Tasklet]bool{a: true, b: false, c: true}}
	s.Freeze(f)
	require.True(t, a.Started())
	require.False(t, b.Started())
	require.NotZero(t, a.Saved().Flags&sim.FlagStarted)
	require.Zero(t, b.Saved().Flags&sim.FlagStarted)

	require.NoError(t, s.Main().Schedule().Wait())
	require.Equal(t, []sim.ID{a.ID(), b.ID()}, f.thawed, "thawed as they step")
	require.NoError(t, s.Run())
	require.Equal(t, []sim.ID{a.ID(), b.ID()}, f.thawed, "thawed once each")
	require.True(t, c.Started(), "C, removed, stays frozen")
	s.ThawAll()
	require.Equal(t, []sim.ID{a.ID(), b.ID(), c.ID()}, f.thawed)
	require.True(t, c.Started())
	require.NoError(t, s.CheckInvariants())
}

// TestFreezeWalkVisitsBetweenTheFreezes freezes three tasklets, then walks them with a
// second Freezer: each is visited in Each's order, after the first Freezer thawed it and
// while it still reports what it did before, and the second Freezer answers only after
// the walk.
func TestFreezeWalkVisitsBetweenTheFreezes(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	a := s.Spawn(&countdown{Name: "A", N: 3})
	c := s.Spawn(&countdown{Name: "C", N: 5})
	require.NoError(t, s.Main().Schedule().Wait()) // A and C have started
	b := s.Spawn(&countdown{Name: "B", N: 1})
	require.NoError(t, c.Remove())
	f1 := &freezeLog{started: map[*sim.Tasklet]bool{a: true, b: false, c: true}}
	s.Freeze(f1)
	var log []string
	f2 := &freezeLog{started: map[*sim.Tasklet]bool{a: true, b: false, c: true}}
	s.FreezeWalk(f2, func(t *sim.Tasklet) {
		log = append(log, fmt.Sprintf("%s started=%v thawed=%d", t, t.Started(), len(f1.thawed)))
	})
	want := []string{ // Each's order: the ring (main first), then the paused C
		"tasklet 1 (main, runnable) started=true thawed=0",
		"tasklet 2 (soft, runnable) started=true thawed=1",
		"tasklet 4 (soft, runnable) started=false thawed=2",
		"tasklet 3 (soft, paused) started=true thawed=3",
	}
	require.Equal(t, want, log)
	require.Len(t, f1.thawed, 3)
	require.NoError(t, s.Main().Schedule().Wait())
	require.Equal(t, []sim.ID{a.ID(), b.ID()}, f2.thawed, "f2 thaws them as they step")
	s.ThawAll()
	require.NoError(t, s.CheckInvariants())
}
