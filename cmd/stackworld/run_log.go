package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/stackworld/stackworld/actors"
)

// plannedFilter is a slog.Handler that logs the failures a scenario plans on purpose
// (actors.FlakyError: fail_one_in) at debug level instead of their own, and counts them,
// so that a default run looks clean; run reports the count in one line at the end.
//
// The world's "tasklet failed" record holds the error itself, matched with errors.As; a
// supervisor's record about the failure holds only its text (an Exit's Err is a saved
// string) and the failed tasklet's id, so the filter knows it by that id: it remembers the
// ids of the last plannedKept planned failures. Tasklet ids are never reused.
type plannedFilter struct {
	slog.Handler
	planned *plannedFailures
}

// plannedKept is how many planned failures' tasklet ids the filter remembers: a supervisor
// reports a failure within a tick or two, long before plannedKept more have happened.
const plannedKept = 4096

// plannedFailures is the filter's state, shared by the handlers WithAttrs and WithGroup
// derive. Safe for concurrent use.
type plannedFailures struct {
	count atomic.Uint64 // planned failures logged at WARN or above
	mu    sync.Mutex
	ids   []uint64       // ring of the last plannedKept planned failures' tasklet ids
	next  int            // the ring's oldest, once it is full
	kept  map[uint64]int // how many times each id is in the ring
}

func newPlannedFilter(h slog.Handler) plannedFilter {
	return plannedFilter{h, &plannedFailures{kept: map[uint64]int{}}}
}

// count returns how many records of planned failures were logged at WARN or above.
func (h plannedFilter) count() uint64 { return h.planned.count.Load() }

func (h plannedFilter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level <= slog.LevelDebug || !h.planned.about(r) {
		return h.Handler.Handle(ctx, r)
	}
	if r.Level >= slog.LevelWarn {
		h.planned.count.Add(1) // "tasklet failed": one per failure (the supervisor's restart is INFO)
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

// about reports whether r is about a planned failure: its err attribute is an
// actors.FlakyError (then its tasklet attribute is remembered), or its tasklet attribute
// names a remembered planned failure. Cost: O(attributes).
func (p *plannedFailures) about(r slog.Record) bool {
	var tasklet uint64
	flaky := false
	r.Attrs(func(a slog.Attr) bool {
		switch v := a.Value.Any().(type) {
		case error:
			flaky = a.Key == "err" && errors.As(v, new(*actors.FlakyError))
		case uint64:
			if a.Key == "tasklet" {
				tasklet = v
			}
		}
		return true
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case flaky && tasklet != 0:
		p.remember(tasklet)
	case !flaky && tasklet != 0:
		return p.kept[tasklet] > 0
	}
	return flaky
}

// remember adds tasklet to the ring of planned failures, over the oldest when it is full.
func (p *plannedFailures) remember(tasklet uint64) {
	p.kept[tasklet]++
	if len(p.ids) < plannedKept {
		p.ids = append(p.ids, tasklet)
		return
	}
	old := p.ids[p.next]
	if p.kept[old]--; p.kept[old] == 0 {
		delete(p.kept, old)
	}
	p.ids[p.next] = tasklet
	p.next = (p.next + 1) % plannedKept
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
