package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// A zone restarted from a save gets again the letters handled after it: it posts them
// again and refuses again what it refused, but counts and logs (at error level) each
// letter once across the restart. Before, the restarted zone counted them a second time.
func TestRestartCountsEachLetterOnce(t *testing.T) {
	ctx := context.Background()
	wa, wb, sender, receiver, _ := letterPair(t)
	var err error
	log := new(logBuffer)
	s, zs := zonePair(t, wa, wb, func(c *cluster.Config) {
		if c.Name == "b" {
			c.Logger = log.logger()
		}
	})
	require.NoError(t, zs[1].Save(ctx))
	nc := connect(t, s.ClientURL())
	var want []any
	for i := 1; i <= 3; i++ {
		want = append(want, fmt.Sprintf("m%d", i))
		require.NoError(t, zs[0].Send(sender, receiver, "inbox", want[i-1]))
	}
	require.NoError(t, zs[0].Step(ctx))
	_, err = mustJS(t, nc).Publish(ctx, cluster.MailSubject+"b", []byte("garbage"))
	require.NoError(t, err)
	deadline := time.Now().Add(10 * time.Second)
	for len(inbox(zs[1:], receiver)) < 3 || zs[1].Stats().MailRefused < 1 {
		require.True(t, time.Now().Before(deadline), "b has %v", inbox(zs[1:], receiver))
		require.NoError(t, zs[1].Step(ctx))
	}
	require.NoError(t, zs[1].Step(ctx)) // its acks reach the server
	before := zs[1].Stats()
	require.Equal(t, [2]uint64{3, 1}, [2]uint64{before.MailIn, before.MailRefused})
	require.Len(t, log.lines("mail refused"), 1)

	zs[1] = restart(t, s, zs[1])
	require.Empty(t, inbox(zs[1:], receiver), "the save holds none")
	settle(t, zs)
	require.Equal(t, want, inbox(zs[1:], receiver), "posted again")
	after := zs[1].Stats()
	require.Equal(t, [2]uint64{0, 0}, [2]uint64{after.MailIn, after.MailRefused}, "counted by the first incarnation")
	require.Len(t, log.lines("mail refused"), 1, "logged once")

	require.NoError(t, zs[0].Send(sender, receiver, "inbox", "m4"))
	settle(t, zs)
	require.Equal(t, append(want, "m4"), inbox(zs[1:], receiver))
	require.Equal(t, uint64(1), zs[1].Stats().MailIn, "a new letter counts")
}
