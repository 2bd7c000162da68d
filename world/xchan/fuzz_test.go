package xchan

import (
	"testing"

	"github.com/stackworld/stackworld/sim"
)

// FuzzDecodeMessage: any bytes from the wire either decode to a message that passes its
// checks or are refused; never a panic, never a value beyond the limits.
func FuzzDecodeMessage(f *testing.F) {
	good := &message{From: "a", Tick: 7, Hello: true, Chans: []wireChan{
		{Name: "cmd", Dir: DirOut, Balance: 2, Last: 3, Offers: []entry{{Seq: 2, Value: []byte{0x61, 0x78}}, {Seq: 3, Value: []byte{0x01}}}},
		{Name: "ack", Dir: DirIn, Balance: -1, Accepted: 4, Durable: 2, Want: 5, Closing: true},
		{Name: "both", Dir: DirBoth, Balance: -1, Last: 2, Offers: []entry{{Seq: 2, Err: &wireErr{Name: "sim.ErrClosed"}}}, Accepted: 1, Claimed: 3},
	}}
	data, err := encMode.Marshal(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte{0xa0})
	f.Add([]byte("not cbor"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMessage(data)
		if err != nil {
			return
		}
		if len(m.Chans) > MaxChannels {
			t.Fatalf("%d channels passed", len(m.Chans))
		}
		for _, c := range m.Chans {
			if len(c.Offers) > MaxOffersPerMessage || !validName(c.Name) || c.Durable > c.Accepted {
				t.Fatalf("channel %+v passed its checks", c)
			}
			for _, o := range c.Offers {
				if o.Seq == 0 || o.Seq > c.Last || len(o.Value) > MaxValueBytes || o.Err != nil && (len(o.Value) > 0 || !validErrName(o.Err.Name)) {
					t.Fatalf("value %d passed its checks", o.Seq)
				}
			}
		}
	})
}

// FuzzSavedState: a link's state read from a save file either passes its checks or is
// refused; never a panic.
func FuzzSavedState(f *testing.F) {
	good := &linkState{Version: stateVersion, Chans: []chanState{
		{Name: "cmd", Dir: DirOut, Last: 4, Retained: []entry{{Seq: 2, Value: []byte{1}}}, Offered: []entry{{Seq: 3, Tasklet: sim.ID(9), Value: []byte{1}}}},
		{Name: "ack", Dir: DirIn, Accepted: 2, Pending: []entry{{Seq: 3, Value: []byte{1}}}, PeerLast: 3},
		{Name: "both", Dir: DirBoth, Last: 2, Retained: []entry{{Seq: 2, Err: &wireErr{Name: "xchan_test.errGone"}}}, Accepted: 1, Claimed: 4, PeerClaimed: 2},
	}}
	data, err := encMode.Marshal(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		var st linkState
		if decMode.Unmarshal(data, &st) != nil || st.check() != nil {
			return
		}
		for _, c := range st.Chans {
			next := c.Accepted + 1
			for _, e := range c.Pending {
				if e.Seq != next {
					t.Fatalf("pending value %d passed, want %d", e.Seq, next)
				}
				next++
			}
		}
	})
}
