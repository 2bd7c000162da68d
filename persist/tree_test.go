package persist_test

import (
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// A tree is a document decoded as generic CBOR ([]any, map[any]any, uint64, int64, string,
// []byte, float64, bool, nil), for tests that edit a real save field by field: doc[5] is
// the scheduler header, doc[7] the tasklet table [n, ids, depths, states, frames,
// channels, wakes, values, errors, timers], doc[8] the channel table [ids, flags],
// doc[9] the sections.
var (
	treeDec, _ = cbor.DecOptions{MaxArrayElements: 1 << 24, MaxNestedLevels: 1 << 10}.DecMode()
	treeEnc, _ = cbor.CoreDetEncOptions().EncMode()
)

func decodeTree(t testing.TB, data []byte) []any {
	t.Helper()
	var doc []any
	require.NoError(t, treeDec.Unmarshal(data, &doc))
	return doc
}

// encodeTree encodes doc in Core Deterministic Encoding, with a correct checksum.
func encodeTree(t testing.TB, doc []any) []byte {
	t.Helper()
	data, err := treeEnc.Marshal(doc)
	require.NoError(t, err)
	return persist.Reseal(data)
}

// edit decodes data, lets f change it, and encodes it again.
func edit(t testing.TB, data []byte, f func(doc []any)) []byte {
	t.Helper()
	doc := decodeTree(t, data)
	f(doc)
	return encodeTree(t, doc)
}

// col returns column k of the tasklet table of doc.
func col(doc []any, k int) []any { return doc[7].([]any)[k].([]any) }

func TestTreeRoundTrip(t *testing.T) {
	for _, data := range [][]byte{small(t), save(t, codec(t), richWorld(t))} {
		require.Equal(t, data, encodeTree(t, decodeTree(t, data)))
	}
}

// TestBadReferences edits one id, count, reference or flag of a real save at a time: each
// is refused before anything is built, with an error naming the part and the object.
func TestBadReferences(t *testing.T) {
	c := codec(t)
	sm, rich := small(t), save(t, c, richWorld(t))
	for _, tc := range []struct {
		name, want string
		kind       error
		data       []byte
	}{
		{"next tasklet id", `persist: load: scheduler: next tasklet id 1 out of range [2, 281474976710656]`, persist.ErrInconsistent,
			edit(t, sm, func(doc []any) { doc[5].([]any)[0] = uint64(1) })},
		{"next channel id 0", `persist: load: scheduler: next channel id 0 (channel ids start at 1)`, persist.ErrInconsistent,
			edit(t, sm, func(doc []any) { doc[5].([]any)[1] = uint64(0) })},
		{"channel slots", `persist: load: scheduler: next channel id 4194304 over the limit 2097152 (MaxChannels: the channel table has a slot per id) (at byte 151)`, persist.ErrLimit,
			edit(t, sm, func(doc []any) { doc[5].([]any)[1] = uint64(1 << 22) })},
		{"tasklet id not below next", `persist: load: tasklet 4: id out of range [2, 4) (the scheduler's next tasklet id)`, persist.ErrInconsistent,
			edit(t, sm, func(doc []any) { col(doc, 1)[0] = uint64(4) })},
		{"channel id not below next", `persist: load: channels: channel 2: id out of range [1, 2) (the scheduler's next channel id)`, persist.ErrInconsistent,
			edit(t, sm, func(doc []any) { doc[8].([]any)[0].([]any)[0] = uint64(2) })},
		{"duplicate channel", `persist: load: channels: channel 1: ids out of order or repeated (after channel 1)`, persist.ErrInconsistent,
			edit(t, rich, func(doc []any) { doc[8].([]any)[0].([]any)[1] = uint64(0) })},
		{"senders and receivers", `persist: load: tasklet 3: channel 1 queues senders and receivers together`, persist.ErrInconsistent,
			edit(t, rich, func(doc []any) { col(doc, 3)[3] = uint64(11 | 256<<3) })},
		{"value and error", `persist: load: tasklet 14: both a value and a pending error`, persist.ErrInconsistent,
			edit(t, rich, func(doc []any) { col(doc, 3)[0] = uint64(1034 | 64<<3) })},
		{"timer for a tasklet that waits for no tick", `persist: load: timers: tasklet 14: a timer entry, but it waits for no tick`, persist.ErrInconsistent,
			edit(t, rich, func(doc []any) { col(doc, 9)[0] = uint64(0) })},
		{"two timer entries", `persist: load: timers: tasklet 9: a second timer entry`, persist.ErrInconsistent,
			edit(t, rich, func(doc []any) { col(doc, 9)[1] = uint64(0) })},
		{"timers out of order", `persist: load: timers: tasklet 10: timer entries out of wake order`, persist.ErrInconsistent,
			edit(t, rich, func(doc []any) { col(doc, 9)[1], col(doc, 9)[2] = int64(1), int64(-2) })},
		{"repeated section", `persist: load: sections: section "a": an empty or repeated name`, persist.ErrInconsistent,
			edit(t, save(t, c, sim.NewScheduler(sim.Options{}), persist.Section{Name: "a", Value: 1}, persist.Section{Name: "b", Value: 2}),
				func(doc []any) { doc[9].([]any)[1].([]any)[0] = "a" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.Load(tc.data, sim.RestoreOptions{})
			require.EqualError(t, err, tc.want)
			require.ErrorIs(t, err, tc.kind)
			_, err = c.Raw(tc.data)
			require.EqualError(t, err, tc.want, "Raw checks the same")
		})
	}
}
