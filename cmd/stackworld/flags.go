package main

import (
	"flag"
	"fmt"
	"io"
)

// newFlagSet returns the flag set of the subcommand name. Parse it with parseFlags, which
// words its errors; -h prints usage, then every flag with its default, to stderr.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}
