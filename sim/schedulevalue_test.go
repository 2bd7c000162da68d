package sim_test

import (
	"errors"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// The schedule(retval) program of spec §3.1 and §3.4, for soft and hard tasklets alike:
//
//	def a():
//	    r = stackless.schedule("from a")      # others see it in a.tempval meanwhile
//	    print("a resumed with", r)
//	    r = stackless.schedule("again")
//	    print("a resumed with", r)
//	def b():
//	    print("b sees", ta.tempval)
//	    ta.tempval = "changed by b"
//	    stackless.schedule()
//	    print("b sees", ta.tempval)
//	ta = stackless.tasklet(a)(); stackless.tasklet(b)(); stackless.run()
//	print(stackless.schedule("alone"))        # main alone: returns at once, with retval
const scheduleValueWant = `b sees from a
a resumed with changed by b
b sees again
a resumed with again
main alone got alone
`

// schedA is a() as a soft tasklet.
type schedA struct{ l *lines }

func (f *schedA) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return t.ScheduleValue("from a").Then(1)
	case 1:
		f.l.printf("a resumed with %v", t.Value())
		return t.ScheduleValue("again").Then(2)
	}
	f.l.printf("a resumed with %v", t.Value())
	return t.Return()
}

// schedB is b() as a soft tasklet.
type schedB struct {
	l *lines
	a *sim.Tasklet
}

func (f *schedB) Step(t *sim.T) sim.Op {
	if t.At() == 0 {
		f.l.printf("b sees %v", f.a.TempVal())
		f.a.SetTempVal("changed by b")
		return t.Schedule().Then(1)
	}
	f.l.printf("b sees %v", f.a.TempVal())
	return t.Return()
}

// TestScheduleValue: Spec: §3.1 schedule(retval), §3.4 tempval.
func TestScheduleValue(t *testing.T) {
	mainAlone := func(s *sim.Scheduler, l *lines) {
		require.NoError(t, s.Main().ScheduleValue("alone").Wait())
		l.printf("main alone got %v", s.Main().Value())
	}
	t.Run("soft", func(t *testing.T) {
		var l lines
		s := sim.NewScheduler(sim.Options{})
		a := s.Spawn(&schedA{l: &l})
		s.Spawn(&schedB{l: &l, a: a})
		require.NoError(t, s.Run())
		mainAlone(s, &l)
		require.Equal(t, scheduleValueWant, l.text())
	})
	t.Run("hard", func(t *testing.T) {
		var l lines
		s := sim.NewScheduler(sim.Options{})
		defer s.Close()
		a := s.SpawnHard(func(h *sim.Tasklet) error {
			for _, v := range []string{"from a", "again"} {
				if err := h.ScheduleValue(v).Wait(); err != nil {
					return err
				}
				l.printf("a resumed with %v", h.Value())
			}
			return nil
		})
		s.SpawnHard(func(h *sim.Tasklet) error {
			l.printf("b sees %v", a.TempVal())
			a.SetTempVal("changed by b")
			if err := h.Schedule().Wait(); err != nil {
				return err
			}
			l.printf("b sees %v", a.TempVal())
			return nil
		})
		require.NoError(t, s.Run())
		mainAlone(s, &l)
		require.Equal(t, scheduleValueWant, l.text())
	})
}

// TestHardTaskletValue: a SpawnHardValue tasklet's value is its TempVal when it ends, as
// the end handler sees it; a failed one leaves nil, and a SpawnHard one nil (spec §1.5).
func TestHardTaskletValue(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	var l lines
	s.SetEndHandler(func(t *sim.Tasklet) { l.printf("tasklet %d ended with %v", t.ID(), t.TempVal()) })
	s.SetErrorHandler(func(t *sim.Tasklet, err error) error { return nil })
	ok := s.SpawnHardValue(func(h *sim.Tasklet) (any, error) {
		if err := h.Schedule().Wait(); err != nil {
			return nil, err
		}
		return "result", nil
	})
	failed := s.SpawnHardValue(func(h *sim.Tasklet) (any, error) { return "lost", errors.New("boom") })
	plain := s.SpawnHard(func(h *sim.Tasklet) error { return nil })
	require.NoError(t, s.Run())
	require.Equal(t, "tasklet 3 ended with <nil>\ntasklet 4 ended with <nil>\ntasklet 2 ended with result\n", l.text())
	require.Equal(t, "result", ok.TempVal())
	require.Nil(t, failed.TempVal())
	require.Nil(t, plain.TempVal())
}
