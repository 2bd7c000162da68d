package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackworld/stackworld/assets"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// small writes the embedded small scenario to a file and returns its path.
func small(t *testing.T) string {
	t.Helper()
	data, err := assets.FS().(interface{ ReadFile(string) ([]byte, error) }).ReadFile("scenarios/small.json")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "small.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

func runIt(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runMain(ctx, append([]string{"run"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ticks", "-1"}, "Error: --ticks -1: must be 0 (forever) or more\nTry: stackworld run -h\n"},
		{[]string{"--rate", "-2"}, "Error: --rate -2: must be in [0, 1e6] ticks per second\nTry: stackworld run -h\n"},
		{[]string{"--save-every", "0"}, "Error: --save-every 0: must be at least 1\nTry: stackworld run -h\n"},
		{[]string{"--load", "a", "--scenario", "b"}, "Error: --load and --scenario both given: a snapshot already holds its world\nTry: stackworld run -h\n"},
		{[]string{"--load", "a", "--seed", "3"}, "Error: --load and --seed both given: a snapshot continues with its saved random state\nTry: stackworld run -h\n"},
		{[]string{"--log", "loud"}, "Error: --log \"loud\": want debug, info, warn or error\nTry: stackworld run -h\n"},
		{[]string{"extra"}, "Error: unexpected argument \"extra\" (run takes only flags)\nTry: stackworld run -h\n"},
	} {
		code, _, stderr := runIt(t, context.Background(), c.args...)
		require.Equal(t, 2, code, c.args)
		require.Equal(t, c.want, stderr, c.args)
	}
	for _, c := range []struct{ args, want string }{
		{"--bogus", "Error: --bogus: unknown flag\n"},
		{"--rate abc", "Error: --rate abc: want a number\n"},
		{"--rate NaN", "Error: --rate NaN: must be in [0, 1e6] ticks per second\n"},
		{"--rate +Inf", "Error: --rate +Inf: must be in [0, 1e6] ticks per second\n"},
		{"--ticks 1.5", "Error: --ticks 1.5: want a whole number\n"},
		{"--budget 5", "Error: --budget 5: want a duration such as 50ms or 2s\n"},
		{"--save", "Error: --save: needs a value\n"},
	} {
		code, _, stderr := runIt(t, context.Background(), strings.Fields(c.args)...)
		require.Equal(t, 2, code, c.args)
		require.Equal(t, c.want+"Try: stackworld run -h\n", stderr, c.args)
	}
	code, _, stderr := runIt(t, context.Background(), "-h")
	require.Equal(t, 0, code)
	require.Contains(t, stderr, "default scenario (10,600 entities)")
	require.True(t, strings.HasPrefix(stderr, "usage: stackworld run [flags]\n"), stderr)
}

func TestRunBadFiles(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runIt(t, context.Background(), "--scenario", filepath.Join(dir, "missing.json"))
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "Error: read scenario: open "+filepath.Join(dir, "missing.json")+": no such file or directory\nTry: stackworld run (the embedded default scenario)\n")

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"kinds": [{"name": "a", "behaviour": "dance"}]}`), 0o644))
	code, _, stderr = runIt(t, context.Background(), "--scenario", bad)
	require.Equal(t, 1, code)
	require.Equal(t, "Error: "+bad+`: scenario: kind "a": unknown behaviour "dance" (one of: wander, patrol, chase, flee, trader, customer)`+"\nTry: compare with assets/scenarios/default.json\n", stderr)

	junk := filepath.Join(dir, "junk.cbor")
	require.NoError(t, os.WriteFile(junk, []byte("definitely not a snapshot"), 0o644))
	code, _, stderr = runIt(t, context.Background(), "--load", junk)
	require.Equal(t, 1, code)
	require.True(t, strings.HasPrefix(stderr, "Error: load "+junk+": "), stderr)
	require.Contains(t, stderr, "Try: stackworld inspect --summary "+junk+" (what the file holds); a new world: stackworld run --save NEW.cbor\n")
	require.NotContains(t, stderr, "--save "+junk, "no hint overwrites the file it could not read")

	// --save refuses a file that is not a snapshot, unless --force.
	code, _, stderr = runIt(t, context.Background(), "--scenario", small(t), "--ticks", "2", "--save", junk)
	require.Equal(t, 1, code)
	require.Equal(t, "Error: server: save file "+junk+" exists and is not a Stackworld snapshot: the server does not overwrite it\n"+
		"Try: --save NEW.cbor (a new file), or --force to overwrite "+junk+"\n", stderr)
	got, err := os.ReadFile(junk)
	require.NoError(t, err)
	require.Equal(t, "definitely not a snapshot", string(got))
	code, _, stderr = runIt(t, context.Background(), "--scenario", small(t), "--ticks", "2", "--save", junk, "--force", "--log", "error")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runIt(t, context.Background(), "--load", junk, "--ticks", "2", "--log", "error")
	require.Equal(t, 0, code, stderr)

	// The folder is checked before the first tick.
	nodir := filepath.Join(dir, "missing", "w.cbor")
	code, _, stderr = runIt(t, context.Background(), "--scenario", small(t), "--ticks", "2", "--save", nodir, "--log", "error")
	require.Equal(t, 1, code)
	require.Equal(t, "Error: server: persist: cannot save "+nodir+": folder "+filepath.Join(dir, "missing")+"/: no such file or directory\n"+
		"Try: check that the directory exists and is writable\n", stderr)

}

func TestRunSmallScenarioSaveLoadResumesExactly(t *testing.T) {
	sc := small(t)
	save := filepath.Join(t.TempDir(), "w.cbor")
	code, whole, stderr := runIt(t, context.Background(), "--scenario", sc, "--ticks", "90", "--log", "error", "--progress", "25")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `^tick 90: \d+ entities, \d+ tasklets, \d+ failures reported, checksum [0-9a-f]{16}\n$`, whole)
	require.Contains(t, stderr, "tick 50  entities ")
	require.Equal(t, 4, strings.Count(stderr, "\n"), "ticks 25, 50, 75 and the last")

	code, _, stderr = runIt(t, context.Background(), "--scenario", sc, "--ticks", "50", "--save", save, "--save-every", "20", "--log", "error")
	require.Equal(t, 0, code, stderr)
	code, resumed, stderr := runIt(t, context.Background(), "--load", save, "--ticks", "40", "--log", "error")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, whole, resumed)
}

// countdown is a context that is cancelled after its Err has been asked n times: Ctrl-C
// in the middle of a run, without timing.
type countdown struct {
	context.Context
	n    atomic.Int64
	done chan struct{}
}

func newCountdown(n int64) *countdown {
	c := &countdown{Context: context.Background(), done: make(chan struct{})}
	c.n.Store(n)
	return c
}

func (c *countdown) Done() <-chan struct{} { return c.done }
func (c *countdown) Err() error {
	if c.n.Add(-1) < 0 {
		select {
		case <-c.done:
		default:
			close(c.done)
		}
		return context.Canceled
	}
	return nil
}

func TestRunInterruptSavesAndExitsCleanly(t *testing.T) {
	sc := small(t)
	save := filepath.Join(t.TempDir(), "w.cbor")
	code, out, stderr := runIt(t, newCountdown(30), "--scenario", sc, "--ticks", "0", "--save", save, "--save-every", "1000", "--log", "info")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "tick 30: ")
	require.Contains(t, stderr, `msg="stopped by interrupt" tick=30`)
	w, err := world.LoadFile(snapshotCodec, save, world.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer w.Close()
	require.EqualValues(t, 30, w.Now())
}

func TestRunPacedAndDefaultScenarioBuilds(t *testing.T) {
	code, out, stderr := runIt(t, context.Background(), "--ticks", "3", "--rate", "2000", "--log", "warn")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `^tick 3: 10\d\d\d entities`, out)
	require.Contains(t, stderr, "tick 3  entities")
}

func TestMetricsServed(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := serveMetrics(context.Background(), "127.0.0.1:0", log)
	require.NoError(t, err)
	defer m.close()
	w, err := world.New(world.Config{Clock: func() time.Duration { return 0 }, Logger: log})
	require.NoError(t, err)
	defer w.Close()
	w.NewEntity(w.Kind("x"), world.Vec{})
	require.NoError(t, w.Tick())
	m.observe(w)
	m.saved(server.SaveResult{Bytes: 1234, Took: time.Millisecond, Pause: time.Microsecond})
	m.saved(server.SaveResult{Err: errors.New("disk full")})
	m.inputsSeen(server.InputStats{Delivered: 5, Duplicates: 1, Queued: 2})
	m.inputsSeen(server.InputStats{Delivered: 7, Duplicates: 1, Late: 1, Queued: 0})
	get := func(path string) string {
		resp, err := http.Get("http://" + m.addr + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}
	body := get("/metrics")
	for _, want := range []string{
		"stackworld_tick 1\n", "stackworld_entities 1\n", "stackworld_dilation 1\n",
		`stackworld_tasklets{state="sleeping"} 0`, "stackworld_preemptions_total 0\n",
		"stackworld_snapshot_bytes 1234\n", "stackworld_save_duration_seconds_count 1\n",
		"stackworld_save_pause_seconds_count 1\n", "stackworld_save_failures_total 1\n",
		`stackworld_inputs_total{outcome="delivered"} 7`, `stackworld_inputs_total{outcome="duplicate"} 1`,
		`stackworld_inputs_total{outcome="late"} 1`, "stackworld_inputs_queued 0\n",
		"stackworld_tick_duration_seconds_bucket", "go_goroutines",
	} {
		require.Contains(t, body, want)
	}
	require.Contains(t, get("/debug/pprof/"), "goroutine")

	_, err = serveMetrics(context.Background(), "256.0.0.1:bad", log)
	require.ErrorContains(t, err, "--metrics 256.0.0.1:bad: ")
}
