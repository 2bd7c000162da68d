package main

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/world/debugapi"
)

// TestRunDebugEndpoint: `run --debug` serves the debug endpoint on the metrics server,
// read-only unless --debug-control.
func TestRunDebugEndpoint(t *testing.T) {
	for _, control := range []bool{false, true} {
		args := []string{"--scenario", "../../assets/scenarios/small.json", "--ticks", "0", "--rate", "50", "--debug", "127.0.0.1:0", "--progress", "1000000"}
		if control {
			args = append(args, "--debug-control")
		}
		attachLogged(t, args, runCmd, func(ctx context.Context, c *debugapi.Client) {
			f, err := c.Frame(ctx)
			require.NoError(t, err)
			n := len(f.Entities) / debugapi.EntityFields
			require.Greater(t, n, 250, "the small scenario's 288 NPCs, less those eaten since")
			require.LessOrEqual(t, n, 288)
			require.Equal(t, control, f.Control)
			err = c.Control(ctx, "pause", 0)
			if control {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, "403 Forbidden")
			}
		})
	}
}

// attachLogged runs cmd with args until check returns: it reads the endpoint's address
// from the "viewer --attach ADDR" log line, hands check a client of it, then cancels cmd
// and requires it to end without error. cmd must log that line, or end by itself (the
// test then fails, naming the missing line).
func attachLogged(t *testing.T, args []string, cmd func(ctx context.Context, args []string, stdout, stderr io.Writer) error,
	check func(ctx context.Context, c *debugapi.Client)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- cmd(ctx, args, io.Discard, pw); pw.Close() }()
	sc := bufio.NewScanner(pr)
	addr := ""
	for addr == "" && sc.Scan() {
		if m := regexp.MustCompile(`viewer --attach (127\.0\.0\.1:\d+)`).FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
		}
	}
	go io.Copy(io.Discard, pr)
	require.NotEmpty(t, addr, "the log names the endpoint")
	c, err := debugapi.NewClient(addr)
	require.NoError(t, err)
	check(ctx, c)
	cancel()
	require.NoError(t, <-done)
}

func TestRunDebugFlags(t *testing.T) {
	require.Equal(t, "127.0.0.1:6060", loopbackDefault(":6060"))
	require.Equal(t, "0.0.0.0:6060", loopbackDefault("0.0.0.0:6060"))
	for args, want := range map[[2]string]string{
		{"--debug-control", "--ticks=1"}:        "--debug-control without --debug",
		{"--debug=:1", "--metrics=127.0.0.1:2"}: "--debug and --metrics share one HTTP server",
	} {
		_, err := parseRunFlags(args[:], io.Discard)
		require.ErrorContains(t, err, want)
	}
	o, err := parseRunFlags([]string{"--debug=:1", "--metrics=127.0.0.1:1"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, ":1", o.debug)
}
