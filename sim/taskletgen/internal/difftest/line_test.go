package difftest

import (
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// TestLineDirectives: code in a generated frame reports the marked function's file and
// lines (runtime.Caller, hence panics and stack traces), the same as the hard version.
func TestLineDirectives(t *testing.T) {
	run := func(k sim.Kind) []string {
		Lines = nil
		s := sim.NewScheduler(sim.Options{})
		defer s.Close()
		if k == sim.Hard {
			s.SpawnHard(func(h *sim.Tasklet) error { return Where(h, 3) })
		} else {
			s.Spawn(&WhereFrame{N: 3})
		}
		require.NoError(t, s.Run())
		return Lines
	}
	hard, soft := run(sim.Hard), run(sim.Soft)
	require.Len(t, hard, 6)
	require.Equal(t, "cases.go", hard[0][:len("cases.go")])
	require.Equal(t, hard, soft)
}
