package sim_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// tickLog records lines with ticks counted from base, so that schedulers whose clocks
// differ print alike.
type tickLog struct {
	out  []string
	base uint64
}

func (l *tickLog) printf(s *sim.Scheduler, format string, a ...any) {
	l.out = append(l.out, fmt.Sprintf("tick %d: ", s.Now()-l.base)+fmt.Sprintf(format, a...))
}

// diver descends Depth levels, then waits for a value with a deadline, sleeps, and logs on
// the way back up: a tasklet that is several frames deep whenever it waits.
type diver struct {
	l            *tickLog
	Ch           sim.Chan[string]
	Depth, Level int
}

func (f *diver) Step(t *sim.T) sim.Op {
	s := t.Scheduler()
	switch t.At() {
	case 0:
		if f.Level < f.Depth {
			return t.Call(&diver{l: f.l, Ch: f.Ch, Depth: f.Depth, Level: f.Level + 1}).Then(3)
		}
		return f.Ch.RecvFor(t, 10).Then(1)
	case 1:
		v, ok := f.Ch.GotOK(t)
		f.l.printf(s, "level %d got %q ok=%v", f.Level, v, ok)
		return t.Sleep(2).Then(2)
	case 2:
		f.l.printf(s, "level %d woke", f.Level)
		return t.Return()
	case 3:
		f.l.printf(s, "leave level %d", f.Level)
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// run ticks s until tick `until`, sending "hi" on ch at tick send.
func runUntil(t *testing.T, s *sim.Scheduler, ch sim.Chan[string], send, until uint64) {
	t.Helper()
	for s.Now() < until {
		if s.Now() == send {
			require.True(t, ch.TrySend(s.Main(), "hi"))
		}
		require.NoError(t, s.Tick())
		require.NoError(t, s.CheckInvariants())
	}
}

// A tasklet three frames deep, blocked on a timed receive, released from one scheduler and
// adopted by another (whose clock and ids differ) prints what it prints when it stays.
func TestReleaseAdoptKeepsBehaviour(t *testing.T) {
	for _, moveAt := range []uint64{1, 3, 5} { // blocked; blocked later; asleep after the value
		stay, _ := newProgram(t)
		ls := &tickLog{}
		chS := sim.NewChan[string](stay)
		stay.Spawn(&diver{l: ls, Ch: chS, Depth: 2})
		runUntil(t, stay, chS, 4, 12)

		src, _ := newProgram(t)
		l := &tickLog{}
		chA := sim.NewChan[string](src)
		tk := src.Spawn(&diver{l: l, Ch: chA, Depth: 2})
		runUntil(t, src, chA, 4, moveAt)
		tr, err := src.Release(tk)
		require.NoError(t, err)
		require.False(t, tk.Alive())
		require.Equal(t, 3, len(tr.Frames))
		require.Equal(t, 1, src.Counts().Total(), "only main is left")
		require.NoError(t, src.CheckInvariants())

		dst := sim.NewScheduler(sim.Options{})
		t.Cleanup(dst.Close)
		for range 7 { // a later clock, and channel ids that differ
			require.NoError(t, dst.Tick())
			sim.NewChan[int](dst)
		}
		chB := sim.NewChan[string](dst)
		if tr.State == sim.StateBlocked {
			require.Equal(t, chA.ID(), tr.Channel)
			tr.Channel = chB.ID()
		}
		for _, fr := range tr.Frames {
			fr.Frame.(*diver).Ch = chB
		}
		moved, err := dst.Adopt(tr)
		require.NoError(t, err)
		require.True(t, moved.Alive())
		require.NoError(t, dst.CheckInvariants())
		offset := dst.Now() - src.Now()
		l.base = offset
		runUntil(t, dst, chB, 4+offset, 12+offset)
		require.Equal(t, ls.out, l.out, "move at tick %d", moveAt)
	}
	require.Equal(t, []string{"tick 5: level 2 got \"hi\" ok=true", "tick 7: level 2 woke",
		"tick 7: leave level 1", "tick 7: leave level 0"}, want(t))
}

// want is the log of the diver when nothing moves.
func want(t *testing.T) []string {
	s, _ := newProgram(t)
	l := &tickLog{}
	ch := sim.NewChan[string](s)
	s.Spawn(&diver{l: l, Ch: ch, Depth: 2})
	runUntil(t, s, ch, 4, 12)
	return l.out
}

func TestAdoptRefusesBadTransfers(t *testing.T) {
	s, _ := newProgram(t)
	l := &tickLog{}
	ch := sim.NewChan[string](s)
	fr := []sim.FrameState{{Frame: &diver{l: l, Ch: ch}}}
	s.Spawn(&diver{l: l, Ch: ch})
	require.NoError(t, s.Run()) // it waits on ch
	for _, c := range []struct {
		tr   sim.Transfer
		want string
	}{
		{sim.Transfer{State: sim.StateRunnable}, "no frames"},
		{sim.Transfer{Frames: []sim.FrameState{{}}, State: sim.StateRunnable}, "frame 0 is nil"},
		{sim.Transfer{Frames: fr, State: sim.StateDead}, "state dead cannot be adopted"},
		{sim.Transfer{Frames: fr, State: sim.StateSleeping}, "sleeping tasklet without ticks to wait, or with a channel"},
		{sim.Transfer{Frames: fr, State: sim.StateBlocked, Dir: -1, Channel: 99}, "blocked on unknown channel 99"},
		{sim.Transfer{Frames: fr, State: sim.StateBlocked, Dir: 1, Channel: ch.ID()}, "channel 1 has tasklets waiting in the other direction"},
		{sim.Transfer{Frames: fr, State: sim.StateBlocked, Dir: 2, Channel: ch.ID()}, "blocked direction 2"},
		{sim.Transfer{Frames: fr, State: sim.StateRunnable, TempVal: 1, Err: sim.ErrTaskletExit}, "both a value and a pending error"},
		{sim.Transfer{Frames: fr, State: sim.StateSleeping, Ticks: 1 << 60}, "1152921504606846976 ticks to wait, more than 281474976710656"},
		{sim.Transfer{Frames: fr, State: sim.StateRunnable, Flags: 0x41}, "unknown flags 0x40"},
	} {
		before := s.Counts()
		_, err := s.Adopt(c.tr)
		require.ErrorIs(t, err, sim.ErrNotTransferable, c.want)
		require.Equal(t, "sim: tasklet cannot be transferred: adopt: "+c.want, err.Error())
		require.Equal(t, before, s.Counts(), "nothing changed")
	}
	require.NoError(t, s.CheckInvariants())
}

func TestReleaseRefusesWhatCannotMove(t *testing.T) {
	s, _ := newProgram(t)
	other, _ := newProgram(t)
	h := s.NewHard(func(h *sim.Tasklet) error { return nil })
	_, err := s.Release(h)
	require.ErrorIs(t, err, sim.ErrNotTransferable)
	require.Contains(t, err.Error(), "it is a hard tasklet")
	_, err = s.Release(other.Spawn(&sleeper{Ticks: 1}))
	require.Contains(t, err.Error(), "does not belong to this scheduler")
	_, err = s.Release(s.NewTasklet())
	require.Contains(t, err.Error(), "it is new")
	require.False(t, errors.Is(err, sim.ErrSnapshotRunning))
}
