// Command stackworld runs and inspects Stackworld worlds.
//
//	stackworld run [flags]        run the default world headless (see run -h); --zones N: as N zones
//	stackworld zone [flags]       run one zone of a world spread over processes (NATS)
//	stackworld replay SAVE LOG    re-run a save with its input log, printing every tick's checksum
//	stackworld inspect FILE       print a snapshot: a summary, or selected parts as JSON
//	stackworld diff A B           show what changed between two snapshots
//	stackworld bench [flags]      run the performance benchmarks and print ratios
//	stackworld simtest [flags]    run seeded simulation tests of whole worlds
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
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
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

// exitStatus is an outcome that is not a failure but has its own exit status (diff's 1 for
// "the files differ"): main prints nothing and exits with it.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// troubleError is an error printed as usual that exits 2, as cmp(1) and diff(1) do when
// they cannot compare.
type troubleError struct{ err error }

func (e troubleError) Error() string { return e.err.Error() }
func (e troubleError) Unwrap() error { return e.err }

func main() {
	os.Exit(runWithSignals(os.Args[1:]))
}

// runWithSignals is runMain with SIGINT and SIGTERM handled (handleSignals).
func runWithSignals(args []string) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go handleSignals(sigs, cancel, os.Stderr, os.Exit)
	return runMain(ctx, args, os.Stdout, os.Stderr)
}

// handleSignals turns the first SIGINT or SIGTERM into a clean stop (cancel: a running world
// saves and the command exits 0) and a second one into an exit at once, without saving,
// with the shell's code for the signal (128 + its number).
func handleSignals(sigs <-chan os.Signal, cancel func(), stderr io.Writer, exit func(int)) {
	first, ok := <-sigs
	if !ok {
		return
	}
	fmt.Fprintf(stderr, "stackworld: %v: stopping cleanly (send it again to exit at once, without saving)\n", first)
	cancel()
	second, ok := <-sigs
	if !ok {
		return
	}
	fmt.Fprintf(stderr, "stackworld: %v again: exiting now\n", second)
	code := 1
	if s, isSys := second.(syscall.Signal); isSys {
		code = 128 + int(s)
	}
	exit(code)
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
	if st, ok := err.(exitStatus); ok {
		return int(st)
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
	if errors.As(err, new(troubleError)) {
		return 2
	}
	return 1
}

// parseFlags parses args with fs. After -h it prints fs's usage and returns flag.ErrHelp
// (runMain exits 0); any other mistake is a usageError in the style of every flag error
// ("--rate abc: want a number"), without the usage (runMain points to -h).
func parseFlags(fs *flag.FlagSet, args []string) error {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard) // the flag package would print its own message and the usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return flag.ErrHelp
	}
	return usageError{flagError(fs, err)}
}

// flagError rewrites the flag package's messages ("invalid value "abc" for flag -rate:
// parse error") as "--rate abc: want a number".
func flagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	var name, value string
	if _, e := fmt.Sscanf(msg, "invalid value %q for flag -%s", &value, &name); e == nil {
		name = strings.TrimSuffix(name, ":")
		want := "a valid value"
		if f := fs.Lookup(name); f != nil {
			want = wantFor(f.Value)
		}
		return fmt.Sprintf("--%s %s: want %s", name, value, want)
	}
	if rest, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Sprintf("--%s: unknown flag", rest)
	}
	if rest, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Sprintf("--%s: needs a value", rest)
	}
	return msg
}

// wantFor names what a flag of v's kind takes.
func wantFor(v flag.Value) string {
	g, ok := v.(flag.Getter)
	if !ok {
		return "a valid value"
	}
	switch g.Get().(type) {
	case float64:
		return "a number"
	case int, int64, uint, uint64:
		return "a whole number"
	case time.Duration:
		return "a duration such as 50ms or 2s"
	case bool:
		return "true or false"
	}
	return "a valid value"
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: stackworld <command> [arguments]")
	fmt.Fprintln(w, "\ncommands:")
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(w, "  %-8s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'stackworld <command> -h' for a command's flags.")
}
