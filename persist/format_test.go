package persist_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// format1Fixture is richWorld saved by format 1 (before the document checksum), at the
// tests' current schema. It is never rewritten: old saves load forever.
const format1Fixture = "testdata/format1-schema2.cbor"

// format2Fixture is richWorld saved by format 2 (the checksum, before per-package
// schemas). It is never rewritten.
const format2Fixture = "testdata/format2-schema2.cbor"

// TestOldFormatsLoad loads the fixtures of each older format and checks that they are
// richWorld: saving them gives the bytes of saving richWorld today.
func TestOldFormatsLoad(t *testing.T) {
	c := codec(t)
	for format, path := range []string{1: format1Fixture, 2: format2Fixture} {
		if path == "" {
			continue
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, byte(format), data[12], "the fixture is format %d", format)
		s, snap := load(t, c, data, sim.RestoreOptions{})
		require.Equal(t, format, snap.Format)
		require.Equal(t, save(t, c, richWorld(t)), save(t, c, s))
	}
}

// TestChecksum flips each byte of a snapshot in turn: every flip is refused (almost all by
// the checksum), and with Options.SkipChecksum a flip inside a string still reads.
func TestChecksum(t *testing.T) {
	c := codec(t)
	good := small(t)
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x10
		_, _, err := c.Load(bad, sim.RestoreOptions{})
		require.Error(t, err, "byte %d", i)
		if i >= 13 { // past the magic and format
			require.ErrorIs(t, err, persist.ErrChecksum, "byte %d", i)
		}
	}
	path := filepath.Join(t.TempDir(), "world.cbor")
	bad := bytes.Clone(good)
	k := bytes.Index(bad, []byte("ptest.Sleeper")) + 6
	bad[k] = 'T' // "ptest.Tleeper"
	require.NoError(t, os.WriteFile(path, bad, 0o644))
	_, _, err := c.LoadFile(path, sim.RestoreOptions{})
	require.EqualError(t, err, "persist: load "+path+": checksum mismatch (stored 0x87b03f9c, computed 0xb9d31824): the file is corrupt; restore an earlier save")
	_, err = c.RawFile(path)
	require.ErrorIs(t, err, persist.ErrChecksum)

	opts := persist.DefaultOptions()
	opts.SkipChecksum = true
	force, err := opts.Codec()
	require.NoError(t, err)
	raw, err := force.RawFile(path)
	require.NoError(t, err)
	require.Equal(t, "*ptest.Tleeper", raw.Types[1].Name)
	_, _, err = force.LoadFile(path, sim.RestoreOptions{})
	require.ErrorIs(t, err, persist.ErrUnknownType, "the other checks still apply")
}
