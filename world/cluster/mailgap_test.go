package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// publishLetter publishes, as `nats pub` would, a letter from `from` numbered seq to
// entity to's mailbox "inbox" of zone a, carrying msg.
func publishLetter(t *testing.T, js jetstream.JetStream, from, seq uint64, to world.EntityID, msg string) {
	t.Helper()
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	c, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	v, _, err := c.Save(s, persist.Section{Name: "mail", Value: msg})
	require.NoError(t, err)
	b, err := cbor.Marshal([]any{from, seq, uint64(to), "inbox", v})
	require.NoError(t, err)
	_, err = js.Publish(context.Background(), cluster.MailSubject+"a", b)
	require.NoError(t, err)
}

// A forged letter (sender 7, number 5) to a live entity waits for numbers 1 to 4: it is
// put back with a growing delay (it was put back every 20 ms, forever, silently), logged
// once with the missing numbers and counted once; when 1 to 4 come, all five are posted
// in order.
func TestLetterWaitingForAGapBacksOff(t *testing.T) {
	ctx := context.Background()
	wa := walkersFrom(t, 4, 1, 1, 0)
	to := ids(wa)[1]
	wa.SetVel(to, world.Vec{}) // it stays at x 1, in a's region
	world.NewMailbox[string](wa, to, "inbox")
	var log logBuffer
	s, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.Logger = log.logger() })
	a := zs[0]
	js, err := jetstream.New(connect(t, s.ClientURL()))
	require.NoError(t, err)
	publishLetter(t, js, 7, 5, to, "m5")

	start := time.Now()
	for time.Since(start) < 300*time.Millisecond {
		require.NoError(t, a.Step(ctx))
	}
	// delays 20, 40, 80, 160 ms: at most 5 deliveries in 300 ms (about 15 before)
	n := cluster.GapDeliveries(a.Zone)
	require.LessOrEqual(t, n, uint64(5))
	require.GreaterOrEqual(t, n, uint64(1))
	require.Equal(t, uint64(1), a.Stats().MailGaps)
	require.Zero(t, a.Stats().MailIn)
	want := `level=WARN msg="cluster: letter waits for earlier ones from its sender" zone=a from=7 to=` +
		itoa(uint64(to)) + ` seq=5 missing_from=1 missing_to=4 stream_seq=1`
	require.Equal(t, []string{want}, log.lines("waits for earlier"))

	for seq := uint64(1); seq <= 4; seq++ {
		publishLetter(t, js, 7, seq, to, "m"+itoa(seq))
	}
	settle(t, zs)
	require.Equal(t, []any{"m1", "m2", "m3", "m4", "m5"}, inbox(zs, to))
	require.Equal(t, uint64(5), a.Stats().MailIn)
	require.Zero(t, a.Stats().MailForwarded)
	require.Equal(t, uint64(1), a.Stats().MailGaps)
	require.Len(t, log.lines("waits for earlier"), 1)
}

// A letter to an entity that is not here, whose directory entry is garbage (`nats kv put
// stackworld_dir e.<id> garbage`), is dropped, logged and counted once; it was put back
// every 20 ms forever.
func TestMailToAGarbageEntryIsRefused(t *testing.T) {
	ctx := context.Background()
	var log logBuffer
	s, zs := zonePair(t, nil, nil, func(c *cluster.Config) { c.Logger = log.logger() })
	js, err := jetstream.New(connect(t, s.ClientURL()))
	require.NoError(t, err)
	kv, err := js.KeyValue(ctx, cluster.DirectoryBucket)
	require.NoError(t, err)
	_, err = kv.PutString(ctx, "e.999", "garbage")
	require.NoError(t, err)
	publishLetter(t, js, 7, 1, 999, "m1")
	settle(t, zs)
	require.Equal(t, uint64(1), zs[0].Stats().MailRefused)
	require.Equal(t, []string{`level=ERROR msg="cluster: mail dropped: the receiver's directory entry is unreadable" zone=a from=7 to=999 box=inbox seq=1 err="cluster: directory entry \"garbage\" is not an owner"`},
		log.lines("unreadable"))
}
