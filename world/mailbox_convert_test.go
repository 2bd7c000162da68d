package world_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/world"
)

// An integer posted untyped to a mailbox of strings does not fit: it was converted to the
// rune with that code (5 became "\x05").
func TestPostAnyRefusesANumberForAString(t *testing.T) {
	w := newWorld(t, world.Config{Seed: 1})
	id := w.NewEntity(w.Kind("sheep"), world.Vec{X: 1, Y: 1})
	inbox := world.NewMailbox[string](w, id, "inbox")
	require.False(t, world.PostAny(w, inbox.ID, int64(5)))
	require.False(t, world.PostAny(w, inbox.ID, uint64(65)))
	require.True(t, world.PostAny(w, inbox.ID, "a"))
	require.True(t, world.PostAny(w, inbox.ID, []byte("b")))
	var got []string
	for m, ok := inbox.TryTake(w); ok; m, ok = inbox.TryTake(w) {
		got = append(got, m)
	}
	require.Equal(t, []string{"a", "b"}, got)
}
