package sim_test

import (
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/sim/simbench"
)

// relay receives pointers on In and sends each on Out; with a sender and a receiver at
// the ends, every move is a plain hand-off.
type relay struct {
	In, Out sim.Chan[*int]
}

func (f *relay) Step(t *sim.T) sim.Op {
	if t.At() == 1 {
		return f.Out.Send(t, f.In.Got(t)).Then(0)
	}
	return f.In.Recv(t).Then(1)
}

// The scheduler's hot paths allocate nothing: a turn, a hand-off of a pointer, a tick of
// receives that time out, a receive with a long timeout that a sender serves, and a hard
// tasklet's switch.
func TestHotPathsAllocateNothing(t *testing.T) {
	if raceBuild() {
		t.Skip("the race detector allocates")
	}
	s, spinners := simbench.NewTurnRing(100, false)
	defer s.Close()
	if allocs := testing.AllocsPerRun(100, func() { _ = s.Schedule() }); allocs != 0 {
		t.Errorf("a round of 100 turns allocated %.1f times", allocs)
	}
	if spinners[0].Turns != 101 {
		t.Fatalf("spinner ran %d turns, want 101", spinners[0].Turns)
	}

	s2 := sim.NewScheduler(sim.Options{})
	defer s2.Close()
	a, b := sim.NewChan[*int](s2), sim.NewChan[*int](s2)
	s2.Spawn(&relay{In: a, Out: b})
	v := new(int)
	if allocs := testing.AllocsPerRun(100, func() {
		if err := sim.Send(s2.Main(), a, v); err != nil {
			t.Fatal(err)
		}
		if got, err := sim.Receive(s2.Main(), b); err != nil || got != v {
			t.Fatalf("received %p, %v; want %p", got, err, v)
		}
	}); allocs != 0 {
		t.Errorf("a relay through a soft tasklet allocated %.1f times", allocs)
	}

	s3 := sim.NewScheduler(sim.Options{})
	defer s3.Close()
	ch := sim.NewChan[int](s3)
	waiters := []*longWait{{Ch: ch, Ticks: 1, Recv: true, Repeat: true}, {Ch: ch, Ticks: 1, Recv: true, Repeat: true}, {Ch: ch, Ticks: 2, Recv: true, Repeat: true}}
	for _, w := range waiters {
		s3.Spawn(w)
	}
	for range 4 { // the timers' buckets and spares reach their size
		if err := s3.Tick(); err != nil {
			t.Fatal(err)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { _ = s3.Tick() }); allocs != 0 {
		t.Errorf("a tick of timed-out receives allocated %.1f times", allocs)
	}
	if waiters[0].TimedOut < 100 {
		t.Fatalf("a waiter timed out %d times, want 100 or more", waiters[0].TimedOut)
	}
	// A long wait (over 255 ticks, which used to box the count) served every time.
	longCh := sim.NewChan[int](s3)
	long := &longWait{Ch: longCh, Ticks: 1000, Recv: true, Repeat: true}
	s3.Spawn(long)
	if err := s3.Run(); err != nil {
		t.Fatal(err)
	}
	served := 0
	if allocs := testing.AllocsPerRun(100, func() {
		if err := sim.Send(s3.Main(), longCh, 7); err != nil {
			t.Fatal(err)
		}
		served++
	}); allocs != 0 {
		t.Errorf("serving a receive with a 1000-tick timeout allocated %.1f times", allocs)
	}
	if got := longCh.In(s3).Balance(); got != -1 || long.TimedOut != 0 || served < 100 {
		t.Fatalf("after %d sends the long wait has balance %d and timed out %d times; want -1 and 0", served, got, long.TimedOut)
	}
	n := 0
	s3.SpawnHard(func(h *sim.Tasklet) error {
		for {
			n++
			if err := h.Schedule().Wait(); err != nil {
				return err
			}
		}
	})
	if allocs := testing.AllocsPerRun(100, func() { _ = s3.Schedule() }); allocs != 0 {
		t.Errorf("a hard tasklet's switch allocated %.1f times", allocs)
	}
}
