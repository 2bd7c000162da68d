// Command viewer is Stackworld's visual debugger: it runs a world (the embedded default
// scenario, a scenario file or a snapshot) or watches a live server, draws every entity
// coloured by kind and outlined by the state of its tasklet, and lets a person pause,
// step, inspect tasklets mid-recursion, save, load and rewind.
//
//	go run ./cmd/viewer                          # the default scenario at 20 ticks/s
//	go run ./cmd/viewer --scenario FILE --seed 7
//	go run ./cmd/viewer --load world.cbor
//	go run ./cmd/viewer --screenshot out.png --ticks 100
//	go run ./cmd/viewer --diff a.cbor b.cbor
//	go run ./cmd/viewer --attach 127.0.0.1:6060
//
// Keys: Space pause/resume, N step, + and - rate, ← back one tick, -> forward one tick,
// S save, L load, / tasklet list, F failures, Esc close or deselect; drag to pan, wheel to
// zoom, click an entity to inspect it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

// startCPUProfile starts writing a CPU profile to path; stop ends it and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// run is the whole program, testable: it parses args and runs the mode they ask for.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	g, err := newGame(ctx, o, stdout)
	if err != nil {
		return err
	}
	defer g.close()
	return g.runWindow()
}
