package persist_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// FuzzLoad starts from real snapshots. Load must never panic; when it succeeds, the state
// must save, and save → load → save must give the same bytes. Raw and its JSON view must
// never panic either.
func FuzzLoad(f *testing.F) {
	c := codec(f)
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
