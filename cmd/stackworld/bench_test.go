package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
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
	err := benchCmd(context.Background(), []string{"-quick", "-in-process", "-only", "P2,P3"}, &out, &errOut)
	require.NoError(t, err, errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2+2+5, out.String()) // GOMAXPROCS line, blank, header, rule, 5 rows
	require.Equal(t, "| | measure | target | reached | baseline (same run) | ratio | met? |", lines[2])
	require.True(t, strings.HasPrefix(lines[4], "| P2 | send→receive, two soft tasklets (pointer) | ≤15 ns, ≥10× | "), lines[4])
	require.Contains(t, lines[4], "faster | ")
	require.True(t, strings.HasSuffix(lines[4], " | yes / yes |") || strings.HasSuffix(lines[4], " | no / yes |") ||
		strings.HasSuffix(lines[4], " | yes / no |") || strings.HasSuffix(lines[4], " | no / no |"), lines[4])
	require.True(t, strings.HasSuffix(lines[5], " | — |"), lines[5])
	require.True(t, strings.HasPrefix(lines[6], "| P3 | hard-tasklet switch: hard → hard (resume + yield) | ≤1.2× raw | "), lines[6])
	require.True(t, strings.HasPrefix(lines[7], "| P3 | main's round trip through one hard tasklet (main's Schedule) | — | "), lines[7])
	require.True(t, strings.HasPrefix(lines[8], "| P3 | model of that round trip: iter.Pull + the two ring moves any ring scheduler makes | — | "), lines[8])
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

// TestBenchChildProcesses builds the real command and runs one measure the default way, in
// a child process, checking that the parent prints the child's row under one header.
func TestBenchChildProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and runs a benchmark")
	}
	exe := filepath.Join(t.TempDir(), "stackworld")
	build := exec.Command("go", "build", "-o", exe, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	cmd := exec.Command(exe, "bench", "-quick", "-only", "P3")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	require.NoError(t, err, stderr.String())
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 7, string(out)) // GOMAXPROCS line, blank, header, rule, P3's three rows
	require.Equal(t, tableHeader, lines[2])
	require.True(t, strings.HasPrefix(lines[4], "| P3 | hard-tasklet switch: hard → hard (resume + yield) | ≤1.2× raw | "), lines[4])
	require.Contains(t, stderr.String(), "bench: P3 hard-tasklet switch ...")
}

// TestBenchCountTakesTheMedian runs P3 three times in one process: three progress lines
// for each benchmark, one row for each of P3's three measures, and a header that says so.
func TestBenchCountTakesTheMedian(t *testing.T) {
	if testing.Short() {
		t.Skip("runs benchmarks")
	}
	var out, errOut bytes.Buffer
	err := benchCmd(context.Background(), []string{"-quick", "-in-process", "-only", "P3", "-count", "3"}, &out, &errOut)
	require.NoError(t, err, errOut.String())
	require.Equal(t, 3, strings.Count(errOut.String(), "bench: P3 hard-tasklet switch ..."))
	require.Equal(t, 3, strings.Count(errOut.String(), "bench: P3 main's round trip through a hard tasklet ..."))
	require.Equal(t, 3, strings.Count(errOut.String(), "bench: P3 raw iter.Pull switch ..."))
	require.Equal(t, 3, strings.Count(errOut.String(), "bench: P3 model: iter.Pull + two ring moves ..."))
	require.Contains(t, out.String(), ", P1-P3 the median of 3 runs\n")
	require.Equal(t, 3, strings.Count(out.String(), "| P3 |"), "the switch, main's round trip and the model, each once")
	err = benchCmd(context.Background(), []string{"-count", "0"}, &out, &errOut)
	require.EqualError(t, err, "-count 0: want 1 to 99")
}

func TestMedian(t *testing.T) {
	require.Equal(t, 2.0, median([]float64{3, 1, 2}))
	require.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	require.Equal(t, 7.0, median([]float64{7}))
}
