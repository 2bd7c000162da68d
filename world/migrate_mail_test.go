package world_test

import (
	"testing"

	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// Messages queued in a mailbox, posted typed or untyped, move with their entity.
func TestMailboxMessagesMove(t *testing.T) {
	c := migCodec(t)
	a := newWorld(t, world.Config{Seed: 1, Zone: 1})
	b := newWorld(t, world.Config{Seed: 1, Zone: 2})
	id := a.NewEntity(a.Kind("x"), world.Vec{})
	mb := world.NewMailbox[string](a, id, "inbox")
	mb.Post(a, "m1")
	world.PostAny(a, mb.ID, "m2")
	data, err := a.Export(c, []world.EntityID{id})
	require.NoError(t, err)
	_, err = b.Import(c, data)
	require.NoError(t, err)
	var got []any
	b.EachMessage(b.MailboxOf(id, "inbox"), func(m any) bool { got = append(got, m); return true })
	require.Equal(t, []any{"m1", "m2"}, got)
}
