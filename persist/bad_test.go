package persist_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// small is a two-tasklet snapshot: consumer 3 blocked on channel 1, sleeper 2.
func small(t testing.TB) []byte {
	s := sim.NewScheduler(sim.Options{})
	s.Spawn(&Sleeper{Name: "x", Ticks: 2, N: 1})
	ch := sim.NewChan[any](s)
	s.Spawn(&Consumer{Ch: ch, Name: "c"})
	require.NoError(t, s.Run())
	return save(t, codec(t), s)
}

// replace replaces the one occurrence of old in a document and reseals it (a correct
// checksum), so that the edit reaches the checks behind the checksum.
func replace(t testing.TB, data []byte, old, new string) []byte {
	t.Helper()
	require.Equal(t, 1, bytes.Count(data, []byte(old)), "pattern %x", old)
	return persist.Reseal(bytes.Replace(data, []byte(old), []byte(new), 1))
}

// Tree nests values as deep as asked.
type Tree struct{ Kids []any }

func init() { persist.Register[Tree]("ptest.Tree") }

func TestBadInput(t *testing.T) {
	c := codec(t)
	good := small(t)
	deep := &Tree{}
	for range 100 {
		deep = &Tree{Kids: []any{deep}}
	}
	deepOpts := persist.DefaultOptions()
	deepOpts.MaxNesting = 1000
	dc, err := deepOpts.Codec()
	require.NoError(t, err)
	deepData, _, err := dc.Save(sim.NewScheduler(sim.Options{}), persist.Section{Name: "deep", Value: deep})
	require.NoError(t, err)
	schema := string([]byte{byte(persist.CurrentSchema())})

	for _, tc := range []struct {
		name, want string
		kind       error
		data       []byte
	}{
		{"wrong magic", `persist: load: not a stackworld snapshot (it does not start with ["stackworld", ...])`, persist.ErrBadMagic,
			replace(t, good, "stackworld", "stackwerld")},
		{"not cbor", `persist: load: not a stackworld snapshot (it does not start with ["stackworld", ...])`, persist.ErrBadMagic,
			[]byte("PNG\x89 not a snapshot")},
		{"empty", `persist: load: empty file`, persist.ErrTruncated, nil},
		{"newer format", `persist: load: header: format 4 is newer than this program reads (3): update stackworld`, persist.ErrNewerFormat,
			replace(t, good, "stackworld\x03\xa1\x60"+schema, "stackworld\x04\xa1\x60"+schema)},
		{"newer schema", `persist: load: header: schema 9 is newer than this program's schema 2: update the program`, persist.ErrNewerSchema,
			replace(t, good, "stackworld\x03\xa1\x60"+schema, "stackworld\x03\xa1\x60\x09")},
		{"unknown type", `persist: load: tasklet 2, frame 0: unknown type "ptest.Sleepex" (register it with persist.Register, or add an upgrade from schema 2)`, persist.ErrUnknownType,
			replace(t, good, "ptest.Sleeper", "ptest.Sleepex")},
		{"layout changed", `persist: load: tasklet 2, frame 0: type "ptest.Sleeper" has layout {Name string; Ticks int; X int} in the file but {Name string; Ticks int; N int} in this program (bump the schema and add an upgrade from schema 2)`, persist.ErrLayout,
			replace(t, good, "Ticks int; N int}", "Ticks int; X int}")},
		{"duplicate ids", `persist: load: tasklet 3: a second tasklet with this id`, persist.ErrInconsistent,
			replace(t, good, "\x82\x03\x20\x80", "\x82\x03\x00\x80")},
		{"dangling channel", `persist: load: tasklet 3: blocked on channel 5, which is not in the channel table`, persist.ErrInconsistent,
			replace(t, good, "\x82\x02\x03\x81\x01\x81\x02", "\x82\x02\x03\x81\x05\x81\x02")},
		{"absurd count", `persist: load: tasklets: tasklet count 2147483647 out of range [0, 4194304] (at byte 172)`, persist.ErrMalformed,
			replace(t, good, "\x8a\x02\x82\x03", "\x8a\x1a\x7f\xff\xff\xff\x82\x03")},
		{"absurd array", `persist: load: tasklets: tasklet ids: want 2 elements, found 2147483647 (at byte 173)`, persist.ErrMalformed,
			replace(t, good, "\x8a\x02\x82\x03", "\x8a\x02\x9a\x7f\xff\xff\xff\x03")},
		{"absurd nesting", `persist: load: section "deep": values nested deeper than 64 (MaxNesting) (at byte 332)`, persist.ErrLimit, deepData},
		{"trailing bytes", `persist: load: the document does not end with its checksum: the file is truncated or corrupt; restore an earlier save`, persist.ErrChecksum, append(bytes.Clone(good), 0)},
		{"trailing bytes resealed", `persist: load: end: 1 bytes after the document (at byte 197)`, persist.ErrMalformed, persist.Reseal(append(bytes.Clone(good), 0))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sim.NewScheduler(sim.Options{})
			_, err := c.LoadInto(s, tc.data, sim.RestoreOptions{})
			require.EqualError(t, err, tc.want)
			if tc.kind != nil {
				require.ErrorIs(t, err, tc.kind)
			}
			var le *persist.LoadError
			require.ErrorAs(t, err, &le)
			require.Equal(t, sim.Counts{Runnable: 1}, s.Counts(), "nothing changed")
			require.Nil(t, s.Channel(1))
		})
	}
	// Every truncation of a real snapshot is an error, never a panic, with or without the
	// checksum check.
	data := save(t, c, richWorld(t))
	for n := range len(data) {
		_, _, err := c.Load(data[:n], sim.RestoreOptions{})
		require.Error(t, err)
		require.True(t, errors.Is(err, persist.ErrChecksum) || errors.Is(err, persist.ErrTruncated) || errors.Is(err, persist.ErrBadMagic), "%d: %v", n, err)
		require.True(t, strings.HasPrefix(err.Error(), "persist: load: "))
	}
	opts := persist.DefaultOptions()
	opts.SkipChecksum = true
	skip, err := opts.Codec()
	require.NoError(t, err)
	for n := range len(data) {
		_, _, err := skip.Load(data[:n], sim.RestoreOptions{})
		require.True(t, errors.Is(err, persist.ErrTruncated) || errors.Is(err, persist.ErrBadMagic), "%d: %v", n, err)
	}
}

func TestLoadFileErrors(t *testing.T) {
	c := codec(t)
	dir := t.TempDir()
	_, _, err := c.LoadFile(dir+"/missing.cbor", sim.RestoreOptions{})
	require.EqualError(t, err, "persist: load "+dir+"/missing.cbor: no such file or directory")
	path := dir + "/world.cbor"
	require.NoError(t, persist.WriteFileAtomic(path, replace(t, small(t), "ptest.Sleeper", "ptest.Sleepex")))
	_, _, err = c.LoadFile(path, sim.RestoreOptions{})
	require.EqualError(t, err, "persist: load "+path+`: tasklet 2, frame 0: unknown type "ptest.Sleepex" (register it with persist.Register, or add an upgrade from schema 2)`)
}
