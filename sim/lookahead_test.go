package sim

import "testing"

// Frames of every shape that lookAhead's touchFrame may meet: a pointer, a boxed value, a
// zero-size value, a func.
type (
	lookPtr   struct{ n int }
	lookValue struct{ a, b int }
	lookZero  struct{}
	lookFunc  func(t *T) Op
)

func (f *lookPtr) Step(t *T) Op { f.n++; return t.Schedule().Then(0) }
func (lookValue) Step(t *T) Op  { return t.Schedule().Then(0) }
func (lookZero) Step(t *T) Op   { return t.Schedule().Then(0) }
func (f lookFunc) Step(t *T) Op { return f(t) }

// TestLookAheadFrameShapes runs a ring large enough for lookAhead (touchMin) with frames of
// every shape, so that its unsafe read is exercised (under -race, with checkptr too).
func TestLookAheadFrameShapes(t *testing.T) {
	s := NewScheduler(Options{})
	ptrs := make([]*lookPtr, 0, touchMin)
	ts := make([]*Tasklet, 0, touchMin+100)
	for i := 0; i < touchMin+100; i++ {
		var f Frame
		switch i % 4 {
		case 0:
			p := &lookPtr{}
			ptrs = append(ptrs, p)
			f = p
		case 1:
			f = lookValue{i, i}
		case 2:
			f = lookZero{}
		case 3:
			f = lookFunc(func(t *T) Op { return t.Schedule().Then(0) })
		}
		ts = append(ts, s.SpawnPaused(f))
	}
	for i := len(ts) - 1; i >= 0; i-- { // reverse order: lookAhead skips rings in memory order
		if err := ts[i].Insert(); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if err := s.Schedule(); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range ptrs {
		if p.n != 3 {
			t.Fatalf("tasklet %d ran %d turns, want 3", i, p.n)
		}
	}
}
