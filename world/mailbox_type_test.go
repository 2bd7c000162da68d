package world_test

import (
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// typedMailboxSave is a save with a diver waiting on its inbox (a Mailbox[string] in its
// frames) that holds two messages, and a watcher whose AoI notify mailbox holds events.
func typedMailboxSave(t *testing.T) (data []byte, inbox, aoi sim.ChanID) {
	t.Helper()
	w := newWorld(t, world.Config{Seed: 1})
	diver := spawnDiver(t, w, 0)
	watcher := w.NewEntity(w.Kind("watcher"), world.Vec{X: 12, Y: 20})
	notify := world.NewMailbox[world.AoIEvent](w, watcher, "aoi")
	w.SetInterest(watcher, 50, notify)
	tick(t, w, 2)
	inbox = w.MailboxOf(diver, "inbox")
	require.True(t, world.Mailbox[string]{ID: inbox}.Post(w, "one"))
	require.True(t, world.Mailbox[string]{ID: inbox}.Post(w, "two"))
	require.Positive(t, notify.Len(w), "the watcher saw the diver enter")
	data, err := w.Save(world.DefaultCodec())
	require.NoError(t, err)
	return data, inbox, notify.ID
}

// A loaded mailbox whose type the save tells (a typed handle in its owner's frames, an AoI
// notify mailbox) and that holds a message of another type is refused at the load, naming
// the mailbox, the message and both types; the world used to load, and that mailbox read
// as empty to every typed use, for ever (Post to it reported false).
func TestRestoreRefusesAMessageThatDoesNotFitItsMailbox(t *testing.T) {
	data, inbox, aoi := typedMailboxSave(t)
	codec := world.DefaultCodec()
	const sec = `world: load: section "world": `
	for _, c := range []struct {
		box  sim.ChanID
		bad  any
		want string
	}{
		{inbox, uint64(5), fmt.Sprintf(sec+`mailbox %d ("inbox"): message 1: saved message of type uint64 does not fit string`, inbox)},
		{aoi, "junk", fmt.Sprintf(sec+`mailbox %d ("aoi"): message 0: saved message of type string does not fit world.AoIEvent`, aoi)},
	} {
		s, st, err := codec.Decode(data)
		require.NoError(t, err)
		for i := range st.Mailboxes {
			if mb := &st.Mailboxes[i]; mb.ID == c.box {
				mb.Values[len(mb.Values)-1] = c.bad
			}
		}
		w, err := world.Restore(s, st, cfgQuiet())
		require.EqualError(t, err, c.want)
		require.Nil(t, w)
	}

	w, err := world.Load(codec, data, cfgQuiet())
	require.NoError(t, err, "the save as written loads")
	defer w.Close()
	in := world.Mailbox[string]{ID: inbox}
	require.True(t, in.Post(w, "three"))
	var got []string
	for m, ok := in.TryTake(w); ok; m, ok = in.TryTake(w) {
		got = append(got, m)
	}
	require.Equal(t, []string{"one", "two", "three"}, got)
}
