package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/stackworld/stackworld/persist"
)

func init() {
	commands["diff"] = command{summary: "show what changed between two snapshots", run: runDiff}
}

// errDiffer is returned when the snapshots differ: exit status 1 and nothing on stderr, as
// cmp(1) and diff(1) do; the differences are on stdout. A file that cannot be read exits 2.
const errDiffer = exitStatus(1)

// runDiff prints what changed from snapshot A to snapshot B, one line per change, or "no
// differences".
func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stackworld diff A B\n\nShow what changed from snapshot A to snapshot B. Exit status: 0 the same,\n1 different, 2 trouble (a file that cannot be read), as cmp(1).")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{"diff takes two snapshot files"}
	}
	a, err := readSnapshot(fs.Arg(0), false)
	if err != nil {
		return troubleError{err}
	}
	b, err := readSnapshot(fs.Arg(1), false)
	if err != nil {
		return troubleError{err}
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
	return errDiffer
}
