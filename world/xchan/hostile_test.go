package xchan_test

import (
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/xchan"
	"github.com/stretchr/testify/require"
)

// msg encodes a link message by hand (field numbers as on the wire), for hostile input.
func msg(t *testing.T, from string, chans ...map[int]any) []byte {
	t.Helper()
	m := map[int]any{1: from, 2: uint64(0)}
	if len(chans) > 0 {
		m[5] = chans
	}
	data, err := cbor.Marshal(m)
	require.NoError(t, err)
	return data
}

// Malformed and hostile messages on a zone's subject are refused whole, each logged with
// its reason, and the link goes on: case 20 still prints its output exactly.
func TestHostileMessagesRefused(t *testing.T) {
	a, b, m, sl, out := case20Zones(t)
	nc := connect(t, servers[a])
	toB, toA := xchan.Subject("b", "a"), xchan.Subject("a", "b")
	big := strings.Repeat("x", xchan.MaxValueBytes+1)
	hostile := []struct {
		subject string
		data    []byte
		reason  string
	}{
		{toB, []byte("not cbor at all"), "not a link message"},
		{toB, []byte{0xa1, 0x01}, "not a link message"}, // truncated
		{toB, msg(t, "mallory"), `sent by \"mallory\" on the subject of zone \"a\"`},
		{toB, msg(t, "a", map[int]any{1: "cmd", 2: 4}), "direction 4 is not out (1), in (2) or both (3)"},
		{toB, msg(t, "a", map[int]any{1: "cmd", 2: 3}), `declared in here and both there`},
		{toB, msg(t, "a", map[int]any{1: "bad name!", 2: 1}), "bad channel name"},
		{toB, msg(t, "a", map[int]any{1: "cmd", 2: 1, 5: 1, 6: []any{map[int]any{1: 0, 3: []byte{0x61, 0x78}}}}), "value 0 out of range [1, last 1]"},
		{toB, msg(t, "a", map[int]any{1: "cmd", 2: 1, 5: 3, 6: []any{map[int]any{1: 1, 3: []byte{1}}, map[int]any{1: 3, 3: []byte{1}}}}), "value 3 follows value 1"},
		{toB, msg(t, "a", map[int]any{1: "cmd", 2: 1, 5: 1, 6: []any{map[int]any{1: 1, 3: []byte(big)}}}), "value 1 is 65537 bytes"},
		{toB, msg(t, "a", map[int]any{1: "cmd", 2: 1, 5: 1, 6: []any{map[int]any{1: 1, 2: 7, 3: []byte{1}}}}), "value 1 names a tasklet"},
		{toB, msg(t, "a", map[int]any{1: "cmd", 2: 1, 7: 4}), "a sending side acknowledges values"},
		{toB, msg(t, "a", map[int]any{1: "cmd", 2: 1, 10: 4}), "a one-way side claims values"},
		{toB, msg(t, "a", map[int]any{1: "cmd", 2: 1, 5: 1, 6: []any{map[int]any{1: 1, 4: map[int]any{1: "not a name!"}}}}), `error name \"not a name!\": want 1 to 128`},
		{toB, msg(t, "a", map[int]any{1: "cmd", 2: 1, 5: 1, 6: []any{map[int]any{1: 1, 3: []byte{1}, 4: map[int]any{1: "x"}}}}), "value 1 is both a value and an error"},
		{toB, msg(t, "a", map[int]any{1: "cmd", 2: 2}), "both sides declared it in"},
		{toB, msg(t, "a", map[int]any{1: "cmd", 2: 1}, map[int]any{1: "cmd", 2: 1}), `channel \"cmd\" appears twice`},
		{toA, msg(t, "b", map[int]any{1: "cmd", 2: 2, 5: 1, 6: []any{map[int]any{1: 1, 3: []byte{1}}}}), "a receiving side offers values"},
		{toA, msg(t, "b", map[int]any{1: "cmd", 2: 2, 7: 1, 8: 2}), "durable 2 beyond accepted 1"},
	}
	for _, h := range hostile {
		require.NoError(t, nc.Publish(h.subject, h.data))
	}
	require.NoError(t, nc.Flush())

	runUntil(t, 100, dead(m, sl), a, b)
	require.Equal(t, case20Output, text(*out))
	logs := a.logs.String() + b.logs.String()
	for _, h := range hostile {
		require.Contains(t, logs, h.reason)
	}
	require.Equal(t, uint64(2), a.l.Stats().Refused)
	require.Equal(t, uint64(len(hostile)-2), b.l.Stats().Refused)
	require.Equal(t, len(hostile), strings.Count(logs, "refused a message from the peer"))
}

// Bad arguments are errors that say what to do.
func TestMisuseErrors(t *testing.T) {
	s := startNATS(t)
	a := newZone(t, s, "a", "b", 1)
	_, err := xchan.Out[string](a.l, "c")
	require.NoError(t, err)
	_, err = xchan.In[string](a.l, "c")
	require.EqualError(t, err, `xchan: channel "c" of the link to b is declared twice`)
	_, err = xchan.In[string](a.l, "c d")
	require.EqualError(t, err, `xchan: channel "c d": want 1 to 128 letters, digits, '-' or '_'`)
	require.EqualError(t, a.l.Close("nope"), `xchan: close: no channel "nope" on the link to b`)
	_, err = a.l.Balance("nope")
	require.EqualError(t, err, `xchan: balance: no channel "nope" on the link to b`)
	_, err = xchan.Open(a.w, xchan.Config{Conn: a.nc, Local: "a", Peer: "a"})
	require.EqualError(t, err, `xchan: open: zone names "a" and "a": want two different names of 1 to 128 letters, digits, '-' or '_'`)
	_, err = xchan.Open(a.w, xchan.Config{Local: "a", Peer: "b"})
	require.EqualError(t, err, "xchan: open: Config.Conn is nil (connect to NATS first)")
}

// A save whose link state is corrupt, or that declares a channel the other way round,
// is refused at Open or at the declaration, with the reason.
func TestBadSavedState(t *testing.T) {
	s := startNATS(t)
	w, err := world.New(world.Config{Seed: 1})
	require.NoError(t, err)
	mb := world.NewMailbox[[]byte](w, 0, "xchan.link.b")
	require.True(t, mb.Post(w, []byte("garbage")))
	_, err = xchan.Open(w, xchan.Config{Conn: connect(t, s), Local: "a", Peer: "b"})
	require.ErrorContains(t, err, "xchan: link to b: saved state: ")

	bad, err := cbor.Marshal(map[int]any{1: 1, 2: []any{map[int]any{1: "c", 2: 2, 10: 1, 11: []any{map[int]any{1: 5, 3: []byte{1}}}}}})
	require.NoError(t, err)
	mb.TryTake(w)
	require.True(t, mb.Post(w, bad))
	_, err = xchan.Open(w, xchan.Config{Conn: connect(t, s), Local: "a", Peer: "b"})
	require.EqualError(t, err, `xchan: link to b: saved state: channel "c": pending value 5, want 2`)

	a := newZone(t, s, "a", "b", 1)
	_, err = xchan.Out[string](a.l, "c")
	require.NoError(t, err)
	path := save(t, a)
	w, err = world.LoadFile(world.DefaultCodec(), path, world.Config{})
	require.NoError(t, err)
	l, err := xchan.Open(w, xchan.Config{Conn: connect(t, s), Local: "a", Peer: "b"})
	require.NoError(t, err)
	_, err = xchan.In[string](l, "c")
	require.EqualError(t, err, `xchan: channel "c" of the link to b was saved as out, declared in`)
}

// A sender killed after its value was offered: the peer still gets the value (the
// documented limit), the link logs it, and the next sender is served in order.
func TestKilledSenderAfterOffer(t *testing.T) {
	a, b, send, recv := pair(t)
	newLog(t, "a")
	out := newLog(t, "b")
	first := a.w.Spawn(&party{Ch: send, Log: "a", Name: "x", N: 1})
	second := a.w.Spawn(&party{Ch: send, Log: "a", Name: "y", N: 1})
	step(t, a, b) // both offered at a's boundary 1
	require.NoError(t, first.Kill(a.w.Scheduler().Main()).Wait())
	r := b.w.Spawn(&party{Recv: true, Ch: recv, Log: "b", Name: "r", N: 2})
	runUntil(t, 100, dead(second, r), a, b)
	require.Equal(t, []string{"r got x-0", "r got y-0"}, matching(*out, " got "))
	require.Contains(t, a.logs.String(), "a sender left the channel before the peer took its value")
	require.Equal(t, uint64(1), a.l.Stats().Released)
}
