// Command stackworld runs and inspects Stackworld worlds.
//
//	stackworld run [flags]        run the default world headless (see run -h)
//	stackworld inspect FILE       print a snapshot as readable JSON
//	stackworld diff A B           show what changed between two snapshots
//	stackworld bench [flags]      run the performance benchmarks and print ratios
//	stackworld gen [-check]       write soft frames for functions marked //stackworld:tasklet
//
// Each subcommand lives in its own file as a func(ctx, args, stdout, stderr) error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
)

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is filled by each subcommand's file in an init function.
var commands = map[string]command{}

// usageError is an error in the command line; main prints usage after it.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// tryError carries a hint printed as "Try: ..." after the error.
type tryError struct {
	err error
	try string
}

func (e tryError) Error() string { return e.err.Error() }
func (e tryError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(runMain(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// runMain dispatches to a subcommand and turns its error into a message and an exit code.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "Error: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0 // -h: the command's usage is already printed
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	var te tryError
	if errors.As(err, &te) && te.try != "" {
		fmt.Fprintf(stderr, "Try: %s\n", te.try)
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "Try: stackworld %s -h\n", args[0])
		return 2
	}
	return 1
}

// parseFlags parses args with fs. After -h it returns flag.ErrHelp (fs printed the usage;
// runMain exits 0); any other mistake is a usageError.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return usageError{err.Error()}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: stackworld <command> [arguments]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands { // determinism: sorted below
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-8s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'stackworld <command> -h' for a command's flags.")
}
