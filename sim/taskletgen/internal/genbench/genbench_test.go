package genbench

import (
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// BenchmarkTurn is P1 for a generated frame (impl=gen, spin) beside the hand-written one
// (impl=hand), in spawn order.
func BenchmarkTurn(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("impl=hand/N=%d", n), func(b *testing.B) {
			frames := make([]*handSpinner, n)
			benchTurns(b, n, func(s *sim.Scheduler, i int) { frames[i] = &handSpinner{}; s.Spawn(frames[i]) },
				func(i int) int { return frames[i].Turns })
		})
		b.Run(fmt.Sprintf("impl=gen/N=%d", n), func(b *testing.B) {
			frames := make([]*SpinFrame, n)
			benchTurns(b, n, func(s *sim.Scheduler, i int) { frames[i] = &SpinFrame{}; s.Spawn(frames[i]) },
				func(i int) int { return frames[i].Turns })
		})
	}
}

func benchTurns(b *testing.B, n int, spawn func(s *sim.Scheduler, i int), turns func(i int) int) {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	for i := range n {
		spawn(s, i)
	}
	if err := s.Schedule(); err != nil {
		b.Fatal(err)
	}
	if turns(0) != 1 || turns(n-1) != 1 || s.RunCount() != n+1 {
		b.Fatalf("after one round: turns %d, %d, run count %d; want 1, 1, %d", turns(0), turns(n-1), s.RunCount(), n+1)
	}
	total := 0
	for b.Loop() {
		if err := s.Schedule(); err != nil {
			b.Fatal(err)
		}
		total += n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/turn")
	if turns(0) != turns(n-1) {
		b.Fatalf("first and last tasklet ran %d and %d turns", turns(0), turns(n-1))
	}
}

// handoffBatch is the number of hand-offs per timed iteration.
const handoffBatch = 1024

// BenchmarkHandoff is P2 for generated frames (send, receive) beside hand-written ones.
func BenchmarkHandoff(b *testing.B) {
	b.Run("impl=hand", func(b *testing.B) {
		s := sim.NewScheduler(sim.Options{})
		defer s.Close()
		ch, c := sim.NewChan[*Counter](s), &Counter{}
		send, recv := &handSender{Ch: ch, C: c}, &handReceiver{Ch: ch, Want: c}
		benchHandoff(b, s, send, recv, func(n int) { send.Left = n }, func() (int, int) { return recv.Got, recv.Bad })
	})
	b.Run("impl=gen", func(b *testing.B) {
		s := sim.NewScheduler(sim.Options{})
		defer s.Close()
		ch, c := sim.NewChan[*Counter](s), &Counter{}
		send, recv := &SendFrame{Ch: ch, C: c}, &ReceiveFrame{Ch: ch, Want: c}
		benchHandoff(b, s, send, recv, func(n int) { send.Left = n }, func() (int, int) { return recv.Got, recv.Bad })
	})
}

func benchHandoff(b *testing.B, s *sim.Scheduler, send, recv sim.Frame, setLeft func(int), got func() (n, bad int)) {
	s.Spawn(recv)
	st := s.SpawnPaused(send)
	batch := func() {
		setLeft(handoffBatch)
		if err := st.Insert(); err != nil {
			b.Fatal(err)
		}
		if err := s.Run(); err != nil {
			b.Fatal(err)
		}
	}
	batch()
	if n, bad := got(); n != handoffBatch || bad != 0 || s.RunCount() != 1 {
		b.Fatalf("after one batch: received %d (%d wrong), run count %d; want %d, 0, 1", n, bad, s.RunCount(), handoffBatch)
	}
	n := 0
	for b.Loop() {
		batch()
		n += handoffBatch
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/handoff")
	if got, bad := got(); got != n+handoffBatch || bad != 0 {
		b.Fatalf("received %d (%d wrong), want %d", got, bad, n+handoffBatch)
	}
}

// snapshotBytes returns the snapshot size per tasklet of n tasklets spawned by spawn and
// run until they are parked.
func snapshotBytes(t testing.TB, n int, spawn func(s *sim.Scheduler, ch sim.Chan[*Counter], i int)) float64 {
	codec, err := persist.DefaultOptions().Codec()
	if err != nil {
		t.Fatal(err)
	}
	size := func(n int) int {
		s := sim.NewScheduler(sim.Options{})
		defer s.Close()
		ch := sim.NewChan[*Counter](s)
		for i := range n {
			spawn(s, ch, i)
		}
		if err := s.Run(); err != nil {
			t.Fatal(err)
		}
		data, _, err := codec.Save(s)
		if err != nil {
			t.Fatal(err)
		}
		return len(data)
	}
	return float64(size(n)-size(0)) / float64(n)
}

// TestSnapshotBytes compares the snapshot bytes per parked receiver (its frame blocked
// on a channel, with its counts) of the generated frame and the hand-written one: the
// generated one must be within 1.2× (the README reports both).
func TestSnapshotBytes(t *testing.T) {
	const n = 10_000
	hand := snapshotBytes(t, n, func(s *sim.Scheduler, ch sim.Chan[*Counter], i int) {
		s.Spawn(&handReceiver{Ch: ch, Got: i, Bad: i % 3})
	})
	gen := snapshotBytes(t, n, func(s *sim.Scheduler, ch sim.Chan[*Counter], i int) {
		s.Spawn(&ReceiveFrame{Ch: ch, Got: i, Bad: i % 3})
	})
	t.Logf("snapshot bytes per parked receiver: hand-written %.2f, generated %.2f (%.2f×)", hand, gen, gen/hand)
	if gen > 1.2*hand {
		t.Errorf("generated frames take %.2f bytes per tasklet, hand-written ones %.2f: over 1.2×", gen, hand)
	}
}
