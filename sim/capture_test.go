package sim_test

import (
	"errors"
	"maps"
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

// TestFreezeTableRecordsWhatSnapshotSaves freezes a scheduler holding every kind of
// tasklet (runnable started and fresh, deep in calls, blocked sending and receiving, with
// a receive deadline, sleeping, paused, with a pending error and a value in transit, a
// hard one) for a first Freezer, then records it with FreezeTable for a second: once
// CopyFrames has filled the frames, the table is Snapshot's image (the hard tasklet left
// out and listed), the first Freezer thawed every soft tasklet, each exactly once, in the
// table's order, and the second answers after the walk.
func TestFreezeTableRecordsWhatSnapshotSaves(t *testing.T) {
	s, l := newProgram(t)
	ch, timed, out := sim.NewChan[string](s), sim.NewChan[string](s), sim.NewChan[string](s)
	s.Spawn(&receiver{l: l, name: "r", Ch: ch})
	s.Spawn(&timedReceiver{l: l, Ch: timed, Ticks: 7})
	s.Spawn(&sleeper{l: l, Name: "z", Ticks: 4})
	deep := s.Spawn(&rec{log: l, N: 3})
	hard := s.SpawnHard(func(h *sim.Tasklet) error {
		for {
			if err := h.Schedule().Wait(); err != nil {
				return err
			}
		}
	})
	require.NoError(t, s.Main().Schedule().Wait())
	s.Spawn(&countdown{Name: "fresh", N: 2})
	s.Spawn(&sender{l: l, name: "s", Ch: out, V: "late"}).SetAtomic(true)
	thrown := s.Spawn(&sleeper{l: l, Name: "thrown", Ticks: 1})
	require.NoError(t, s.Main().Schedule().Wait()) // the sender blocks, the receiver with the deadline waits on
	require.NoError(t, thrown.ThrowPending(errors.New("boom")))
	require.NoError(t, deep.Remove())

	want, omitted, err := s.Snapshot(sim.SnapshotOptions{OmitHard: true})
	require.NoError(t, err)
	require.Equal(t, []sim.ID{hard.ID()}, omitted)
	all := map[*sim.Tasklet]bool{}
	s.Each(func(tk *sim.Tasklet) bool {
		if tk.Kind() == sim.Soft {
			all[tk] = tk.Started()
		}
		return true
	})
	f1 := &freezeLog{started: maps.Clone(all)}
	s.Freeze(f1)
	f2 := &freezeLog{started: maps.Clone(all)}
	var ft sim.FrozenTable
	s.FreezeTable(f2, &ft)
	for i := range ft.Tasklets {
		ft.CopyFrames(i, func(f sim.Frame) sim.Frame { return f })
	}
	require.Same(t, f2, s.Freezer())
	require.Equal(t, []*sim.Tasklet{hard}, ft.Hard)
	got := ft.Table
	require.Equal(t, want.Tick, got.Tick)
	require.Equal(t, want.NextID, got.NextID)
	require.Equal(t, want.Frames, got.Frames)
	require.Equal(t, want.Channels, got.Channels)
	require.Equal(t, want.Timers, got.Timers)
	require.Len(t, got.Tasklets, len(want.Tasklets))
	var ids []sim.ID
	for i, ts := range want.Tasklets {
		require.Equal(t, ts.ID, ft.Tasklets[i].ID())
		ids = append(ids, ts.ID)
		require.Equal(t, sim.TaskletRow{ID: ts.ID, State: ts.State, Flags: ts.Flags, Dir: ts.Dir, Channel: ts.Channel,
			Wake: ts.Wake, FrameStart: ts.FrameStart, FrameCount: ts.FrameCount}, got.Tasklets[i], "row %d", i)
	}
	var vals []sim.TaskletValue
	for i, ts := range want.Tasklets {
		if ts.TempVal != nil || ts.Err != nil {
			vals = append(vals, sim.TaskletValue{Index: i, TempVal: ts.TempVal, Err: ts.Err})
		}
	}
	require.Len(t, vals, 3, "the thrown error, the sender's value, the paused rec's value")
	require.Equal(t, vals, got.Values)
	require.Equal(t, ids, f1.thawed, "f1 thawed each tasklet once, just before it was recorded")
	s.ThawAll()
	require.Equal(t, ids, f2.thawed, "f2 thaws each once")
	require.Nil(t, s.Freezer())
	require.NoError(t, s.CheckInvariants())
}
