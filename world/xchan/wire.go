package xchan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// Limits on what a peer may send; a message beyond them is refused whole (logged, counted).
const (
	// MaxMessageBytes bounds one link message on the wire.
	MaxMessageBytes = 1 << 20
	// MaxValueBytes bounds one value's CBOR encoding. A sender whose value is larger stays
	// blocked and the refusal is logged.
	MaxValueBytes = 64 << 10
	// MaxChannels bounds the channels of one link.
	MaxChannels = 1024
	// MaxOffersPerMessage bounds the values one message carries; more blocked senders are
	// offered at the next boundaries.
	MaxOffersPerMessage = 1024
	// MaxPending bounds the values a receiving side holds for receivers not yet waiting;
	// the sending side is asked again for what did not fit.
	MaxPending = 1 << 16
	// MaxRetained bounds the delivered values a sending side keeps until the receiving
	// side's save covers them; past it the oldest the peer took are dropped (and logged).
	// A two-way channel's side hands over no more values while it keeps MaxRetained.
	MaxRetained = 1 << 16
	// maxNameBytes bounds a channel or zone name.
	maxNameBytes = 128
)

// message is what a link publishes at each tick boundary: the state of every channel of
// the link, and the values offered since the last message.
type message struct {
	From  string     `cbor:"1,keyasint"`
	Tick  uint64     `cbor:"2,keyasint"`           // the sender's world tick at the boundary
	Hello bool       `cbor:"3,keyasint,omitempty"` // first message after Open
	Reply bool       `cbor:"4,keyasint,omitempty"` // a repeat of the last message, sent on a peer's Hello
	Chans []wireChan `cbor:"5,keyasint,omitempty"`
}

// wireChan is one channel's part of a message.
type wireChan struct {
	Name    string `cbor:"1,keyasint"`
	Dir     Dir    `cbor:"2,keyasint"` // the sending side's direction
	Balance int32  `cbor:"3,keyasint,omitempty"`
	Closing bool   `cbor:"4,keyasint,omitempty"`
	// From the sending (Out) side.
	Last   uint64  `cbor:"5,keyasint,omitempty"` // the last sequence number sent so far
	Offers []entry `cbor:"6,keyasint,omitempty"`
	// From the receiving (In) side.
	Accepted uint64 `cbor:"7,keyasint,omitempty"` // every value up to this one was taken
	Durable  uint64 `cbor:"8,keyasint,omitempty"` // ... and up to this one is in a save
	Want     uint64 `cbor:"9,keyasint,omitempty"` // send again from this sequence number
	// From a side of a two-way channel (DirBoth), beside all the above.
	Claimed uint64 `cbor:"10,keyasint,omitempty"` // the peer may hand over values up to this one
}

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	encMode, err = cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		MaxNestedLevels:  16,
		MaxArrayElements: MaxPending + MaxOffersPerMessage,
		MaxMapPairs:      1024,
		IndefLength:      cbor.IndefLengthForbidden,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// decodeMessage decodes and checks the shape of one message (not what it means for the
// link: see Link.check).
func decodeMessage(data []byte) (*message, error) {
	if len(data) > MaxMessageBytes {
		return nil, fmt.Errorf("%d bytes, more than MaxMessageBytes (%d)", len(data), MaxMessageBytes)
	}
	var m message
	if err := decMode.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not a link message: %w", err)
	}
	if len(m.Chans) > MaxChannels {
		return nil, fmt.Errorf("%d channels, more than MaxChannels (%d)", len(m.Chans), MaxChannels)
	}
	for i := range m.Chans {
		if err := m.Chans[i].check(); err != nil {
			return nil, fmt.Errorf("channel %q: %w", m.Chans[i].Name, err)
		}
	}
	return &m, nil
}

// check checks what one channel's part says on its own.
func (c *wireChan) check() error {
	switch {
	case !validName(c.Name):
		return errors.New("bad channel name")
	case c.Dir != DirOut && c.Dir != DirIn && c.Dir != DirBoth:
		return fmt.Errorf("direction %d is not out (1), in (2) or both (3)", c.Dir)
	case len(c.Offers) > MaxOffersPerMessage:
		return fmt.Errorf("%d values, more than MaxOffersPerMessage (%d)", len(c.Offers), MaxOffersPerMessage)
	case c.Dir == DirIn && len(c.Offers) > 0:
		return errors.New("a receiving side offers values")
	case c.Dir == DirOut && (c.Accepted != 0 || c.Durable != 0 || c.Want != 0):
		return errors.New("a sending side acknowledges values")
	case c.Dir != DirBoth && c.Claimed != 0:
		return errors.New("a one-way side claims values")
	case c.Durable > c.Accepted:
		return fmt.Errorf("durable %d beyond accepted %d", c.Durable, c.Accepted)
	}
	for i, o := range c.Offers {
		switch {
		case o.Seq == 0 || o.Seq > c.Last:
			return fmt.Errorf("value %d out of range [1, last %d]", o.Seq, c.Last)
		case i > 0 && o.Seq != c.Offers[i-1].Seq+1:
			return fmt.Errorf("value %d follows value %d", o.Seq, c.Offers[i-1].Seq)
		case o.Tasklet != 0:
			return fmt.Errorf("value %d names a tasklet", o.Seq)
		}
		if err := o.check(); err != nil {
			return err
		}
	}
	return nil
}

// check checks what an entry holds: a value of 1 to MaxValueBytes bytes, or an error.
func (o *entry) check() error {
	switch {
	case o.Err == nil && (len(o.Value) == 0 || len(o.Value) > MaxValueBytes):
		return fmt.Errorf("value %d is %d bytes, not in [1, MaxValueBytes %d]", o.Seq, len(o.Value), MaxValueBytes)
	case o.Err != nil && len(o.Value) != 0:
		return fmt.Errorf("value %d is both a value and an error", o.Seq)
	case o.Err != nil:
		if err := o.Err.check(); err != nil {
			return fmt.Errorf("value %d: %w", o.Seq, err)
		}
	}
	return nil
}

// validName reports whether s can be a zone or channel name: 1 to 128 bytes of letters,
// digits, '-' and '_' (a NATS subject token, and readable in logs).
func validName(s string) bool { return validToken(s, "-_") }

// validToken reports whether s is 1 to 128 bytes of letters, digits and bytes of punct.
func validToken(s, punct string) bool {
	if len(s) == 0 || len(s) > maxNameBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(punct, c) >= 0) {
			return false
		}
	}
	return true
}

// Subject returns the NATS subject on which zone from sends its link messages to zone to:
// stackworld.xchan.<to>.<from>.
func Subject(to, from string) string { return "stackworld.xchan." + to + "." + from }
