package cluster_test

import (
	"context"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// heldPair opens two LockStep zones: a with a sender in its region, b with a receiver
// whose mailbox "inbox" is full (world.MaxMailboxLen empty strings), and returns them
// with the two entities.
func heldPair(t *testing.T) (*natsserver.Server, []*zone, world.EntityID, world.EntityID) {
	t.Helper()
	wa, wb, sender, receiver, mb := letterPair(t)
	for range world.MaxMailboxLen {
		require.True(t, mb.Post(wb, ""))
	}
	s, zs := zonePair(t, wa, wb, func(c *cluster.Config) { c.LockStep, c.AckWait = true, 250*time.Millisecond })
	return s, zs, sender, receiver
}

// stepBoth steps every zone n rounds, in zone order.
func stepBoth(t *testing.T, zs []*zone, n int) {
	t.Helper()
	for range n {
		for _, z := range zs {
			require.NoError(t, z.Step(context.Background()))
		}
	}
}

// drain takes n messages out of entity id's inbox in whichever zone has it.
func drain(t *testing.T, zs []*zone, id world.EntityID, n int) {
	t.Helper()
	for _, z := range zs {
		if mb := z.World().MailboxOf(id, "inbox"); mb != 0 {
			box := world.Mailbox[string]{ID: mb}
			for range n {
				_, ok := box.TryTake(z.World())
				require.True(t, ok)
			}
			return
		}
	}
	t.Fatalf("entity %d has no inbox in any zone", id)
}

// letters returns the messages of entity id's inbox that are not the fillers.
func letters(zs []*zone, id world.EntityID) []any {
	var out []any
	for _, m := range inbox(zs, id) {
		if m != "" {
			out = append(out, m)
		}
	}
	return out
}

// A LockStep letter held because its receiver's mailbox is full, stamped before the tick
// of the save its zone restarts from, is posted once the mailbox has room, once. Before,
// the restarted zone skipped it as posted before its save (it was only held): lost.
func TestLockStepHeldLetterSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	s, zs, sender, receiver := heldPair(t)
	for _, m := range []string{"m1", "m2"} {
		require.NoError(t, zs[0].Send(sender, receiver, "inbox", m))
	}
	stepBoth(t, zs, 3) // b holds m1 and m2
	require.Empty(t, letters(zs, receiver))
	require.Equal(t, 1, cluster.MailHeld.Len(zs[1].World()))
	for _, z := range zs {
		require.NoError(t, z.Save(ctx))
	}
	stepBoth(t, zs, 2)
	require.Equal(t, uint64(2), zs[1].Stats().MailIn, "counted when held")
	zs[1] = restart(t, s, zs[1])
	for zs[1].World().Now() < zs[0].World().Now() {
		require.NoError(t, zs[1].Step(ctx))
	}
	drain(t, zs, receiver, 10)
	stepBoth(t, zs, 3)
	require.Equal(t, []any{"m1", "m2"}, letters(zs, receiver))
	require.Equal(t, world.MaxMailboxLen-10+2, len(inbox(zs, receiver)))
	require.Zero(t, cluster.MailHeld.Len(zs[1].World()))
	require.Zero(t, zs[1].Stats().MailIn, "counted by the first incarnation, when held")
	drain(t, zs, receiver, 10)
	stepBoth(t, zs, 3)
	require.Equal(t, []any{"m1", "m2"}, letters(zs, receiver), "posted once")
}

// A LockStep letter held for a full mailbox follows its receiver when the receiver moves
// to another zone, and is posted there once the mailbox has room, once. Before, the zone
// that held it acknowledged it as another zone's letter once the receiver had left: lost.
func TestLockStepHeldLetterFollowsItsReceiver(t *testing.T) {
	_, zs, sender, receiver := heldPair(t)
	for _, m := range []string{"m1", "m2"} {
		require.NoError(t, zs[0].Send(sender, receiver, "inbox", m))
	}
	stepBoth(t, zs, 3) // b holds m1 and m2
	require.Empty(t, letters(zs, receiver))
	zs[1].World().SetPos(receiver, world.Vec{X: 100, Y: 100}) // into a's region: b sends it at its step's end
	stepBoth(t, zs, 3)
	require.True(t, zs[0].World().Alive(receiver), "the receiver is a's")
	drain(t, zs, receiver, 10)
	stepBoth(t, zs, 3)
	require.Equal(t, []any{"m1", "m2"}, letters(zs, receiver))
	require.Zero(t, cluster.MailHeld.Len(zs[0].World()))
	drain(t, zs, receiver, 10)
	stepBoth(t, zs, 3)
	require.Equal(t, []any{"m1", "m2"}, letters(zs, receiver), "posted once")
	require.Equal(t, uint64(2), zs[0].Stats().MailIn+zs[1].Stats().MailIn)
}
