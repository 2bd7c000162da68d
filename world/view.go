package world

import (
	"reflect"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// Read-only views for tools and viewers. They hand out the live data (no copies), so they
// are cheap enough to read every frame; call them between ticks, on the world's goroutine,
// and do not change what they return. Entities, Events, Failures, Timings and Stats are the
// other views.

// Tasklets calls f for every alive tasklet in a state of filter (sim.AllStates: all of them;
// sim.States(sim.StateSleeping, sim.StateBlocked): those waiting), the main tasklet
// included, in the scheduler's deterministic order, until f returns false. TaskletOf finds
// the tasklet of an entity.
func (w *World) Tasklets(filter sim.StateFilter, f func(t *sim.Tasklet) bool) {
	w.s.Each(func(t *sim.Tasklet) bool {
		if !filter.Has(t.State()) {
			return true
		}
		return f(t)
	})
}

// Tasklet returns the alive tasklet with the given id, or nil. It walks the tasklets: for
// tools, not for steps.
func (w *World) Tasklet(id sim.ID) *sim.Tasklet {
	var found *sim.Tasklet
	w.s.Each(func(t *sim.Tasklet) bool {
		if t.ID() == id {
			found = t
			return false
		}
		return true
	})
	return found
}

// FrameInfo describes one frame of a tasklet's stack.
type FrameInfo struct {
	Type   string    // the frame's registered name (as snapshots write it, e.g. "*actors.Wander"), else its Go type
	PC     sim.PC    // its resume point
	PCName string    // the resume point's registered name, or ""
	Frame  sim.Frame // the live frame: read, don't modify
}

// FrameStack appends t's frames, bottom first, to dst.
func FrameStack(dst []FrameInfo, t *sim.Tasklet) []FrameInfo {
	t.Frames(func(f sim.Frame, pc sim.PC) bool {
		name, ok := persist.TypeName(f)
		if !ok {
			name = reflect.TypeOf(f).String()
		}
		dst = append(dst, FrameInfo{Type: name, PC: pc, PCName: persist.PCName(f, pc), Frame: f})
		return true
	})
	return dst
}

// ChannelInfo describes a channel of the world: a named channel, a mailbox, or an
// anonymous channel of the scheduler.
type ChannelInfo struct {
	Channel *sim.Channel // live: Balance, Preference, Queue (the blocked tasklets)
	Name    string       // the channel's or mailbox's name, or ""
	Mailbox bool         // a mailbox: Queued messages wait in its queue
	Owner   EntityID     // a mailbox's owner
	Queued  int          // a mailbox's queued messages
}

// Channels calls f for every channel in id order until f returns false. Mailboxes report
// their queued messages; EachMessage walks them.
func (w *World) Channels(f func(ChannelInfo) bool) {
	names := w.namedByID()
	w.s.Channels(func(ch *sim.Channel) bool {
		ci := ChannelInfo{Channel: ch, Name: names[ch.ID()]}
		if q := w.mail[ch.ID()]; q != nil {
			ci.Mailbox, ci.Name, ci.Owner, ci.Queued = true, q.Name(), q.Owner(), q.Len()
		}
		return f(ci)
	})
}

// EachMessage calls f for each message queued in mailbox id, oldest first, until f returns
// false.
func (w *World) EachMessage(id sim.ChanID, f func(msg any) bool) {
	if q := w.mail[id]; q != nil {
		q.each(f)
	}
}

// Mailboxes returns the ids of all mailboxes in creation order (read only).
func (w *World) Mailboxes() []sim.ChanID { return w.mailIDs }
