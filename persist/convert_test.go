package persist

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/stackworld/stackworld/sim"

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

// TestConvertIntegers: a decoded integer (int64, uint64, or a channel id) goes into an
// integer field of either sign and any size, or a channel handle, only when it fits;
// otherwise the error says why.
func TestConvertIntegers(t *testing.T) {
	c := &converter{}
	store := func(dst any, v any) string {
		err := c.set(reflect.ValueOf(dst).Elem(), v)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprint(reflect.ValueOf(dst).Elem().Interface())
	}
	var i8 int8
	var i64 int64
	var u8 uint8
	var u64 uint64
	var ch sim.Chan[int]
	for _, tc := range []struct {
		dst  any
		v    any
		want string
	}{
		{&i8, int64(-128), "-128"},
		{&i8, uint64(127), "127"},
		{&i8, int64(128), "128 overflows int8"},
		{&i64, uint64(math.MaxInt64), "9223372036854775807"},
		{&i64, uint64(math.MaxInt64 + 1), "cannot store uint64 in a int64"},
		{&i64, sim.ChanID(3), "cannot store sim.ChanID in a int64"},
		{&i64, 1.5, "cannot store float64 in a int64"},
		{&u8, int64(255), "255"},
		{&u8, uint64(256), "256 overflows uint8"},
		{&u8, int64(-1), "cannot store int64 in a uint8"},
		{&u64, sim.ChanID(7), "7"},
		{&u64, uint64(math.MaxUint64), "18446744073709551615"},
		{&ch, sim.ChanID(9), "{9}"},
		{&ch, int64(10), "{10}"},
		{&ch, int64(-1), "cannot store int64 in a sim.Chan[int]"},
		{&ch, uint64(sim.MaxChanID) + 1, "cannot store uint64 in a sim.Chan[int]"},
	} {
		require.Equal(t, tc.want, store(tc.dst, tc.v), "%T ← %T %v", tc.dst, tc.v, tc.v)
	}
}
