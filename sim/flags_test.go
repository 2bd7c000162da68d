package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStartedByKind checks Started for each kind. Inside sim the main and hard tasklets
// carry flagFresh ("not a plain step") for good, so Started reads their state elsewhere.
func TestStartedByKind(t *testing.T) {
	s := NewScheduler(Options{})
	defer s.Close()
	require.True(t, s.Main().Started())
	var startedInside bool
	h := s.SpawnHard(func(h *Tasklet) error {
		startedInside = h.Started()
		return h.Schedule().Wait()
	})
	soft := s.Spawn(lookValue{})
	require.False(t, h.Started())
	require.False(t, soft.Started())
	require.NoError(t, s.Schedule())
	require.True(t, startedInside)
	require.True(t, h.Started())
	require.True(t, soft.Started())
	require.NoError(t, s.CheckInvariants())
	require.NoError(t, s.Schedule()) // h returns
	require.False(t, h.Alive())
	require.False(t, h.Started(), "a dead tasklet has no frame, as in Stackless")
	require.NoError(t, soft.KillPending())
	require.NoError(t, s.Schedule()) // soft runs, raises ErrTaskletExit and dies
	require.False(t, soft.Alive())
	require.False(t, soft.Started())
	require.NoError(t, s.CheckInvariants())
}
