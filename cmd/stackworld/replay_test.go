package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/require"
)

func replayIt(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runMain(context.Background(), append([]string{"replay"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunRecordThenReplayReachesTheSameWorld(t *testing.T) {
	sc := small(t)
	dir := t.TempDir()
	inputs := filepath.Join(dir, "in.txt")
	require.NoError(t, os.WriteFile(inputs, []byte(strings.Join([]string{
		"# client seq tick command",
		"1 1 5 move 3 100 100",
		"2 1 5 move 4 10 10",
		"1 2 20 despawn 5",
		"1 2 21 despawn 6", // a duplicate (client 1, seq 2): skipped and logged
		"3 1 30 dance 7",   // an unknown command: delivered, logged, ignored
		"bad line",
	}, "\n")), 0o644))
	logPath := filepath.Join(dir, "in.log")
	code, runOut, stderr := runIt(t, context.Background(), "--scenario", sc, "--ticks", "40", "--inputs", inputs, "--record", logPath, "--log", "warn")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, `msg="input skipped" file=`+inputs+` line=5 err="server: duplicate input`)
	require.Contains(t, stderr, `line=7 err="\"bad line\": want CLIENT SEQ TICK COMMAND"`)

	code, plain, stderr := runIt(t, context.Background(), "--scenario", sc, "--ticks", "40", "--log", "error")
	require.Equal(t, 0, code, stderr)
	require.NotEqual(t, plain, runOut, "the inputs changed the world")

	code, out, stderr := replayIt(t, logPath+".snap", logPath)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 41)
	require.Regexp(t, `^tick 1 state [0-9a-f]{16}$`, lines[0])
	require.Regexp(t, `^tick 40 state [0-9a-f]{16}$`, lines[39])
	require.Equal(t, runOut, lines[40]+"\n")

	code, again, _ := replayIt(t, "--to-tick", "25", logPath+".snap", logPath)
	require.Equal(t, 0, code)
	require.Equal(t, strings.Join(lines[:25], "\n")+"\n", strings.Join(strings.Split(again, "\n")[:25], "\n")+"\n")

	code, _, stderr = replayIt(t, logPath, logPath)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "Error: load "+logPath+": ")
	code, _, stderr = replayIt(t, logPath+".snap", inputs)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "Error: "+inputs+": server: input log: record 0: not an input log")
	code, _, stderr = replayIt(t, "one")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "Error: replay takes a snapshot and an input log, got 1 arguments\nTry: stackworld replay -h\n")

	code, _, stderr = runIt(t, context.Background(), "--scenario", sc, "--ticks", "1", "--record", logPath)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "file exists (choose a new file: a log is never overwritten)")
}

// A log whose input names a tick far past the one before (a corrupt tick) is refused with
// the record named, and the way to replay it anyway, instead of ticking toward it.
func TestReplayRefusesACorruptTick(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "in.log")
	code, _, stderr := runIt(t, context.Background(), "--scenario", small(t), "--ticks", "3", "--record", logPath, "--log", "error")
	require.Equal(t, 0, code, stderr)
	var bad []byte
	for _, rec := range [][]any{{0, "stackworld-inputs", 1, 0}, {1, 2, 1, 1, []byte("move 3 9 9")}, {1, uint64(1) << 40, 1, 2, []byte("move 3 9 9")}} {
		b, err := cbor.Marshal(rec)
		require.NoError(t, err)
		bad = append(bad, b...)
	}
	corrupt := filepath.Join(dir, "corrupt.log")
	require.NoError(t, os.WriteFile(corrupt, bad, 0o644))
	code, out, stderr := replayIt(t, logPath+".snap", corrupt)
	require.Equal(t, 1, code)
	require.Regexp(t, `^tick 1 state [0-9a-f]{16}\n$`, out)
	require.Equal(t, "Error: "+corrupt+": server: input log: record 2: input names tick 1099511627776, 1099511627774 ticks after tick 2, "+
		"more than a replay runs toward without an explicit last tick (MaxReplayGap 1048576): a corrupt tick? If the recorded run truly had no input for that long, replay to an explicit tick\n"+
		"Try: stackworld replay --to-tick N "+logPath+".snap "+corrupt+" (if the log is right: N the tick to stop after)\n", stderr)
	code, out, stderr = replayIt(t, "--to-tick", "3", logPath+".snap", corrupt)
	require.Equal(t, 0, code, stderr)
	require.Len(t, strings.Split(strings.TrimSuffix(out, "\n"), "\n"), 4)
}
