package world_test

import (
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// tally is a frame whose field the entity checksum never sees.
type tally struct {
	Self world.EntityID
	N    int
}

func (f *tally) Step(t *sim.T) sim.Op {
	f.N++
	return t.NextTick().Then(0)
}

var Mood = world.RegisterComponent[int]("world_test.mood")

func init() { persist.Register[tally]("world_test.tally", "tick") }

// tallyWorld is three entities driven by tallies, each with a mood.
func tallyWorld(t *testing.T) (*world.World, []*tally) {
	t.Helper()
	w := newWorld(t, world.Config{Seed: 7, Width: 64, Height: 64})
	var fs []*tally
	for i := range 3 {
		id := w.SpawnEntity(w.Kind("x"), world.Vec{X: int32(10 * i)}, func(id world.EntityID) sim.Frame {
			f := &tally{Self: id}
			fs = append(fs, f)
			return f
		})
		Mood.Set(w, id, i)
	}
	tick(t, w, 3)
	return w, fs
}

func deep(t *testing.T, w *world.World) uint64 {
	t.Helper()
	sum, err := w.DeepChecksum()
	require.NoError(t, err)
	return sum
}

func TestDeepChecksumSeesFrameFieldsAndComponents(t *testing.T) {
	a, _ := tallyWorld(t)
	b, fs := tallyWorld(t)
	require.Equal(t, a.Checksum(), b.Checksum())
	require.Equal(t, deep(t, a), deep(t, b))

	fs[1].N++ // one frame field
	require.Equal(t, a.Checksum(), b.Checksum(), "the entity checksum leaves frames out")
	require.NotEqual(t, deep(t, a), deep(t, b))
	fs[1].N--
	require.Equal(t, deep(t, a), deep(t, b))

	id := b.Entities()[2].ID
	Mood.Set(b, id, 99) // one component value
	require.Equal(t, a.Checksum(), b.Checksum(), "the entity checksum leaves components out")
	require.NotEqual(t, deep(t, a), deep(t, b))
}

func TestDeepChecksumSameSeedEveryTick(t *testing.T) {
	sc := smallScenario(t)
	a, b := scenarioWorld(t, sc, 1), scenarioWorld(t, sc, 1)
	defer a.Close()
	defer b.Close()
	var loaded *world.World
	for tk := 1; tk <= 60; tk++ {
		require.NoError(t, a.Tick())
		require.NoError(t, b.Tick())
		if loaded != nil {
			require.NoError(t, loaded.Tick())
		}
		da := deep(t, a)
		require.Equal(t, da, deep(t, b), "tick %d", tk)
		if loaded != nil {
			require.Equal(t, da, deep(t, loaded), "tick %d: the world loaded at tick 20", tk)
		}
		if tk == 20 {
			data, err := a.Save(world.DefaultCodec())
			require.NoError(t, err)
			loaded, err = world.Load(world.DefaultCodec(), data, cfgQuiet())
			require.NoError(t, err)
			defer loaded.Close()
			require.Equal(t, da, deep(t, loaded), "a loaded world has the deep checksum of its save")
		}
	}
	other := scenarioWorld(t, sc, 2)
	defer other.Close()
	tick(t, other, 60)
	require.NotEqual(t, deep(t, a), deep(t, other))
}

func TestDeepChecksumBetweenTicksOnly(t *testing.T) {
	w := newWorld(t, world.Config{})
	p := &deepProbe{}
	w.Spawn(p)
	tick(t, w, 1)
	require.EqualError(t, p.err, "world: save: called from a running tasklet; save between ticks")
}

// deepProbe asks for the deep checksum from inside a step.
type deepProbe struct{ err error }

func (f *deepProbe) Step(t *sim.T) sim.Op {
	_, f.err = world.Of(t).DeepChecksum()
	return t.Exit()
}

// TestChecksumSeesEveryBitOfTheIds: two worlds whose only difference is one bit of an
// entity's tasklet id, or of its own id, past bit 32 have different checksums (tasklet ids
// are 48-bit and entity ids carry their zone in the high bits).
func TestChecksumSeesEveryBitOfTheIds(t *testing.T) {
	const tasklet = sim.ID(1<<40 | 7)
	base := world.ChecksumOfEntityForTest(world.Entity{ID: 5, Tasklet: tasklet})
	for bit := 32; bit < 48; bit++ {
		other := world.ChecksumOfEntityForTest(world.Entity{ID: 5, Tasklet: tasklet ^ 1<<bit})
		require.NotEqual(t, base, other, "tasklet id bit %d", bit)
	}
	for bit := 32; bit < 64; bit++ {
		other := world.ChecksumOfEntityForTest(world.Entity{ID: 5 ^ 1<<bit, Tasklet: tasklet})
		require.NotEqual(t, base, other, "entity id bit %d", bit)
	}
}
