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
	Err     string   // Cause's message
	// Cause is the error the tasklet failed with (a *sim.PanicError for a panic): match
	// planned failures with errors.Is and errors.As, not by message. It is the live value,
	// not saved with the world.
	Cause error
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
// (the last one set); a zero mb removes it. Supervisors use this (see package actors).
func (w *World) Monitor(id sim.ID, mb Mailbox[Exit]) {
	if mb.IsZero() {
		delete(w.monitor, id)
		return
	}
	w.monitor[id] = mb.ID
}

// Demonitor removes tasklet id's monitor.
func (w *World) Demonitor(id sim.ID) { delete(w.monitor, id) }

// onError is the scheduler's error handler: it reports the failure and swallows the error
// so that the tick goes on.
func (w *World) onError(t *sim.Tasklet, err error) error {
	f := Failure{Tick: w.s.Now(), Tasklet: t.ID(), Entity: w.entityOf(t.ID()), Err: err.Error(), Cause: err}
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

// ---- named channels ----

// Chan returns the named channel called name, creating it on first use. Named channels are
// saved with the world, so a loaded world finds them by the same names.
func Chan[V any](w *World, name string) sim.Chan[V] {
	id, ok := w.names[name]
	if !ok {
		id = w.s.NewChannel().ID()
		w.names[name] = id
	}
	return sim.ChanOf[V](id)
}

// ChannelName returns the name of channel id, or "".
func (w *World) ChannelName(id sim.ChanID) string {
	for _, name := range w.channelNames() {
		if w.names[name] == id {
			return name
		}
	}
	if q := w.mail[id]; q != nil {
		return q.Name()
	}
	return ""
}

func (w *World) channelNames() []string {
	names := make([]string, 0, len(w.names))
	for name := range w.names { // determinism: sorted below
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
