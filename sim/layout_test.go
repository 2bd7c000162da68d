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
