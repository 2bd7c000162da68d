package xchan

import (
	"fmt"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// Dir is the direction of a cross-zone channel as one side sees it.
type Dir uint8

const (
	// DirOut: tasklets of this zone send on the channel.
	DirOut Dir = 1
	// DirIn: tasklets of this zone receive from the channel.
	DirIn Dir = 2
	// DirBoth: tasklets of both zones send and receive on the channel (see Both).
	DirBoth Dir = 3
)

func (d Dir) String() string {
	switch d {
	case DirOut:
		return "out"
	case DirIn:
		return "in"
	case DirBoth:
		return "both"
	}
	return fmt.Sprintf("Dir(%d)", uint8(d))
}

// entry is one value in flight: its sequence number, the blocked sender it came from (on
// the sending side only) and its CBOR encoding, or the error sent instead (SendError).
type entry struct {
	Seq     uint64   `cbor:"1,keyasint"`
	Tasklet sim.ID   `cbor:"2,keyasint,omitempty"`
	Value   []byte   `cbor:"3,keyasint,omitempty"`
	Err     *wireErr `cbor:"4,keyasint,omitempty"`
}

// chanState is one channel's protocol state, saved with the world.
type chanState struct {
	Name        string `cbor:"1,keyasint"`
	Dir         Dir    `cbor:"2,keyasint"`
	Closing     bool   `cbor:"3,keyasint,omitempty"` // Close was called on this side
	PeerClosing bool   `cbor:"4,keyasint,omitempty"` // the peer closed (or relayed our close)

	// The sending side.
	Last         uint64  `cbor:"5,keyasint,omitempty"` // the last sequence number given out
	Offered      []entry `cbor:"6,keyasint,omitempty"` // offered, senders still blocked
	Retained     []entry `cbor:"7,keyasint,omitempty"` // taken, kept until the peer's save covers them
	PeerAccepted uint64  `cbor:"8,keyasint,omitempty"`
	PeerDurable  uint64  `cbor:"9,keyasint,omitempty"`

	// The receiving side.
	Accepted uint64  `cbor:"10,keyasint,omitempty"` // the last sequence number delivered here
	Pending  []entry `cbor:"11,keyasint,omitempty"` // Accepted+1, Accepted+2, ...: not yet delivered
	PeerLast uint64  `cbor:"12,keyasint,omitempty"` // the peer's Last, for closing

	// A two-way channel (DirBoth) uses both sides' fields above, and these credits: the
	// peer may hand over values up to sequence number Claimed (this side's receivers),
	// and this side up to PeerClaimed (the peer's).
	Claimed     uint64 `cbor:"13,keyasint,omitempty"`
	PeerClaimed uint64 `cbor:"14,keyasint,omitempty"`
}

// linkState is what a link saves in its world: a mailbox owned by no entity, named
// stateName(peer), holding one CBOR document.
type linkState struct {
	Version uint32      `cbor:"1,keyasint"`
	Chans   []chanState `cbor:"2,keyasint"` // in declaration order
}

const stateVersion = 1

func stateName(peer string) string { return "xchan.link." + peer }

func localName(peer, name string) string { return "xchan." + peer + "." + name }

// loadState reads the link's saved state from w, or returns an empty state.
func loadState(w *world.World, peer string) (world.Mailbox[[]byte], *linkState, error) {
	st := &linkState{Version: stateVersion}
	id := w.MailboxOf(0, stateName(peer))
	if id == 0 {
		return world.NewMailbox[[]byte](w, 0, stateName(peer)), st, nil
	}
	mb := world.Mailbox[[]byte]{ID: id}
	data, ok := mb.Peek(w)
	if !ok {
		return mb, st, nil
	}
	if err := decMode.Unmarshal(data, st); err != nil {
		return mb, nil, fmt.Errorf("xchan: link to %s: saved state: %w", peer, err)
	}
	if err := st.check(); err != nil {
		return mb, nil, fmt.Errorf("xchan: link to %s: saved state: %w", peer, err)
	}
	return mb, st, nil
}

// check checks a loaded state (the save file is untrusted input).
func (st *linkState) check() error {
	if st.Version != stateVersion {
		return fmt.Errorf("version %d, want %d", st.Version, stateVersion)
	}
	if len(st.Chans) > MaxChannels {
		return fmt.Errorf("%d channels, more than MaxChannels (%d)", len(st.Chans), MaxChannels)
	}
	seen := map[string]bool{}
	for i := range st.Chans {
		c := &st.Chans[i]
		if !validName(c.Name) || seen[c.Name] {
			return fmt.Errorf("channel %d: bad or repeated name %q", i, c.Name)
		}
		seen[c.Name] = true
		if err := c.check(); err != nil {
			return fmt.Errorf("channel %q: %w", c.Name, err)
		}
	}
	return nil
}

func (c *chanState) check() error {
	if c.Dir != DirOut && c.Dir != DirIn && c.Dir != DirBoth {
		return fmt.Errorf("direction %d", c.Dir)
	}
	if len(c.Pending) > MaxPending || len(c.Retained) > MaxRetained || len(c.Offered) > MaxPending {
		return fmt.Errorf("too many values in flight (%d pending, %d retained, %d offered)", len(c.Pending), len(c.Retained), len(c.Offered))
	}
	next := c.Accepted + 1
	for _, e := range c.Pending {
		if e.Seq != next {
			return fmt.Errorf("pending value %d, want %d", e.Seq, next)
		}
		next++
	}
	for _, list := range [][]entry{c.Pending, c.Retained, c.Offered} {
		for _, e := range list {
			if err := e.check(); err != nil {
				return err
			}
		}
	}
	prev := uint64(0)
	for _, list := range [][]entry{c.Retained, c.Offered} {
		for _, e := range list {
			if e.Seq <= prev || e.Seq > c.Last {
				return fmt.Errorf("value %d out of order (after %d, last %d)", e.Seq, prev, c.Last)
			}
			prev = e.Seq
		}
	}
	return nil
}

// save writes st into the state mailbox (replacing the last one).
func saveState(w *world.World, mb world.Mailbox[[]byte], st *linkState) error {
	data, err := encMode.Marshal(st)
	if err != nil {
		return fmt.Errorf("xchan: encode link state: %w", err)
	}
	mb.TryTake(w)
	if !mb.Post(w, data) {
		return fmt.Errorf("xchan: cannot store link state in mailbox %d", mb.ID)
	}
	return nil
}
