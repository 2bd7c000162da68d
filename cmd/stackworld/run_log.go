package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stackworld/stackworld/actors"
)

// plannedFilter is a slog.Handler that logs the failures a scenario plans on purpose
// (actors.FlakyError: fail_one_in) at debug level instead of their own, and counts them,
// so that a default run looks clean; run reports the count in one line at the end.
type plannedFilter struct {
	slog.Handler
	planned *atomic.Uint64
}

func (h plannedFilter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level <= slog.LevelDebug || !isPlanned(r) {
		return h.Handler.Handle(ctx, r)
	}
	if r.Level >= slog.LevelWarn {
		h.planned.Add(1) // "tasklet failed": one per failure (the supervisor's restart is INFO)
	}
	if !h.Handler.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	d := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool { d.AddAttrs(a); return true })
	return h.Handler.Handle(ctx, d)
}

func (h plannedFilter) WithAttrs(as []slog.Attr) slog.Handler {
	return plannedFilter{h.Handler.WithAttrs(as), h.planned}
}

func (h plannedFilter) WithGroup(name string) slog.Handler {
	return plannedFilter{h.Handler.WithGroup(name), h.planned}
}

// plannedMark is the end of a FlakyError's message, by which a failure logged as text (the
// world and the supervisor log err as a string) is known as planned: " (a planned failure:
// fail_one_in in the scenario)".
var plannedMark = func() string {
	msg := (&actors.FlakyError{}).Error()
	if i := strings.LastIndex(msg, " ("); i >= 0 {
		return msg[i:]
	}
	return "\x00" // never in a message: nothing is filtered
}()

// isPlanned reports whether a record is about a planned failure: an err attribute that is
// an actors.FlakyError, or its text.
func isPlanned(r slog.Record) bool {
	planned := false
	r.Attrs(func(a slog.Attr) bool {
		switch v := a.Value.Any().(type) {
		case error:
			planned = errors.As(v, new(*actors.FlakyError))
		case string:
			planned = a.Key == "err" && strings.HasSuffix(v, plannedMark)
		}
		return !planned
	})
	return planned
}

// liveTerminal is stderr on a terminal that shows a live progress line: a log line clears
// the progress line first and redraws it below, so the two never run into each other.
type liveTerminal struct {
	mu    sync.Mutex
	w     io.Writer
	line  string
	shown bool
}

const eraseLine = "\r\x1b[K" // to the line's start, then erase it

func (t *liveTerminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shown {
		io.WriteString(t.w, eraseLine)
	}
	n, err := t.w.Write(p)
	if t.shown {
		io.WriteString(t.w, t.line)
	}
	return n, err
}

// setLine shows line as the progress line.
func (t *liveTerminal) setLine(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.line, t.shown = line, true
	io.WriteString(t.w, eraseLine+line)
}

// end leaves the progress line as it is and moves below it.
func (t *liveTerminal) end() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shown {
		io.WriteString(t.w, "\n")
	}
	t.line, t.shown = "", false
}
