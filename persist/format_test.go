package persist_test

import (
	"os"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// format1Fixture is richWorld saved by format 1 (before the document checksum), at the
// tests' current schema. It is never rewritten: old saves load forever.
const format1Fixture = "testdata/format1-schema2.cbor"

// TestFormat1Loads loads the format-1 fixture and checks that it is richWorld: saving
// it gives the bytes of saving richWorld today.
func TestFormat1Loads(t *testing.T) {
	c := codec(t)
	data, err := os.ReadFile(format1Fixture)
	require.NoError(t, err)
	require.Equal(t, byte(1), data[12], "the fixture is format 1")
	s, snap := load(t, c, data, sim.RestoreOptions{})
	require.Equal(t, 1, snap.Format)
	require.Equal(t, save(t, c, richWorld(t)), save(t, c, s))
}
