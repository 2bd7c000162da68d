package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOutput builds the real program and checks what it prints, line for line, against the
// output of the talk's Stackless session.
func TestOutput(t *testing.T) {
	goBin, err := exec.LookPath("go") // go test puts $GOROOT/bin first in PATH
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "channels")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	stdout, err := exec.Command(bin).Output()
	var stderr []byte
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		stderr = ee.Stderr
	}
	require.NoError(t, err, "stderr: %s", stderr)
	require.Equal(t, `Receiving tasklet started
Sending tasklet started
send from sending_tasklet
Receiving tasklet finished
Just another tasklet in the scheduler
sending tasklet finished
`, string(stdout))
}
