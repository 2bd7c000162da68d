// Command taskletgen writes the soft frames of functions marked //stackworld:tasklet, as
// `stackworld gen` does, for packages that the stackworld command itself imports (actors):
// the command cannot be built while their frames are missing or stale, this one can.
//
//	//go:generate go run github.com/stackworld/stackworld/sim/taskletgen/cmd/taskletgen
//
// Usage: taskletgen [-check] [packages] (default "."). With -check it writes nothing and
// exits 1 if a generated file is missing or stale.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/stackworld/stackworld/sim/taskletgen"
)

func main() {
	check := flag.Bool("check", false, "write nothing; fail if a generated file is missing or stale")
	flag.Parse()
	if err := run(*check, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "taskletgen:", err)
		os.Exit(1)
	}
}

func run(check bool, patterns []string) error {
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	files, err := taskletgen.Generate(dir, patterns...)
	if err != nil {
		return err
	}
	if !check {
		return taskletgen.Write(files)
	}
	stale, err := taskletgen.Check(dir, patterns, files)
	if err != nil {
		return err
	}
	if len(stale) > 0 {
		return errors.New("generated frames are out of date (run go generate):\n" + strings.Join(stale, "\n"))
	}
	return nil
}
