package persist_test

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/persist/persistbench"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// FuzzLoad starts from real snapshots. Load must never panic; when it succeeds, the state
// must save, and save → load → save must give the same bytes. Raw and its JSON view must
// never panic either. The checksum is skipped, so that the mutated bytes reach the
// decoder (FuzzLoadEdited keeps it).
func FuzzLoad(f *testing.F) {
	opts := persist.DefaultOptions()
	opts.SkipChecksum = true
	c, err := opts.Codec()
	require.NoError(f, err)
	f.Add(save(f, c, richWorld(f)))
	f.Add(small(f))
	files, _ := filepath.Glob("testdata/frames/*.cbor")
	files = append(files, schema1Fixture)
	for _, name := range files {
		data, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if raw, err := c.Raw(data); err == nil {
			_, err := raw.JSON()
			require.NoError(t, err)
		}
		s, _, err := c.Load(data, sim.RestoreOptions{})
		if err != nil {
			return
		}
		once, _, err := c.Save(s)
		require.NoError(t, err)
		s2, _, err := c.Load(once, sim.RestoreOptions{})
		require.NoError(t, err)
		twice, _, err := c.Save(s2)
		require.NoError(t, err)
		require.Equal(t, once, twice)
	})
}

// FuzzLoadEdited is structure-aware: it decodes a real save into its generic CBOR tree,
// edits one field (an id, a count, a reference, a flag, a value: any integer of the
// document, set, nudged or replaced by an edge value, or an array element dropped or
// repeated), encodes it again with a correct checksum so that the edit reaches the
// checks, and loads it. Load must not panic, must stay within its memory bound, and if it
// succeeds, save → load → save must give the same bytes.
func FuzzLoadEdited(f *testing.F) {
	c := codec(f)
	docs := [][]byte{small(f), save(f, c, richWorld(f)), save(f, c, persistbench.World(40)),
		save(f, c, sim.NewScheduler(sim.Options{}), persist.Section{Name: "v", Value: &Bag{M: map[string]int{"a": 1}, S: []string{"x"}}})}
	for doc := range len(docs) {
		for op := range uint8(6) {
			f.Add(uint8(doc), uint32(op*7+uint8(doc)), op, uint64(op)*3)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, leaf uint32, op uint8, val uint64) {
		tree := decodeTree(t, docs[int(which)%len(docs)])
		mutate(tree, int(leaf), op, val)
		data, err := treeEnc.Marshal(tree)
		require.NoError(t, err)
		data = persist.Reseal(data)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, _, err := c.Load(data, sim.RestoreOptions{})
		_, rawErr := c.Raw(data)
		runtime.ReadMemStats(&after)
		require.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, 2*(64*uint64(len(data))+16<<21+64<<10))
		if err != nil {
			return
		}
		require.NoError(t, rawErr, "Raw refuses what Load accepts")
		once, _, err := c.Save(s)
		require.NoError(t, err)
		s2, _, err := c.Load(once, sim.RestoreOptions{})
		require.NoError(t, err)
		twice, _, err := c.Save(s2)
		require.NoError(t, err)
		require.Equal(t, once, twice)
	})
}

// edgeValues are the integers most likely to be off by one somewhere.
var edgeValues = []uint64{0, 1, 2, 3, 23, 24, 255, 256, 1 << 16, 1<<21 - 1, 1 << 21, 1 << 22, 1 << 24,
	1<<31 - 1, 1 << 31, 1<<32 - 1, 1 << 32, 1 << 63, math.MaxUint64}

// mutate edits the integer leaf of tree numbered leaf (modulo their number; map contents
// are left alone, so that the numbering is deterministic): op 0 sets it to val, 1 to an
// edge value, 2 adds a small signed delta, 3 negates it, 4 drops it from its array, 5
// repeats it there (the array's length changes, its count elsewhere does not).
func mutate(tree []any, leaf int, op uint8, val uint64) {
	type slot struct {
		arr []any
		i   int
		set func([]any) // replaces arr in its parent
	}
	var slots []slot
	var walk func(x []any, set func([]any))
	walk = func(x []any, set func([]any)) {
		for i, e := range x {
			switch e := e.(type) {
			case uint64, int64:
				slots = append(slots, slot{x, i, set})
			case []any:
				walk(e, func(n []any) { x[i] = n })
			}
		}
	}
	walk(tree, func([]any) {})
	if len(slots) == 0 {
		return
	}
	sl := slots[leaf%len(slots)]
	var n int64
	switch x := sl.arr[sl.i].(type) {
	case uint64:
		n = int64(x)
	case int64:
		n = x
	}
	switch op % 6 {
	case 0:
		sl.arr[sl.i] = val
	case 1:
		sl.arr[sl.i] = edgeValues[val%uint64(len(edgeValues))]
	case 2:
		sl.arr[sl.i] = n + int64(int8(val))
	case 3:
		sl.arr[sl.i] = -n - 1
	case 4:
		sl.set(append(sl.arr[:sl.i:sl.i], sl.arr[sl.i+1:]...))
	case 5:
		sl.set(append(sl.arr[:sl.i+1:sl.i+1], sl.arr[sl.i:]...))
	}
}
