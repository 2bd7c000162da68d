package world_test

import (
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// shortNamed says it has three resume points but is registered with two names.
type shortNamed struct{ N int }

func (f *shortNamed) Step(t *sim.T) sim.Op { return t.NextTick().Then(2) }
func (*shortNamed) ResumePoints() int      { return 3 }

func init() { persist.Register[shortNamed]("world_test.shortNamed", "start", "one") }

// TestSpawnRefusesFramesWithUnnamedResumePoints: a frame with more resume points than its
// type's registered names fails at its first step, as an unregistered one does, not at the
// first save that finds it at an unnamed resume point.
func TestSpawnRefusesFramesWithUnnamedResumePoints(t *testing.T) {
	w, err := world.New(world.Config{Logger: quiet()})
	require.NoError(t, err)
	defer w.Close()
	tk := w.Spawn(&shortNamed{})
	tick(t, w, 1)
	require.False(t, tk.Alive())
	want := `world: spawn: frame type *world_test.shortNamed could not be saved: persist: frame: type "world_test.shortNamed" ` +
		`has 3 resume points but 2 named in persist.Register (name each one there, or run stackworld gen again) ` +
		`(or set Config.UnsavedFrames for a world that is never saved)`
	require.Equal(t, []world.Failure{{Tick: 1, Tasklet: tk.ID(), Err: want}}, w.Failures())
	_, err = w.Save(world.DefaultCodec())
	require.NoError(t, err)
}
