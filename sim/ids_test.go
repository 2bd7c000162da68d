package sim_test

import (
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// pingPong hands N values back and forth with its partner over two channels, then yields.
type pingPong struct {
	In, Out sim.Chan[int]
	N, Got  int
	First   bool
}

func (f *pingPong) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		if f.First {
			return f.Out.Send(t, f.N).Then(1)
		}
		return f.In.Recv(t).Then(2)
	case 1:
		return f.In.Recv(t).Then(2)
	case 2:
		f.Got++
		if f.Got == f.N {
			return t.Schedule().Then(3)
		}
		return f.Out.Send(t, f.Got).Then(1)
	}
	return t.Return()
}

// TestTaskletIDsCrossTwoToThe32: ids run on past 2^32 (they once wrapped to 0, then to
// main's id 1), skipping the one whose low 32 bits are zero; tasklets on both sides of the
// boundary hand values over on the fast paths, the invariants hold (no two tasklets share
// an id), and a snapshot restores with the same ids and next id.
func TestTaskletIDsCrossTwoToThe32(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	sim.SetNextIDForTest(s, 1<<32-2)
	a, b := sim.NewChan[int](s), sim.NewChan[int](s)
	var ids []sim.ID
	for i := range 4 {
		f := &pingPong{In: a, Out: b, N: 50, First: i%2 == 0}
		if i%2 == 1 {
			f.In, f.Out = b, a
		}
		ids = append(ids, s.Spawn(f).ID())
	}
	require.Equal(t, []sim.ID{1<<32 - 2, 1<<32 - 1, 1<<32 + 1, 1<<32 + 2}, ids)
	require.NoError(t, s.CheckInvariants())
	require.NoError(t, s.Schedule())
	require.NoError(t, s.CheckInvariants())

	img, _, err := s.Snapshot(sim.SnapshotOptions{})
	require.NoError(t, err)
	require.Equal(t, sim.ID(1<<32+3), img.NextID)
	r := sim.NewScheduler(sim.Options{})
	require.NoError(t, r.Restore(img, sim.RestoreOptions{}))
	var got []sim.ID
	r.Each(func(t *sim.Tasklet) bool {
		if !t.IsMain() {
			got = append(got, t.ID())
		}
		return true
	})
	require.ElementsMatch(t, ids, got)
	require.Equal(t, sim.ID(1<<32+3), r.Spawn(returner{}).ID(), "a loaded scheduler issues the ids the saved one would have")
	require.NoError(t, r.CheckInvariants())
	require.NoError(t, r.Run())
}

// TestTaskletIDsEndAtMaxID: MaxID is issued; the spawn after it panics with a clear
// message instead of wrapping.
func TestTaskletIDsEndAtMaxID(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	sim.SetNextIDForTest(s, sim.MaxID)
	require.Equal(t, sim.MaxID, s.Spawn(returner{}).ID())
	require.PanicsWithError(t, "sim: tasklet ids exhausted (MaxID)", func() { s.Spawn(returner{}) })
}

// TestRestoreRefusesIDsNeverIssued: ids above MaxID or with zero low 32 bits are refused.
func TestRestoreRefusesIDsNeverIssued(t *testing.T) {
	for _, tc := range []struct {
		img  sim.Image
		want string
	}{
		{sim.Image{NextID: sim.MaxID + 2, NextChan: 1}, "sim: restore: next ids 281474976710657/1 out of range"},
		{sim.Image{NextID: 1<<32 + 5, NextChan: 1, Tasklets: []sim.TaskletState{{ID: 1 << 32, State: sim.StatePaused, FrameCount: 1}},
			Frames: []sim.FrameState{{Frame: &pingPong{}}}}, "sim: restore: tasklet 4294967296: an id whose low 32 bits are zero is never issued"},
	} {
		err := sim.NewScheduler(sim.Options{}).Restore(&tc.img, sim.RestoreOptions{})
		require.EqualError(t, err, tc.want)
	}
}

// TestTickBudgetAboveMax: a budget above MaxTickBudget acts as MaxTickBudget (a tasklet
// counts its steps in 16 bits).
func TestTickBudgetAboveMax(t *testing.T) {
	s := sim.NewScheduler(sim.Options{TickBudget: 1 << 20})
	require.Equal(t, uint32(1<<20), s.Options().TickBudget)
	f := &looper{}
	s.Spawn(f)
	require.NoError(t, s.Tick())
	require.Equal(t, sim.MaxTickBudget, f.N)
	require.Equal(t, uint64(1), s.Stats().Preempted)
}

// looper loops with Goto forever, counting its steps.
type looper struct{ N int }

func (f *looper) Step(t *sim.T) sim.Op {
	f.N++
	return t.Goto(0)
}

// returner returns at once.
type returner struct{}

func (returner) Step(t *sim.T) sim.Op { return t.Return() }
