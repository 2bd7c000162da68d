package xchan_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// What a hand-off costs on the wire, as the package documentation states it: one message
// per boundary whatever the traffic, a value's CBOR encoding plus its sequence number
// once, and a fixed part per channel.
func TestCostPerHandOff(t *testing.T) {
	a, b, send, recv := pair(t)
	newLog(t, "a")
	newLog(t, "b")
	step(t, a, b)
	step(t, a, b)
	idle := a.l.Stats()
	step(t, a, b)
	perTick := a.l.Stats().Bytes - idle.Bytes // one message: header and one idle channel

	value := strings.Repeat("v", 100) // CBOR: 2 bytes of header + 100
	snd := a.w.Spawn(&party{Ch: send, Log: "a", Name: value, N: 1})
	rcv := b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: "r", N: 1})
	before, beforeB := a.l.Stats(), b.l.Stats()
	runUntil(t, 100, dead(snd, rcv), a, b)
	after, afterB := a.l.Stats(), b.l.Stats()
	msgs := after.Messages - before.Messages
	require.Equal(t, uint64(4), msgs, "sender blocked in tick N, released at boundary N+2, running in N+3")
	require.Equal(t, msgs, afterB.Messages-beforeB.Messages, "one message per boundary each way")
	extra := after.Bytes - before.Bytes - msgs*perTick
	t.Logf("message of an idle link with one channel: %d bytes; a 104-byte value adds %d bytes once", perTick, extra)
	require.Equal(t, uint64(14), perTick)
	// The value's 104 bytes in a byte string (2) in an entry with its sequence number (5)
	// in a list (2); then the channel's Last and balance fields in the messages after.
	require.Equal(t, uint64(104+20), extra)
}
