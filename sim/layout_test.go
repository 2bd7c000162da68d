package sim

import (
	"testing"
	"unsafe"
)

// TestTaskletLayout guards the parked-tasklet memory target (P4): one more wide field in
// Tasklet costs every tasklet 8 bytes. Move rare state into extra instead.
func TestTaskletLayout(t *testing.T) {
	if got := unsafe.Sizeof(Tasklet{}); got != 72 {
		t.Fatalf("sizeof(Tasklet) = %d bytes, want 72", got)
	}
}
