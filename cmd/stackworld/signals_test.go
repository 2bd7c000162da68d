package main

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

func TestHandleSignalsStopsThenExits(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	cancelled, exited := make(chan struct{}), make(chan int, 1)
	var stderr bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		handleSignals(sigs, func() { close(cancelled) }, &stderr, func(code int) { exited <- code })
	}()
	sigs <- syscall.SIGTERM
	<-cancelled
	require.Empty(t, exited)
	sigs <- os.Interrupt
	require.Equal(t, 130, <-exited)
	<-done
	require.Equal(t, "stackworld: terminated: stopping cleanly (send it again to exit at once, without saving)\n"+
		"stackworld: interrupt again: exiting now\n", stderr.String())
}

// TestHelperMain is the child process of the tests below: stackworld with the arguments
// in STACKWORLD_ARGS (one per line), signals handled as main does.
func TestHelperMain(t *testing.T) {
	args := os.Getenv("STACKWORLD_ARGS")
	if args == "" {
		t.Skip("a child process of the signal and kill tests")
	}
	os.Exit(runWithSignals(strings.Split(args, "\n")))
}

// child starts stackworld in a child process and returns it with its stderr lines.
func child(t *testing.T, args ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMain$")
	cmd.Env = append(os.Environ(), "STACKWORLD_ARGS="+strings.Join(args, "\n"))
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewScanner(stderr)
}

// waitFor reads lines until one contains s.
func waitFor(t *testing.T, sc *bufio.Scanner, s string) {
	t.Helper()
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			return
		}
	}
	t.Fatalf("the child ended without printing %q", s)
}

func TestSigtermSavesAndExitsZero(t *testing.T) {
	save := filepath.Join(t.TempDir(), "w.cbor")
	cmd, sc := child(t, "run", "--scenario", small(t), "--ticks", "0", "--rate", "50", "--save", save, "--save-every", "100000", "--log", "debug")
	waitFor(t, sc, "world ready")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waitFor(t, sc, `msg="stopped by interrupt"`)
	go func() {
		for sc.Scan() { // drain, so the child never blocks on a full pipe
		}
	}()
	require.NoError(t, cmd.Wait(), "exit 0")
	w, err := world.LoadFile(snapshotCodec, save, world.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	w.Close()
}

// TestKillDuringAutosaveLeavesALoadableSave kills (SIGKILL) a server that saves after every
// tick at a random save, 20 times over the same file: each time the file loads, and the
// next run removes the temporary file a killed save left.
func TestKillDuringAutosaveLeavesALoadableSave(t *testing.T) {
	if testing.Short() {
		t.Skip("20 child processes")
	}
	dir := t.TempDir()
	save := filepath.Join(dir, "w.cbor")
	sc := small(t)
	rng := rand.New(rand.NewPCG(1, 2))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var lastTick uint64
	for trial := range 20 {
		args := []string{"run", "--ticks", "0", "--save", save, "--save-every", "1", "--log", "debug"}
		if trial == 0 {
			args = append(args, "--scenario", sc)
		} else {
			args = append(args, "--load", save)
		}
		cmd, lines := child(t, args...)
		for range 1 + rng.IntN(6) {
			waitFor(t, lines, `msg=saved`)
		}
		require.NoError(t, cmd.Process.Kill())
		cmd.Wait()
		w, err := world.LoadFile(snapshotCodec, save, world.Config{Logger: quiet})
		require.NoError(t, err, "trial %d", trial)
		require.Greater(t, w.Now(), lastTick, "trial %d: the world went on from the last save", trial)
		lastTick = w.Now()
		w.Close()
	}
}
