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

// ErrRemote is raised in a receiver for an error sent from the peer zone that is not
// registered with persist (nor any error it wraps), or whose name is not registered here.
// The link's log on the sending side has the error's text.
var ErrRemote = errors.New("xchan: the peer zone sent an error that is not registered with persist.RegisterError (its text is in that zone's log)")

func init() {
	persist.RegisterError("xchan.ErrValue", ErrValue)
	persist.RegisterError("xchan.ErrRemote", ErrRemote)
}

// wireErr is an error on the wire: the name it is registered under with persist.
type wireErr struct {
	Name string `cbor:"1,keyasint"`
}

// toWire returns err as it crosses zones: the first error of its chain (err, then what
// it wraps, depth first as errors.Is walks it) registered with persist, or ErrRemote. A
// pending error is saved the same way, so an error that crosses can also be saved.
func toWire(err error) (w *wireErr, registered bool) {
	var name string
	found := false
	var walk func(error) bool
	walk = func(e error) bool {
		if n, ok := persist.ErrorName(e); ok {
			name, found = n, true
			return true
		}
		switch x := e.(type) {
		case interface{ Unwrap() error }:
			if u := x.Unwrap(); u != nil {
				return walk(u)
			}
		case interface{ Unwrap() []error }:
			for _, u := range x.Unwrap() {
				if walk(u) {
					return true
				}
			}
		}
		return false
	}
	walk(err)
	if !found {
		name, _ = persist.ErrorName(ErrRemote)
	}
	return &wireErr{Name: name}, found
}

// check checks an error of a peer message.
func (w *wireErr) check() error {
	if !validErrName(w.Name) {
		return fmt.Errorf("error name %q: want 1 to %d letters, digits or . _ - /", w.Name, maxNameBytes)
	}
	return nil
}

// validErrName reports whether s can be a name of persist.RegisterError's.
func validErrName(s string) bool { return validToken(s, "._-/") }

// local returns the error the receiver here raises for w: the sentinel registered here
// under its name, or ErrRemote (and false).
func (w *wireErr) local() (error, bool) {
	if err, ok := persist.ErrorByName(w.Name); ok {
		return err, true
	}
	return ErrRemote, false
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
