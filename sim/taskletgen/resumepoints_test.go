package taskletgen_test

import (
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/sim/taskletgen/internal/genbench"
	"github.com/stretchr/testify/require"
)

// TestGeneratedFramesCountTheirResumePoints: a generated frame says how many resume points
// it has, one per registered name, so persist.CheckFrame (and world.Spawn) can refuse a
// registration that names fewer.
func TestGeneratedFramesCountTheirResumePoints(t *testing.T) {
	for _, f := range []sim.Frame{&genbench.SpinFrame{}, &genbench.SendFrame{}} {
		rc, ok := f.(persist.ResumePointCounter)
		require.True(t, ok, "%T", f)
		for pc := range rc.ResumePoints() {
			require.NotEmpty(t, persist.PCName(f, sim.PC(pc)), "%T resume point %d", f, pc)
		}
		require.Empty(t, persist.PCName(f, sim.PC(rc.ResumePoints())), "%T", f)
		require.NoError(t, persist.CheckFrame(f))
	}
}
