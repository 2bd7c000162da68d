package persist_test

import (
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

func codec(t testing.TB) *persist.Codec {
	t.Helper()
	c, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	return c
}

func TestSmoke(t *testing.T) {
	out.Reset()
	c := codec(t)
	s := sim.NewScheduler(sim.Options{})
	tk := s.Spawn(&Rec{N: 3})
	require.NoError(t, s.Run())
	require.True(t, tk.Paused())
	data, rep, err := c.Save(s)
	require.NoError(t, err)
	t.Logf("%d bytes %+v", len(data), rep)
	raw, err := c.Raw(data)
	require.NoError(t, err)
	t.Logf("%+v", raw)
	s2, snap, err := c.Load(data, sim.RestoreOptions{Paused: true})
	require.NoError(t, err)
	t.Logf("%+v", snap)
	out.Reset()
	insertAll(t, s2)
	require.NoError(t, s2.Run())
	require.Equal(t, "leave 3\nleave 2\nleave 1\nleave 0\n", out.String())
}

// insertAll inserts every paused tasklet, in Each order.
func insertAll(t testing.TB, s *sim.Scheduler) {
	t.Helper()
	var paused []*sim.Tasklet
	s.Each(func(x *sim.Tasklet) bool {
		if x.State() == sim.StatePaused {
			paused = append(paused, x)
		}
		return true
	})
	for _, x := range paused {
		require.NoError(t, x.Insert())
	}
}
