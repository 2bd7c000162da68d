package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A zone killed after posting letters that its last save does not hold gets them again
// when it restarts from that save: its mail consumer starts again from the first letter
// the stream still has for it (the save trimmed those it holds), and the receiver's
// MailSeen keeps each letter to one posting. Before, the letters acknowledged after the
// save were lost.
func TestMailPostedAfterTheSaveComesAgainAfterARestart(t *testing.T) {
	ctx := context.Background()
	wa, wb, sender, receiver, _ := letterPair(t)
	s, zs := zonePair(t, wa, wb, nil)
	var want []any
	send := func(from, to int) {
		for i := from; i <= to; i++ {
			want = append(want, fmt.Sprintf("m%d", i))
			require.NoError(t, zs[0].Send(sender, receiver, "inbox", want[len(want)-1]))
		}
		require.NoError(t, zs[0].Step(ctx))
		deadline := time.Now().Add(10 * time.Second)
		for len(inbox(zs[1:], receiver)) < len(want) {
			require.True(t, time.Now().Before(deadline), "b has %v", inbox(zs[1:], receiver))
			require.NoError(t, zs[1].Step(ctx))
		}
	}
	send(1, 3)
	require.NoError(t, zs[1].Save(ctx))
	send(4, 6)
	require.NoError(t, zs[1].Step(ctx)) // its acks reach the server
	zs[1] = restart(t, s, zs[1])
	require.Equal(t, want[:3], inbox(zs[1:], receiver), "the save holds m1-m3")
	settle(t, zs)
	require.Equal(t, want, inbox(zs[1:], receiver))
	send(7, 7)
	require.Equal(t, want, inbox(zs[1:], receiver))
}
