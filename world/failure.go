package world

import (
	"errors"
	"log/slog"
	"slices"

	"github.com/stackworld/stackworld/sim"
)

// A Failure is a tasklet that ended with an error (a raised error nobody caught, a panic).
// The world never lets one pass silently: each is logged, counted, kept in Failures, emitted
// as an EventFailure and posted as an Exit to the tasklet's monitor, if it has one. The rest
// of the tick runs on.
type Failure struct {
	Tick    uint64
	Tasklet sim.ID
	Entity  EntityID // the entity the tasklet drove, 0 if none
	Err     string   // the error's message (the log record's err attribute holds the error itself)
	// Stack is where a panic happened (sim.PanicError's stack), "" for an error raised or
	// returned. It is logged with the failure but kept out of Err and of the Exit a monitor
	// receives: it holds addresses, which differ from run to run.
	Stack string
}

// An Exit is what a monitor receives when the tasklet it watches fails (see Monitor).
type Exit struct {
	Tasklet sim.ID
	Entity  EntityID
	Tick    uint64
	Err     string
}

// Monitor makes mb receive an Exit when tasklet id fails. A tasklet has at most one monitor
// (the last one set); a zero mb removes it. Supervisors use this (see package actors). A
// monitor ends with its tasklet; one set on the main tasklet, or on a tasklet that has
// ended or never was, would never fire: the first is ignored, the others are dropped at
// the next save.
func (w *World) Monitor(id sim.ID, mb Mailbox[Exit]) {
	if mb.IsZero() || id == w.s.Main().ID() {
		delete(w.monitor, id)
		return
	}
	w.monitor[id] = mb.ID
}

// liveMonitors drops the monitors of tasklets that are not alive (they can never fire, and a
// save holding them would not load) and returns the ids of the others, sorted. Cost: a walk
// of the tasklets when there are monitors.
func (w *World) liveMonitors() []sim.ID {
	if len(w.monitor) == 0 {
		return nil
	}
	tids := make([]sim.ID, 0, len(w.monitor))
	w.s.Each(func(t *sim.Tasklet) bool {
		if _, ok := w.monitor[t.ID()]; ok && !t.IsMain() {
			tids = append(tids, t.ID())
		}
		return true
	})
	if len(tids) < len(w.monitor) {
		live := make(map[sim.ID]sim.ChanID, len(tids))
		for _, id := range tids {
			live[id] = w.monitor[id]
		}
		w.monitor = live
	}
	slices.Sort(tids)
	return tids
}

// Demonitor removes tasklet id's monitor.
func (w *World) Demonitor(id sim.ID) { delete(w.monitor, id) }

// onError is the scheduler's error handler: it reports the failure and swallows the error
// so that the tick goes on.
func (w *World) onError(t *sim.Tasklet, err error) error {
	f := Failure{Tick: w.s.Now(), Tasklet: t.ID(), Entity: w.entityOf(t.ID()), Err: err.Error()}
	if pe := (*sim.PanicError)(nil); errors.As(err, &pe) {
		f.Stack = string(pe.Stack)
	}
	w.failed++
	if len(w.failures) == failuresKept {
		copy(w.failures, w.failures[1:])
		w.failures = w.failures[:failuresKept-1]
	}
	w.failures = append(w.failures, f)
	attrs := []any{slog.Uint64("tick", f.Tick), slog.Uint64("tasklet", uint64(f.Tasklet)),
		slog.Uint64("entity", uint64(f.Entity)), slog.Any("err", err)} // the error itself: handlers match it with errors.As
	if f.Stack != "" {
		attrs = append(attrs, slog.String("stack", f.Stack))
	}
	w.cfg.Logger.Warn("tasklet failed", attrs...)
	w.emit(Event{Type: EventFailure, Entity: f.Entity, Tasklet: f.Tasklet})
	if id, ok := w.monitor[t.ID()]; ok {
		delete(w.monitor, t.ID())
		Mailbox[Exit]{ID: id}.Post(w, Exit{Tasklet: f.Tasklet, Entity: f.Entity, Tick: f.Tick, Err: f.Err})
	}
	return nil
}

// onEnd is the scheduler's end handler: a tasklet that ended needs no monitor any more (a
// failure has been posted to it by then).
func (w *World) onEnd(t *sim.Tasklet) {
	if len(w.monitor) != 0 {
		delete(w.monitor, t.ID())
	}
}

// EntityOf returns the entity that tasklet id drives (TaskletOf's inverse), or 0. It scans
// the entities: for tools and failure reports, not for steps.
func (w *World) EntityOf(id sim.ID) EntityID { return w.entityOf(id) }

// entityOf returns the entity driven by tasklet id (a scan: failures are rare).
func (w *World) entityOf(id sim.ID) EntityID {
	for i := range w.ents {
		if w.ents[i].Tasklet == id {
			return w.ents[i].ID
		}
	}
	return 0
}

// Failures returns the most recent failures (up to 64), oldest first. Read only.
func (w *World) Failures() []Failure { return w.failures }

// FailureCount returns the number of failures since the world began.
func (w *World) FailureCount() uint64 { return w.failed }
