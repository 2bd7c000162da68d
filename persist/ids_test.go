package persist_test

import (
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// TestTaskletIDsPastTwoToThe32 saves and loads a scheduler whose tasklet ids have run past
// 2^32 (where sim.ID once wrapped): the ids and the next id survive, save → load → save is
// byte-identical, and the loaded scheduler spawns the id the saved one would have.
func TestTaskletIDsPastTwoToThe32(t *testing.T) {
	const first = 1<<32 - 1
	img := &sim.Image{NextID: first + 3, NextChan: 1,
		Tasklets: []sim.TaskletState{
			{ID: first, State: sim.StateRunnable, FrameStart: 0, FrameCount: 1},
			{ID: first + 2, State: sim.StateRunnable, FrameStart: 1, FrameCount: 1}},
		Frames: []sim.FrameState{{Frame: &Sleeper{Name: "low", Ticks: 1, N: 1}}, {Frame: &Sleeper{Name: "high", Ticks: 2, N: 1}}}}
	s := sim.NewScheduler(sim.Options{})
	require.NoError(t, s.Restore(img, sim.RestoreOptions{}))
	c := codec(t)
	data := save(t, c, s)
	loaded, _ := load(t, c, data, sim.RestoreOptions{})
	require.Equal(t, data, save(t, c, loaded))
	var ids []sim.ID
	loaded.Each(func(t *sim.Tasklet) bool {
		ids = append(ids, t.ID())
		return true
	})
	require.Equal(t, []sim.ID{1, first, first + 2}, ids)
	require.Equal(t, sim.ID(first+3), loaded.Spawn(&Sleeper{}).ID())
	require.NoError(t, loaded.CheckInvariants())
}
