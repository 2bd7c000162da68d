package sim_test

import (
	"errors"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// A hard tasklet whose Schedule switched away is armed: its next Await goes to the loop
// raw (see coroutine in hard.go). These tests put armed tasklets through everything that is
// not a plain switching Schedule, and check that only the speed differs.

// armedPair calls setup, then spawns a hard tasklet running body after two switching Schedules (so that it is
// armed when body starts) and runs main until body has started.
func armedPair(t *testing.T, setup func(s *sim.Scheduler, l *lines), body func(h *sim.Tasklet, l *lines) error) (*sim.Scheduler, *sim.Tasklet, *lines) {
	t.Helper()
	s := sim.NewScheduler(sim.Options{})
	l := &lines{}
	if setup != nil {
		setup(s, l)
	}
	h := s.SpawnHard(func(h *sim.Tasklet) error {
		for i := range 2 {
			l.printf("h yields %d", i)
			if err := h.Schedule().Wait(); err != nil {
				return err
			}
		}
		return body(h, l)
	})
	for range 3 {
		require.NoError(t, s.Schedule())
	}
	return s, h, l
}

func TestArmedHardTaskletReceivesWithoutSwitching(t *testing.T) {
	var got string
	c := sim.ChanOf[string](1)
	s, _, l := armedPair(t, func(s *sim.Scheduler, l *lines) {
		require.Equal(t, c, sim.NewChan[string](s))
	}, func(h *sim.Tasklet, l *lines) error {
		l.printf("h receives")
		v, err := sim.Receive(h, c) // a sender waits: no switch, h keeps running
		got = v
		l.printf("h got %s (%v), current %v", v, err, h.IsCurrent())
		return err
	})
	s.Spawn(&sender{l: l, name: "sender", Ch: c, V: "42"})
	require.NoError(t, s.Run())
	require.Equal(t, "42", got)
	require.Equal(t, "h yields 0\nh yields 1\nh receives\nsender sends 42\nh got 42 (<nil>), current true\nsender sent\n", l.text())
	require.NoError(t, s.CheckInvariants())
}

func TestArmedHardTaskletGetsErrorsAtItsWait(t *testing.T) {
	var err error
	c := sim.ChanOf[int](1)
	s, _, l := armedPair(t, func(s *sim.Scheduler, l *lines) {
		sim.NewChan[int](s).In(s).Close()
	}, func(h *sim.Tasklet, l *lines) error {
		_, err = sim.Receive(h, c) // closed: the loop's perform fails, the Wait returns it
		l.printf("h: %v", errors.Is(err, sim.ErrClosed))
		err2 := h.Schedule().Wait() // still works afterwards
		l.printf("h: scheduled again (%v)", err2)
		return nil
	})
	require.NoError(t, s.Run())
	require.ErrorIs(t, err, sim.ErrClosed)
	require.Equal(t, "h yields 0\nh yields 1\nh: true\nh: scheduled again (<nil>)\n", l.text())
}

func TestArmedHardTaskletRefusesOthersWaits(t *testing.T) {
	s, h, l := armedPair(t, nil, func(h *sim.Tasklet, l *lines) error {
		l.printf("h body")
		return h.Schedule().Wait()
	})
	// h is suspended in an armed Schedule: main may not Wait on its behalf.
	err := h.Schedule().Wait()
	require.ErrorIs(t, err, sim.ErrNotCurrent)
	require.NoError(t, s.Run())
	require.Equal(t, "h yields 0\nh yields 1\nh body\n", l.text())
	require.False(t, h.Alive())
}

func TestArmedHardTaskletDiesOfAKill(t *testing.T) {
	s, h, l := armedPair(t, nil, func(h *sim.Tasklet, l *lines) error {
		err := h.Schedule().Wait()
		l.printf("h: %v", err)
		return err
	})
	require.Equal(t, "h yields 0\nh yields 1\n", l.text()) // h waits in its body's Schedule, armed
	require.NoError(t, h.KillPending())
	require.NoError(t, s.Run())
	require.Equal(t, "h yields 0\nh yields 1\nh: sim: tasklet exit\n", l.text())
	require.False(t, h.Alive())
}

func TestCloseUnwindsAnArmedHardTasklet(t *testing.T) {
	unwound := false
	s, h, _ := armedPair(t, nil, func(h *sim.Tasklet, l *lines) error {
		defer func() { unwound = true }()
		for {
			_ = h.Schedule().Wait() // ignores errors: only the unwinding ends it
		}
	})
	require.NoError(t, s.Schedule())
	s.Close()
	require.True(t, unwound)
	require.ErrorIs(t, h.Schedule().Wait(), sim.ErrClosedScheduler)
	require.ErrorIs(t, s.Schedule(), sim.ErrClosedScheduler)
}
