package xchan

import (
	"errors"
	"fmt"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// ErrValue is raised in a sender on a two-way channel (Both) whose value cannot cross
// zones: it does not encode to CBOR as plain data, or its encoding is larger than
// MaxValueBytes. The link's log says which.
var ErrValue = errors.New("xchan: the value cannot cross zones (not plain data, or more than MaxValueBytes); see the link's log")

// A RemoteError is an error that a tasklet of the peer zone sent on a cross-zone channel
// (Chan.SendError, or sim.SendError): the receiver here raises it at its receive, as
// Stackless's send_exception makes the receiver raise. Kind names the sentinel of sim it
// matched there ("sim.ErrClosed", ...), and Unwrap returns that sentinel here, so
// errors.Is works across zones; Text is the error's text in the peer zone. Two sentinels
// cross as themselves, not as a RemoteError, because the receiver's scheduler gives them
// their meaning: sim.ErrStopIteration (ends an iteration with Next) and sim.ErrTaskletExit
// (ends the receiver silently).
type RemoteError struct {
	Zone, Channel string // the sending zone and the channel's name
	Kind          string // the sentinel it matched in the peer zone, or ""
	Text          string // err.Error() in the peer zone, at most MaxErrorBytes
}

// Error returns "xchan: zone <zone>, channel <name>: <text>".
func (e *RemoteError) Error() string {
	return fmt.Sprintf("xchan: zone %s, channel %s: %s", e.Zone, e.Channel, e.Text)
}

// Unwrap returns the sentinel of sim that Kind names, or nil.
func (e *RemoteError) Unwrap() error {
	for _, k := range kinds {
		if k.name == e.Kind {
			return k.err
		}
	}
	return nil
}

// MaxErrorBytes bounds the text of an error crossing zones; a longer text is cut.
const MaxErrorBytes = 1024

// kinds are the sentinels an error crossing zones keeps, by their persist names.
var kinds = []struct {
	name string
	err  error
}{
	{"sim.ErrStopIteration", sim.ErrStopIteration},
	{"sim.ErrTaskletExit", sim.ErrTaskletExit},
	{"sim.ErrClosed", sim.ErrClosed},
	{"sim.ErrSystemExit", sim.ErrSystemExit},
	{"sim.ErrDeadlock", sim.ErrDeadlock},
}

func init() {
	persist.Register[RemoteError]("xchan.RemoteError")
	persist.RegisterError("xchan.ErrValue", ErrValue)
}

// wireErr is an error on the wire: the sentinel it matched and its text.
type wireErr struct {
	Kind string `cbor:"1,keyasint,omitempty"`
	Text string `cbor:"2,keyasint"`
}

// toWire returns err as it crosses zones. Cost: one pass over kinds.
func toWire(err error) *wireErr {
	w := &wireErr{Text: err.Error()}
	if len(w.Text) > MaxErrorBytes {
		w.Text = w.Text[:MaxErrorBytes]
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			w.Kind = k.name
			break
		}
	}
	return w
}

// check checks an error of a peer message.
func (w *wireErr) check() error {
	if len(w.Text) > MaxErrorBytes {
		return fmt.Errorf("error text of %d bytes, more than MaxErrorBytes (%d)", len(w.Text), MaxErrorBytes)
	}
	if w.Kind == "" {
		return nil
	}
	for _, k := range kinds {
		if k.name == w.Kind {
			return nil
		}
	}
	return fmt.Errorf("error kind %q is not one of sim's sentinels that cross zones", w.Kind)
}

// local returns the error the receiver here raises for w, sent by zone on channel.
func (w *wireErr) local(zone, channel string) error {
	switch w.Kind {
	case "sim.ErrStopIteration":
		return sim.ErrStopIteration
	case "sim.ErrTaskletExit":
		return sim.ErrTaskletExit
	}
	return &RemoteError{Zone: zone, Channel: channel, Kind: w.Kind, Text: w.Text}
}

// sendErrorNow makes the receiver at the head of channel id raise err, from the main
// tasklet between ticks and without running anything: a SendError to a waiting receiver
// with the channel's preference set to 0 for the call (the receiver goes to the end of
// the ring, as TrySend puts it). The caller checked that a receiver waits.
func sendErrorNow(s *sim.Scheduler, ch *sim.Channel, err error) {
	pref, all := ch.Preference(), ch.ScheduleAll()
	ch.SetPreference(0)
	ch.SetScheduleAll(false)
	_ = sim.SendError(s.Main(), ch.Handle(), err) // a receiver waits: it cannot block
	ch.SetPreference(pref)
	ch.SetScheduleAll(all)
}
