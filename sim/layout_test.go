package sim

import (
	"testing"
	"unsafe"
)

// TestTaskletLayout guards the parked-tasklet memory target (P4) and the turn at 1M
// tasklets (P1): a Tasklet fills one cache line. One more wide field costs every tasklet 8
// bytes and a second line; move rare state into extra instead.
func TestTaskletLayout(t *testing.T) {
	if got := unsafe.Sizeof(Tasklet{}); got != 64 {
		t.Fatalf("sizeof(Tasklet) = %d bytes, want 64", got)
	}
}

// TestTaskletFrameFirst guards prefetch_amd64.s, which reads a tasklet's frame pointer as
// the second word of the Tasklet.
func TestTaskletFrameFirst(t *testing.T) {
	if got := unsafe.Offsetof(Tasklet{}.frame); got != 0 {
		t.Fatalf("Tasklet.frame at offset %d, want 0", got)
	}
}

// TestPrefetchRingSkipsHoles calls both versions of prefetchRing over tombstones, a
// tasklet without a frame and one with, wrapping around the ring's end.
func TestPrefetchRingSkipsHoles(t *testing.T) {
	s := NewScheduler(Options{})
	f := &lookPtr{n: 7}
	buf := []*Tasklet{s.main, nil, s.SpawnPaused(f), nil}
	for _, frames := range []bool{false, true} {
		prefetchRing(buf, 2, 6, 3, frames)
		got := prefetchRingGo(buf, 2, 6, 3, frames)
		if want := taskletFlags(7); frames && got != want {
			t.Fatalf("prefetchRingGo read %d from the frames, want %d (the lookPtr's first byte)", got, want)
		}
	}
}
