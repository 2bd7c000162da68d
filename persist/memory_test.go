package persist_test

import (
	"bytes"
	"math"
	"runtime"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/persist/persistbench"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// allocated returns the bytes f allocates (cumulative, so at least its peak).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Empty is a frame type with no fields: one byte a frame.
type Empty struct{}

func (Empty) Step(t *sim.T) sim.Op { return t.ScheduleRemove(nil).Then(0) }

func init() { persist.Register[Empty]("ptest.Empty") }

// claim replaces the CBOR head at the start of the only occurrence of marker in data
// with head (claiming another length) and reseals the document.
func claim(t testing.TB, data []byte, marker string, head []byte) []byte {
	t.Helper()
	require.Equal(t, 1, bytes.Count(data, []byte(marker)))
	i := bytes.Index(data, []byte(marker))
	out := append(append(append([]byte(nil), data[:i]...), head...), data[i+1:]...)
	return persist.Reseal(out)
}

// TestLoadMemoryBound loads crafted documents that claim huge lengths, counts and ids,
// and real ones made of the smallest items: Load and Raw never allocate more than the
// bound of the package documentation, 64 bytes per input byte plus 16 per channel slot
// plus 64 KiB.
func TestLoadMemoryBound(t *testing.T) {
	c := codec(t)
	marked := save(t, c, sim.NewScheduler(sim.Options{}), persist.Section{Name: "v", Value: &Tree{Kids: []any{"MARKER"}}})
	empties := sim.NewScheduler(sim.Options{})
	for range 20_000 {
		empties.Spawn(Empty{})
	}
	require.NoError(t, empties.Run()) // all paused: one frame each
	sparse := edit(t, save(t, c, persistbench.IdleWorld(2000)), func(doc []any) {
		doc[5].([]any)[0] = uint64(math.MaxUint32)
		ids := col(doc, 1)
		for i := range ids {
			ids[i] = uint64(1 << 21) // ids 2^21, 2^22, ... : a sparse table
		}
	})
	letters := map[string]int{}
	for i := range 30_000 {
		letters[string(rune('A'+i%50))+string(rune('A'+i/50%50))+string(rune('A'+i/2500))] = 0
	}
	manyTypes := edit(t, small(t), func(doc []any) {
		for i := range 20_000 {
			doc[4] = append(doc[4].([]any), []any{string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)), nil, []any{}})
		}
	})
	for name, data := range map[string][]byte{ // determinism: independent cases
		"unknown types": manyTypes,
		"tasklet count": edit(t, small(t), func(doc []any) { doc[7].([]any)[0] = uint64(1<<22 - 1) }),
		"type table":    claim(t, marked, "\x83fstring", []byte{0x9a, 0x00, 0xff, 0xff, 0xff}), // a type entry claims 2^24-1 elements
		"slice":         claim(t, marked, "\x81\x82\x01fMARKER", []byte{0x9a, 0x00, 0xff, 0xff, 0xff}),
		"string":        claim(t, marked, "fMARKER", []byte{0x7a, 0x03, 0xff, 0xff, 0xff}),
		"channel slots": edit(t, small(t), func(doc []any) { doc[5].([]any)[1] = uint64(1 << 21) }),
		"sparse ids":    sparse,
		"empty frames":  save(t, c, empties),
		"nil values":    save(t, c, sim.NewScheduler(sim.Options{}), persist.Section{Name: "v", Value: &Tree{Kids: make([]any, 100_000)}}),
		"map entries":   save(t, c, sim.NewScheduler(sim.Options{}), persist.Section{Name: "v", Value: &Bag{M: letters}}),
	} {
		t.Run(name, func(t *testing.T) {
			var slots uint64 = 1 // the channel table's slots (the next channel id)
			var doc []any
			if treeDec.Unmarshal(data, &doc) == nil {
				slots = min(doc[5].([]any)[1].(uint64), 1<<21)
			}
			bound := 64*uint64(len(data)) + 16*slots + 64<<10
			var err error
			nl := allocated(func() { _, _, err = c.Load(data, sim.RestoreOptions{}) })
			require.LessOrEqual(t, nl, bound, "Load allocated %d bytes for %d (%v)", nl, len(data), err)
			nr := allocated(func() { _, err = c.Raw(data) })
			require.LessOrEqual(t, nr, bound, "Raw allocated %d bytes for %d (%v)", nr, len(data), err)
			t.Logf("%d bytes, %d slots: Load allocates %d (%.1f a byte), Raw %d (%.1f a byte)",
				len(data), slots, nl, float64(nl)/float64(len(data)), nr, float64(nr)/float64(len(data)))
		})
	}
}
