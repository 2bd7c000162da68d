package persist_test

import (
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

type namedFrame struct{ N int }

func (f *namedFrame) Step(t *sim.T) sim.Op { return t.Return() }

func init() { persist.Register[namedFrame]("test.Named", "start", "done") }

func TestTypeNameAndPCName(t *testing.T) {
	name, ok := persist.TypeName(&namedFrame{})
	require.True(t, ok)
	require.Equal(t, "*test.Named", name)
	name, ok = persist.TypeName(namedFrame{})
	require.True(t, ok)
	require.Equal(t, "test.Named", name)
	_, ok = persist.TypeName(struct{}{})
	require.False(t, ok)
	_, ok = persist.TypeName(nil)
	require.False(t, ok)
	require.Equal(t, "done", persist.PCName(&namedFrame{}, 1))
	require.Equal(t, "", persist.PCName(&namedFrame{}, 2))
	require.Equal(t, "", persist.PCName(nil, 0))
}
