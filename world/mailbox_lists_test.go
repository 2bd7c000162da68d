package world_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// TestMailboxListsFollowTheMailboxes makes, drops (orphans at a tick's end, and an
// exported entity's), loads (each queue as decoded) and converts (on first typed use)
// mailboxes: the world keeps their ids and queues in creation order, side by side, the
// queue of each id the one its posts reach.
func TestMailboxListsFollowTheMailboxes(t *testing.T) {
	w := newWorld(t, world.Config{Seed: 1})
	sheep := w.Kind("sheep")
	var ids []world.EntityID
	var boxes []world.Mailbox[string]
	for i := range 6 {
		id := w.NewEntity(sheep, world.Vec{X: int32(i), Y: 1})
		ids = append(ids, id)
		boxes = append(boxes, world.NewMailbox[string](w, id, "inbox"))
	}
	free := world.NewMailbox[int](w, 0, "free")
	lists := func() []sim.ChanID {
		t.Helper()
		got, err := world.MailLists(w)
		require.NoError(t, err)
		return got
	}
	require.Equal(t, []sim.ChanID{boxes[0].ID, boxes[1].ID, boxes[2].ID, boxes[3].ID, boxes[4].ID, boxes[5].ID, free.ID}, lists())

	w.Despawn(ids[1])
	w.Despawn(ids[4])
	require.NoError(t, w.Tick())
	require.Equal(t, []sim.ChanID{boxes[0].ID, boxes[2].ID, boxes[3].ID, boxes[5].ID, free.ID}, lists())

	_, err := w.Export(migCodec(t), []world.EntityID{ids[2]})
	require.NoError(t, err)
	require.Equal(t, []sim.ChanID{boxes[0].ID, boxes[3].ID, boxes[5].ID, free.ID}, lists())

	require.True(t, boxes[3].Post(w, "three"))
	data, err := w.Save(world.DefaultCodec())
	require.NoError(t, err)
	loaded, err := world.Load(world.DefaultCodec(), data, world.Config{})
	require.NoError(t, err)
	defer loaded.Close()
	w = loaded
	require.Equal(t, []sim.ChanID{boxes[0].ID, boxes[3].ID, boxes[5].ID, free.ID}, lists())
	got, ok := boxes[3].TryTake(w) // converts the loaded queue
	require.True(t, ok)
	require.Equal(t, "three", got)
	require.True(t, world.PostAny(w, free.ID, int64(7)))
	require.Equal(t, []sim.ChanID{boxes[0].ID, boxes[3].ID, boxes[5].ID, free.ID}, lists())
	require.Equal(t, 1, free.Len(w))
	w.Despawn(ids[0])
	require.NoError(t, w.Tick())
	require.Equal(t, []sim.ChanID{boxes[3].ID, boxes[5].ID, free.ID}, lists())
	n, ok := free.TryTake(w)
	require.True(t, ok)
	require.Equal(t, 7, n)
	require.Equal(t, []sim.ChanID{boxes[3].ID, boxes[5].ID, free.ID}, lists())
}
