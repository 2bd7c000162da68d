package sim_test

import (
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// dropAll makes n channels and drops them, returning their ids in order.
func dropAll(t *testing.T, s *sim.Scheduler, n int) []sim.ChanID {
	ids := make([]sim.ChanID, n)
	for i := range ids {
		ids[i] = s.NewChannel().ID()
	}
	for _, id := range ids {
		require.NoError(t, s.DropChannel(id))
	}
	return ids
}

// TestChannelSlotsReused drops more than ChanRest channels: the next channel takes the slot
// dropped first with generation 1, the dropped id names no channel (a receive on it fails
// naming the id), and the table does not grow.
func TestChannelSlotsReused(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	ids := dropAll(t, s, sim.ChanRest+2)
	require.Equal(t, []sim.ChanID{1, 2, 3}, ids[:3], "first-generation ids are the slots")
	_, size := s.NextIDs()
	fresh := s.NewChannel()
	require.Equal(t, sim.ChanID(1<<32|1), fresh.ID())
	require.Equal(t, uint32(1), fresh.ID().Slot())
	require.Equal(t, uint32(1), fresh.ID().Gen())
	_, after := s.NextIDs()
	require.Equal(t, size, after, "a reused slot does not grow the table")
	require.Nil(t, s.Channel(1), "the dropped id names no channel")
	require.Same(t, fresh, s.Channel(fresh.ID()))
	require.Len(t, s.FreeChans(), sim.ChanRest+1)
	require.NoError(t, s.CheckInvariants())

	var errs []string
	s.SetErrorHandler(func(t *sim.Tasklet, err error) error { errs = append(errs, err.Error()); return nil })
	stale := sim.ChanOf[int](1)
	s.Spawn(stepFunc(func(t *sim.T) sim.Op { return stale.Recv(t).Then(1) }))
	s.Spawn(stepFunc(func(t *sim.T) sim.Op { return stale.Send(t, 5).Then(1) }))
	require.NoError(t, s.Run())
	require.Equal(t, []string{
		"sim: receive on channel 1 by tasklet 2: no such channel",
		"sim: send on channel 1 by tasklet 3: no such channel",
	}, errs)
	require.Equal(t, 0, fresh.Balance(), "nothing reached the slot's new channel")
}

// TestChannelGenerationsRetire starts every free slot at the last generation: each is
// issued once more, then retired on its drop instead of wrapping; the free list survives
// Snapshot and Restore, and the restored scheduler issues the ids the saved one would.
func TestChannelGenerationsRetire(t *testing.T) {
	n := sim.ChanRest + 3
	img := &sim.Image{NextID: 2, NextChan: sim.ChanID(n + 1)}
	for slot := 1; slot <= n; slot++ {
		img.FreeChans = append(img.FreeChans, sim.ChanID(sim.MaxChanGen)<<32|sim.ChanID(slot))
	}
	s := sim.NewScheduler(sim.Options{})
	require.NoError(t, s.Restore(img, sim.RestoreOptions{}))
	require.NoError(t, s.CheckInvariants())

	ch := s.NewChannel()
	require.Equal(t, sim.MaxChanGen<<32|sim.ChanID(1), ch.ID())
	require.NoError(t, s.DropChannel(ch.ID()))
	require.Len(t, s.FreeChans(), n-1, "a slot at the last generation is retired, not freed")
	require.NoError(t, s.CheckInvariants())

	saved, _, err := s.Snapshot(sim.SnapshotOptions{})
	require.NoError(t, err)
	r := sim.NewScheduler(sim.Options{})
	require.NoError(t, r.Restore(saved, sim.RestoreOptions{}))
	again, _, err := r.Snapshot(sim.SnapshotOptions{})
	require.NoError(t, err)
	require.Equal(t, saved, again)
	for range 2 {
		require.Equal(t, s.NewChannel().ID(), r.NewChannel().ID())
	}
	// Below ChanRest free slots, new channels take new slots.
	_, size := r.NextIDs()
	require.Equal(t, sim.ChanID(n+1), size)
	require.Equal(t, sim.ChanID(n+1), r.NewChannel().ID())
}

// TestRestoreRejectsBadFreeLists refuses free lists that would alias a channel.
func TestRestoreRejectsBadFreeLists(t *testing.T) {
	for _, tc := range []struct {
		free []sim.ChanID
		want string
	}{
		{[]sim.ChanID{1<<32 | 1}, "sim: restore: channel 4294967297: free list: slot 1 holds a channel"},
		{[]sim.ChanID{1<<32 | 2, 2<<32 | 2}, "sim: restore: channel 8589934594: free list: slot 2 listed twice"},
		{[]sim.ChanID{2}, "sim: restore: channel 2: free list: id out of range: slot not in [1, 3) or generation not in [1, 16777215]"},
		{[]sim.ChanID{1<<32 | 3}, "sim: restore: channel 4294967299: free list: id out of range: slot not in [1, 3) or generation not in [1, 16777215]"},
	} {
		img := &sim.Image{NextID: 2, NextChan: 3, Channels: []sim.ChannelState{{ID: 1, Preference: -1}}, FreeChans: tc.free}
		require.EqualError(t, sim.NewScheduler(sim.Options{}).Restore(img, sim.RestoreOptions{}), tc.want)
	}
}
