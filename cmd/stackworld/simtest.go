package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/stackworld/stackworld/world/simtest"
)

func init() {
	commands["simtest"] = command{summary: "run seeded simulation tests of whole worlds", run: runSimtest}
}

// maxSimtestSeeds bounds --seeds.
const maxSimtestSeeds = 1_000_000

// runSimtest runs simtest.Run for --seeds seeds from --seed and prints one line per seed; the
// first failure stops it with the seed, the tick, what broke and the command that repeats it.
func runSimtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "the (first) seed")
	ticks := fs.Int("ticks", simtest.DefaultTicks, "ticks per seed")
	seeds := fs.Int("seeds", 1, "how many seeds to run, from --seed on")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: stackworld simtest [flags]

Builds a random world from each seed (every actor behaviour, agents doing random scheduler,
channel and mailbox operations, areas of interest) and runs it twice in lock step, once
saved and loaded into a fresh world at random ticks. After every tick: the scheduler's
invariants, the areas of interest against their definition, and the same events and the
same snapshot bytes in both runs. Exit status 1 on the first failure.

flags:`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError{"simtest takes no arguments"}
	case *ticks < 1 || *ticks > 1<<24:
		return usageError{fmt.Sprintf("--ticks %d out of range [1, 2^24]", *ticks)}
	case *seeds < 1 || *seeds > maxSimtestSeeds:
		return usageError{fmt.Sprintf("--seeds %d out of range [1, %d]", *seeds, maxSimtestSeeds)}
	}
	for i := range uint64(*seeds) {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := simtest.Run(simtest.Options{Seed: *seed + i, Ticks: *ticks})
		if f, ok := err.(*simtest.Failure); ok {
			return tryError{err: err, try: f.Repro()}
		} else if err != nil {
			return err
		}
		if _, err := fmt.Fprintln(stdout, res); err != nil {
			return err
		}
	}
	return nil
}
