package difftest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// savedNapper returns a save of a Napper frame asleep at its first resume point, Sleep#1.
func savedNapper(t *testing.T) []byte {
	t.Helper()
	codec, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	s.Spawn(&NapperFrame{})
	require.NoError(t, s.Tick())
	data, _, err := codec.Save(s)
	require.NoError(t, err)
	return data
}

// renamePCs edits the resume point names in a save's type table, as a save written by an
// older version of the source would have them (same lengths: the CBOR stays valid), and
// rewrites the document's checksum (CRC-32C of all but its last 5 bytes, big-endian last).
func renamePCs(data []byte, from ...string) []byte {
	out := bytes.Clone(data)
	for i := 0; i+1 < len(from); i += 2 {
		out = bytes.ReplaceAll(out, []byte(from[i]), []byte(from[i+1]))
	}
	n := len(out) - 4
	binary.BigEndian.PutUint32(out[n:], crc32.Checksum(out[:n-1], crc32.MakeTable(crc32.Castagnoli)))
	return out
}

// TestLoadMapsResumePointsByName: a save from a version of Napper whose two sleeps came in
// the other order (its resume point 1 was named Sleep#2) resumes at this program's Sleep#2.
func TestLoadMapsResumePointsByName(t *testing.T) {
	codec, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	data := renamePCs(savedNapper(t), "Sleep#1", "Sleep#X", "Sleep#2", "Sleep#1", "Sleep#X", "Sleep#2")
	s, _, err := codec.Load(data, sim.RestoreOptions{})
	require.NoError(t, err)
	defer s.Close()
	var pcs []sim.PC
	s.Each(func(x *sim.Tasklet) bool {
		if x.Kind() == sim.Soft {
			pcs = append(pcs, x.At())
		}
		return true
	})
	require.Equal(t, []sim.PC{napperSleep2}, pcs)
	Out = nil
	for range 3 {
		require.NoError(t, s.Tick())
	}
	require.Equal(t, "napper woke twice\n", Text())
}

// TestLoadRefusesVanishedResumePoint: a save at a resume point the program no longer has
// fails to load, naming it.
func TestLoadRefusesVanishedResumePoint(t *testing.T) {
	codec, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	data := renamePCs(savedNapper(t), "Sleep#1", "Sleep#9")
	s, _, err := codec.Load(data, sim.RestoreOptions{})
	require.Error(t, err)
	require.Nil(t, s)
	require.True(t, errors.Is(err, persist.ErrLayout), "%v", err)
	require.EqualError(t, err, `persist: load: tasklet 2, frame 0: type "difftest.Napper": resume point "Sleep#9" (1 in the file) no longer exists in this program (its resume points are ["start" "Sleep#1" "Sleep#2"]; add an upgrade from schema 1 that moves such frames to one of them)`)
}
