package sim_test

import (
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
