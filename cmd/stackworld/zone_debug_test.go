package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/world/debugapi"
)

// `zone --debug` serves the zone's debug endpoint on its metrics server, as run --debug
// does: the viewer attaches to one zone, read-only unless --debug-control.
func TestZoneDebugEndpoint(t *testing.T) {
	args := []string{"--nats", "embedded", "--store", t.TempDir(), "--regions", "2", "--region", "0",
		"--ticks", "2000", "--rate", "50", "--scenario", small(t), "--quiet", "--debug", "127.0.0.1:0", "--debug-control"} // 40 s at most, should the endpoint never be logged
	attachLogged(t, args, runZone, func(ctx context.Context, c *debugapi.Client) {
		f, err := c.Frame(ctx)
		require.NoError(t, err)
		require.Positive(t, len(f.Entities)/debugapi.EntityFields, "the zone's entities")
		require.True(t, f.Control)
		require.NoError(t, c.Control(ctx, "pause", 0))
	})
}

func TestZoneDebugFlags(t *testing.T) {
	for args, want := range map[string]string{
		"--nats x --debug-control":                  "--debug-control without --debug",
		"--nats x --debug :1 --metrics 127.0.0.1:2": "--debug and --metrics share one HTTP server",
	} {
		_, err := parseZoneFlags(strings.Fields(args), io.Discard)
		require.ErrorContains(t, err, want, args)
	}
	o, err := parseZoneFlags(strings.Fields("--nats x --debug :6060"), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:6060", o.metrics, "the debug endpoint's server, private unless asked")
}
