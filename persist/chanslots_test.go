package persist_test

import (
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// TestChannelFreeListSaved churns channels until slots are reused: the save carries the
// free list, save → load → save is byte-identical, and the loaded scheduler issues the ids
// the saved one would.
func TestChannelFreeListSaved(t *testing.T) {
	c := codec(t)
	s := sim.NewScheduler(sim.Options{})
	live := []sim.ChanID{}
	for i := range 3 * sim.ChanRest {
		live = append(live, s.NewChannel().ID())
		if i%3 != 0 {
			require.NoError(t, s.DropChannel(live[0]))
			live = live[1:]
		}
	}
	require.Greater(t, live[len(live)-1].Gen(), uint32(0), "the churn reused slots")
	require.NotEmpty(t, s.FreeChans())
	data := save(t, c, s)
	r, _, err := c.Load(data, sim.RestoreOptions{})
	require.NoError(t, err)
	require.NoError(t, r.CheckInvariants())
	require.Equal(t, data, save(t, c, r))
	require.Equal(t, s.FreeChans(), r.FreeChans())
	for range sim.ChanRest {
		a, b := s.NewChannel().ID(), r.NewChannel().ID()
		require.Equal(t, a, b)
		require.NoError(t, s.DropChannel(a))
		require.NoError(t, r.DropChannel(b))
	}
	require.Nil(t, r.Channel(1), "a dropped id stays unknown after a load")
}
