package sim_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

type logger struct{ lines []string }

func (l *logger) printf(format string, a ...any) {
	l.lines = append(l.lines, fmt.Sprintf(format, a...))
}
func (l *logger) String() string { return strings.Join(l.lines, "\n") + "\n" }

// worker is case 1's worker as a frame.
type worker struct {
	log  *logger
	Name string
	N, I int
}

func (w *worker) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		if w.I < w.N {
			w.log.printf("%s %d", w.Name, w.I)
			w.I++
			return t.Schedule().Then(0)
		}
		w.log.printf("%s done", w.Name)
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

func TestSmokeCase1(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	l := &logger{}
	s.Spawn(&worker{log: l, Name: "A", N: 2})
	s.Spawn(&worker{log: l, Name: "B", N: 3})
	s.Spawn(&worker{log: l, Name: "C", N: 1})
	l.printf("runcount before run: %d", s.RunCount())
	require.NoError(t, s.Run())
	l.printf("runcount after run: %d", s.RunCount())
	require.Equal(t, `runcount before run: 4
A 0
B 0
C 0
A 1
B 1
C done
A done
B 2
B done
runcount after run: 1
`, l.String())
}

func TestSmokeCase1Hard(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	l := &logger{}
	w := func(name string, n int) sim.HardFunc {
		return func(h *sim.Tasklet) error {
			for i := 0; i < n; i++ {
				l.printf("%s %d", name, i)
				if err := h.Schedule().Wait(); err != nil {
					return err
				}
			}
			l.printf("%s done", name)
			return nil
		}
	}
	s.SpawnHard(w("A", 2))
	s.SpawnHard(w("B", 3))
	s.SpawnHard(w("C", 1))
	l.printf("runcount before run: %d", s.RunCount())
	require.NoError(t, s.Run())
	l.printf("runcount after run: %d", s.RunCount())
	require.Equal(t, "runcount before run: 4\nA 0\nB 0\nC 0\nA 1\nB 1\nC done\nA done\nB 2\nB done\nruncount after run: 1\n", l.String())
}

type receiver struct {
	log *logger
	Ch  sim.Chan[string]
}

func (r *receiver) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		r.log.printf("  R: waiting")
		return r.Ch.Recv(t).Then(1)
	case 1:
		r.log.printf("  R: got %s", r.Ch.Got(t))
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

type sender struct {
	log *logger
	Ch  sim.Chan[string]
}

func (r *sender) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		r.log.printf("  S: sending")
		return r.Ch.Send(t, "v").Then(1)
	case 1:
		r.log.printf("  S: send returned")
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

func TestSmokeCase2(t *testing.T) {
	l := &logger{}
	s := sim.NewScheduler(sim.Options{})
	m := s.Main()
	for _, pref := range []int{-1, 0, 1} {
		l.printf("pref %d - main sends to a blocked receiver", pref)
		ch := sim.NewChan[string](s)
		ch.In(s).SetPreference(pref)
		s.Spawn(&receiver{l, ch})
		require.NoError(t, s.Run())
		l.printf("  balance %d", ch.In(s).Balance())
		require.NoError(t, sim.Send(m, ch, "v"))
		l.printf("  main: send returned")
		require.NoError(t, s.Run())
		l.printf("pref %d - main receives from a blocked sender", pref)
		s.Spawn(&sender{l, ch})
		require.NoError(t, s.Run())
		l.printf("  balance %d", ch.In(s).Balance())
		v, err := sim.Receive(m, ch)
		require.NoError(t, err)
		l.printf("  main: received %s", v)
		require.NoError(t, s.Run())
	}
	require.Equal(t, `pref -1 - main sends to a blocked receiver
  R: waiting
  balance -1
  R: got v
  main: send returned
pref -1 - main receives from a blocked sender
  S: sending
  balance 1
  main: received v
  S: send returned
pref 0 - main sends to a blocked receiver
  R: waiting
  balance -1
  main: send returned
  R: got v
pref 0 - main receives from a blocked sender
  S: sending
  balance 1
  main: received v
  S: send returned
pref 1 - main sends to a blocked receiver
  R: waiting
  balance -1
  main: send returned
  R: got v
pref 1 - main receives from a blocked sender
  S: sending
  balance 1
  S: send returned
  main: received v
`, l.String())
}
