package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/stackworld/stackworld/persist"
)

func init() {
	commands["diff"] = command{summary: "show what changed between two snapshots", run: runDiff}
}

// errDiffer is returned when the snapshots differ, so that the exit status says so (1), as
// diff(1) does; the differences are on stdout.
var errDiffer = errors.New("the snapshots differ")

// runDiff prints what changed from snapshot A to snapshot B, one line per change, or "no
// differences".
func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stackworld diff A B\n\nShow what changed from snapshot A to snapshot B; exit status 1 if anything did.")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{"diff takes two snapshot files"}
	}
	a, err := readSnapshot(fs.Arg(0))
	if err != nil {
		return err
	}
	b, err := readSnapshot(fs.Arg(1))
	if err != nil {
		return err
	}
	lines := persist.Diff(a, b)
	if len(lines) == 0 {
		_, err := fmt.Fprintln(stdout, "no differences")
		return err
	}
	for _, l := range lines {
		if _, err := fmt.Fprintln(stdout, l); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: %d changes", errDiffer, len(lines))
}
