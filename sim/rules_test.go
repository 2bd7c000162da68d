package sim_test

// Tests of the rules behind the spec's cases 12, 14, 16 and 17, which the spec states in
// §1-§3 but does not reproduce as programs.

import (
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// yielder logs its name, yields once, logs again and ends.
type yielder struct {
	l    *lines
	Name string
}

func (f *yielder) Step(t *sim.T) sim.Op {
	if t.At() == 0 {
		f.l.printf("%s runs", f.Name)
		return t.Schedule().Then(1)
	}
	f.l.printf("%s again", f.Name)
	return t.Return()
}

// Spec: §1.3 run() (case 14): the caller stays in the ring where it is; after the target
// yields, the target's ring successors run before the caller resumes.
func TestRunKeepsRingOrder(t *testing.T) {
	s, l := newProgram(t)
	m := s.Main()
	b := s.Spawn(&yielder{l: l, Name: "B"})
	s.Spawn(&yielder{l: l, Name: "A"}) // ring: main, B, A
	require.NoError(t, b.Run(m).Wait())
	l.printf("main resumed")
	require.NoError(t, s.Run())
	require.Equal(t, "B runs\nA runs\nmain resumed\nB again\nA again\n", l.text())

	// The target queued last: main is its successor and resumes first.
	s2, l2 := newProgram(t)
	s2.Spawn(&yielder{l: l2, Name: "A"})
	b2 := s2.Spawn(&yielder{l: l2, Name: "B"}) // ring: main, A, B
	require.NoError(t, b2.Run(s2.Main()).Wait())
	l2.printf("main resumed")
	require.NoError(t, s2.Run())
	require.Equal(t, "B runs\nmain resumed\nA runs\nB again\nA again\n", l2.text())
}

// Spec: §1.3 throw() (case 16): a tasklet that never started gets the error before its
// code runs, dies at once, and with no error handler the error reaches main, raised from
// the call main is in.
func TestThrowToUnstartedTaskletReachesMain(t *testing.T) {
	s, l := newProgram(t)
	tk := s.Spawn(&printer{l: l, Text: "never printed"})
	err := tk.Throw(s.Main(), errBoom).Wait()
	require.ErrorIs(t, err, errBoom)
	require.EqualError(t, err, "sim: tasklet 2: boom")
	require.False(t, tk.Alive())
	require.Empty(t, l.out)
	require.Equal(t, 1, s.RunCount())
}

// gen is the "generator" idiom of §3.4 (case 17): schedule_remove(i) hands i out through
// the tempval; whatever the tempval holds when the tasklet is inserted again comes back.
type gen struct {
	l *lines
	I int
}

func (f *gen) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		if f.I == 3 {
			return t.Return()
		}
		return t.ScheduleRemove(f.I).Then(1)
	case 1:
		f.l.printf("gen got %v", t.Value())
		f.I++
		return t.Goto(0)
	}
	return t.Raise(sim.ErrBadPC)
}

func TestScheduleRemoveGeneratorIdiom(t *testing.T) {
	s, l := newProgram(t)
	tk := s.Spawn(&gen{l: l})
	require.NoError(t, s.Run())
	for _, reply := range []string{"a", "b", "c"} {
		l.printf("main got %v", tk.TempVal())
		require.True(t, tk.Paused())
		tk.SetTempVal(reply)
		require.NoError(t, tk.Insert())
		require.NoError(t, s.Run())
	}
	require.False(t, tk.Alive())
	require.Equal(t, "main got 0\ngen got a\nmain got 1\ngen got b\nmain got 2\ngen got c\n", l.text())
}

// Spec: §2.4-§2.5 (case 12): iterating a closing channel drains the queued senders, then
// stops; an operation that would block on it fails, one that finds a partner succeeds.
func TestIteratingAClosingChannelDrainsThenStops(t *testing.T) {
	s, l := newProgram(t)
	ch := sim.NewChan[string](s)
	s.Spawn(&sender{l: l, name: "S1", Ch: ch, V: "x"})
	s.Spawn(&sender{l: l, name: "S2", Ch: ch, V: "y"})
	require.NoError(t, s.Run())
	c := ch.In(s)
	c.Close()
	require.Equal(t, 2, c.Balance())
	require.True(t, c.Closing())
	require.False(t, c.Closed())
	s.Spawn(&iterate[string]{l: l, Ch: ch})
	require.NoError(t, s.Run())
	require.True(t, c.Closed())
	err := sim.Send(s.Main(), ch, "z")
	require.ErrorIs(t, err, sim.ErrClosed)
	require.EqualError(t, err, "sim: send on channel 1 by tasklet 1: send/receive operation on a closed channel")
	require.Equal(t, 0, c.Balance(), "a refused send leaves the balance alone")
	c.Open()
	require.False(t, c.Closing())
	require.Equal(t, "S1 sends x\nS2 sends y\ngot x\ngot y\nloop ended\nS1 sent\nS2 sent\n", l.text())
}
