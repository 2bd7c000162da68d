package persist

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUpgradeMatchingNothing runs a faulty upgrade of the schema-1 fixture, which edits
// frames named "ptest.Tally" while they are used through pointers ("*ptest.Tally"): the
// conversion refuses the frames that lack the new field instead of loading zeros. (The
// test's types are registered by package persist_test, in the same test binary.)
func TestUpgradeMatchingNothing(t *testing.T) {
	c, err := DefaultOptions().Codec()
	require.NoError(t, err)
	raw, err := c.RawFile("testdata/format1-schema1.cbor")
	require.NoError(t, err)
	raw.RenameType("ptest.Counter", "ptest.Tally")
	raw.EachFrame(func(_ *RawTasklet, f *RawFrame) {
		if f.Type == "ptest.Tally" { // wrong: the frame is "*ptest.Tally"
			s := f.Value.(*RawStruct)
			s.Rename("N", "Count")
			s.Set("By", int64(1))
		}
	})
	_, _, err = (&converter{reg: current(), max: 64}).image(raw)
	require.EqualError(t, err, `persist: load: tasklet 3, frame 0: *ptest.Tally: field Count of persist_test.Tally is not in the snapshot (an upgrade that adds it sets it with RawStruct.Set; check the type name it matches: frames used through pointers are named "*name")`)
	require.ErrorIs(t, err, ErrLayout)
}
