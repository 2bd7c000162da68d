package persist_test

import (
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// threeStep has three resume points and says so; the types below are registered with
// every name, with one name short, and with none.
type (
	threeStep    struct{ N int }
	threeNamed   struct{ N int }
	twoNamed     struct{ N int }
	threeUnnamed struct{ N int }
)

// stepThree runs through resume points 0, 1 and 2, one per turn.
func stepThree(t *sim.T) sim.Op {
	if t.At() < 2 {
		return t.Schedule().Then(t.At() + 1)
	}
	return t.Exit()
}

func (*threeStep) Step(t *sim.T) sim.Op    { return stepThree(t) }
func (*threeNamed) Step(t *sim.T) sim.Op   { return stepThree(t) }
func (*twoNamed) Step(t *sim.T) sim.Op     { return stepThree(t) }
func (*threeUnnamed) Step(t *sim.T) sim.Op { return stepThree(t) }

func (*threeStep) ResumePoints() int    { return 3 }
func (*threeNamed) ResumePoints() int   { return 3 }
func (*twoNamed) ResumePoints() int     { return 3 }
func (*threeUnnamed) ResumePoints() int { return 3 }

func init() {
	persist.Register[threeNamed]("ptest.threeNamed", "start", "one", "two")
	persist.Register[twoNamed]("ptest.twoNamed", "start", "one")
	persist.Register[threeUnnamed]("ptest.threeUnnamed")
}

// TestCheckFrameCountsResumePoints: a ResumePointCounter with more resume points than its
// type's registered names is refused by CheckFrame, before any save; a type registered
// without names is not checked, as Save does not check it; an unregistered type is refused
// as before. The check allocates nothing.
func TestCheckFrameCountsResumePoints(t *testing.T) {
	require.NoError(t, persist.CheckFrame(&threeNamed{}))
	require.NoError(t, persist.CheckFrame(&threeUnnamed{}))
	err := persist.CheckFrame(&twoNamed{})
	require.EqualError(t, err, `persist: frame: type "ptest.twoNamed" has 3 resume points but 2 named in persist.Register `+
		`(name each one there, or run stackworld gen again)`)
	require.ErrorIs(t, err, persist.ErrLayout)
	require.EqualError(t, persist.CheckFrame(&threeStep{}), `persist: frame: not registered: type *persist_test.threeStep `+
		`(persist.Register[persist_test.threeStep]("name"))`)

	// What CheckFrame prevents: the first save that finds the frame at its last resume point.
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	s.Spawn(&twoNamed{})
	require.NoError(t, s.Main().Schedule().Wait())
	require.NoError(t, s.Main().Schedule().Wait())
	_, _, err = codec(t).Save(s)
	require.ErrorContains(t, err, "resume point 2 has no name (2 registered; name every resume point)")

	f := sim.Frame(&threeNamed{})
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = persist.CheckFrame(f) }))
}
