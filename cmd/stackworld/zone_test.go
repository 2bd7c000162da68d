package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestZonesFlag(t *testing.T) {
	n, rest, ok, err := zonesFlag([]string{"--ticks", "5", "--zones", "3", "--rate=0"})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 3, n)
	require.Equal(t, []string{"--ticks", "5", "--rate=0"}, rest)
	n, _, ok, err = zonesFlag([]string{"--zones=2"})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 2, n)
	_, _, ok, err = zonesFlag([]string{"--ticks", "5"})
	require.NoError(t, err)
	require.False(t, ok)
	_, _, _, err = zonesFlag([]string{"--zones", "x"})
	require.EqualError(t, err, "--zones x: want a number from 1 to 64")
	_, _, _, err = zonesFlag([]string{"--zones"})
	require.EqualError(t, err, "--zones needs a number")
}

// A zone with its own embedded NATS server runs the small scenario and saves.
func TestZoneEmbedded(t *testing.T) {
	save := t.TempDir() + "/z.cbor"
	var out, errb bytes.Buffer
	err := runZone(context.Background(), []string{"--nats", "embedded", "--store", t.TempDir(), "--regions", "2", "--region", "1",
		"--ticks", "20", "--rate", "0", "--scenario", small(t), "--save", save, "--quiet"}, &out, &errb)
	require.NoError(t, err, errb.String())
	require.True(t, strings.HasPrefix(out.String(), "NATS: nats://127.0.0.1:"), out.String())
	// Started again from its save, it settles its journals and goes on (serving metrics).
	err = runZone(context.Background(), []string{"--nats", "embedded", "--store", t.TempDir(), "--regions", "2", "--region", "1",
		"--ticks", "5", "--rate", "0", "--save", save, "--quiet", "--metrics", "127.0.0.1:0"}, &out, &errb)
	require.NoError(t, err, errb.String())
}

func TestZoneFlagErrors(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"", "--nats is required (a URL, or embedded)"},
		{"--nats x --regions 2 --region 2", "--region 2 out of range [0, 2)"},
		{"--nats x --regions 0", "--regions 0 out of range [1, 1024]"},
	} {
		_, err := parseZoneFlags(strings.Fields(c.args), &bytes.Buffer{})
		require.EqualError(t, err, c.want)
	}
}
