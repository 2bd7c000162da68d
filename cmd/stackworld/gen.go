package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stackworld/stackworld/sim/taskletgen"
)

func init() {
	commands["gen"] = command{summary: "write soft frames for functions marked //stackworld:tasklet", run: runGen}
}

// errStale is returned by gen -check when a generated file is missing or out of date.
var errStale = errors.New("generated frames are out of date")

// runGen generates the frame files of the packages named (default "."), or with -check
// only compares them with the files on disk.
func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "write nothing; fail if a generated file is missing or stale")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stackworld gen [-check] [packages]\n\n"+
			"Write, beside each file with functions marked //stackworld:tasklet, a file x_frame.go\n"+
			"holding their soft frames (see package sim/taskletgen). Run it from go generate:\n\n"+
			"\t//go:generate go run github.com/stackworld/stackworld/cmd/stackworld gen")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	files, err := taskletgen.Generate(dir, fs.Args()...)
	if err != nil {
		var rs taskletgen.Refusals
		if errors.As(err, &rs) {
			return tryError{fmt.Errorf("cannot generate frames:\n%w", err), "rewrite what is refused, or leave the function unmarked (a hard tasklet only)"}
		}
		return err
	}
	if !*check {
		return taskletgen.Write(files)
	}
	stale, err := taskletgen.Check(dir, fs.Args(), files)
	if err != nil {
		return err
	}
	if len(stale) > 0 {
		fmt.Fprintln(stdout, strings.Join(stale, "\n"))
		return tryError{errStale, "go generate ./... (or stackworld gen in each package)"}
	}
	return nil
}
