package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

func init() {
	commands["replay"] = command{summary: "re-run a snapshot with a recorded input log, printing the state checksum of every tick", run: replayCmd}
}

const replayUsage = `usage: stackworld replay [--to-tick N] SAVE LOG

Loads the snapshot SAVE and runs it forward with the inputs recorded in LOG (run --record),
printing the state checksum (world.DeepChecksum: every tasklet, frame, channel, mailbox
and component) after every tick, then the
summary line run prints. SAVE may be the log's start snapshot (LOG.snap) or any later save of
the same run. Same snapshot and log: the same lines, on any machine. Without --to-tick, a
record more than server.MaxReplayGap ticks after the one before is refused as corrupt (a
run that went that long without inputs replays with --to-tick).

flags:
`

// replayCmd is `stackworld replay`.
func replayCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, replayUsage)
		fs.PrintDefaults()
	}
	toTick := fs.Uint64("to-tick", 0, "stop after tick `N` (0: where the recorded run stopped)")
	logLevel := fs.String("log", "warn", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{fmt.Sprintf("replay takes a snapshot and an input log, got %d arguments", fs.NArg())}
	}
	level, err := parseLevel(*logLevel)
	if err != nil {
		return usageError{err.Error()}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	savePath, logPath := fs.Arg(0), fs.Arg(1)
	w, err := loadWorld(savePath, world.Config{Logger: log})
	if err != nil {
		return tryError{err: err, try: "stackworld inspect --summary " + savePath}
	}
	defer w.Close()
	f, err := os.Open(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	l, err := server.ReadLog(f)
	if err != nil {
		return fmt.Errorf("%s: %w", logPath, err)
	}
	if *toTick != 0 && *toTick < w.Now() {
		return usageError{fmt.Sprintf("--to-tick %d: the snapshot is already at tick %d", *toTick, w.Now())}
	}
	err = server.Replay(w, l, deliverCommands(log), *toTick, func(w *world.World) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		sum, err := w.DeepChecksum()
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "tick %d state %016x\n", w.Now(), sum)
		return err
	})
	if err != nil {
		err = fmt.Errorf("%s: %w", logPath, err)
		if ge := (*server.GapError)(nil); errors.As(err, &ge) {
			return tryError{err: err, try: fmt.Sprintf("stackworld replay --to-tick N %s %s (if the log is right: N the tick to stop after)", savePath, logPath)}
		}
		return err
	}
	printSummary(stdout, w)
	return nil
}
