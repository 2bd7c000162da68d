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
	commands["inspect"] = command{summary: "print a snapshot as readable JSON", run: runInspect}
}

// runInspect prints a snapshot file as JSON: header, tasklets with their frame stacks,
// channels with their queues, timers and sections. It needs none of the Go types: the
// snapshot records the layout of every type it uses.
func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stackworld inspect FILE\n\nPrint the snapshot FILE as readable JSON.")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"inspect takes one snapshot file"}
	}
	raw, err := readSnapshot(fs.Arg(0))
	if err != nil {
		return err
	}
	data, err := raw.JSON()
	if err != nil {
		return err
	}
	_, err = stdout.Write(data)
	return err
}

// readSnapshot reads a snapshot in generic form with the default limits.
func readSnapshot(path string) (*persist.Raw, error) {
	c, err := persist.DefaultOptions().Codec()
	if err != nil {
		return nil, err
	}
	raw, err := c.RawFile(path)
	if err != nil {
		hint := "check that the file is a stackworld snapshot (saved with persist.Codec.SaveFile)"
		if errors.Is(err, persist.ErrNewerFormat) {
			hint = "update stackworld: the snapshot was written by a newer version"
		}
		return nil, tryError{err, hint}
	}
	return raw, nil
}
