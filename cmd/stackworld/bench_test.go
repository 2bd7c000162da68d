package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBenchQuickTable runs the cheap measures of `stackworld bench -quick` and checks the
// table's shape: a header, then one row per measure with its baseline and ratio.
func TestBenchQuickTable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs benchmarks")
	}
	var out, errOut bytes.Buffer
	err := benchCmd(context.Background(), []string{"-quick", "-only", "P2,P3"}, &out, &errOut)
	require.NoError(t, err, errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2+2+3, out.String()) // GOMAXPROCS line, blank, header, rule, 3 rows
	require.Equal(t, "| | measure | target | reached | baseline (same run) | ratio |", lines[2])
	require.True(t, strings.HasPrefix(lines[4], "| P2 | send→receive, two soft tasklets (pointer) | ≤15 ns, ≥10× | "), lines[4])
	require.Contains(t, lines[4], "faster |")
	require.True(t, strings.HasPrefix(lines[6], "| P3 | hard-tasklet switch (resume + yield) | ≤1.2× raw | "), lines[6])
	require.Contains(t, errOut.String(), "bench: P2 hand-off soft (pointer) ...")
}

func TestBenchRejectsBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	err := benchCmd(context.Background(), []string{"-only", "P9"}, &out, &errOut)
	require.EqualError(t, err, `-only: unknown measure "P9" (want P1 to P6)`)
	err = benchCmd(context.Background(), []string{"extra"}, &out, &errOut)
	require.EqualError(t, err, `bench takes no arguments, got ["extra"]`)
}

// TestHelpExitsZero: -h prints a command's usage and exits 0, for every command.
func TestHelpExitsZero(t *testing.T) {
	for _, name := range []string{"run", "inspect", "diff", "bench"} {
		var out, errOut bytes.Buffer
		require.Equal(t, 0, runMain(context.Background(), []string{name, "-h"}, &out, &errOut), name)
		require.Contains(t, errOut.String(), "usage: stackworld "+name, name)
		require.NotContains(t, errOut.String(), "Error:", name)
	}
}
