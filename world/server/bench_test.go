package server_test

import (
	"fmt"
	"github.com/stackworld/stackworld/persist"
	"testing"

	"github.com/stackworld/stackworld/world/server/serverbench"
	"github.com/stretchr/testify/require"
)

// BenchmarkSavePause measures how long a save holds the tick loop: impl=sync encodes the
// whole snapshot on the loop, impl=capture takes the copy the writer goroutine encodes.
func BenchmarkSavePause(b *testing.B) {
	for _, scale := range []int{1, 10} {
		w, err := serverbench.ScaledWorld(scale)
		require.NoError(b, err)
		b.Cleanup(w.Close)
		for _, capture := range []bool{false, true} {
			impl := map[bool]string{false: "sync", true: "capture"}[capture]
			b.Run(fmt.Sprintf("impl=%s/entities=%d", impl, w.Len()), func(b *testing.B) { serverbench.SavePause(b, w, capture) })
		}
	}
}

// TestCaptureOfTheDefaultWorldSavesItsBytes checks, on the default scenario after it has
// run, that a capture encoded beside the next tick (which copies the frames the writer has
// not reached before it steps them) gives the synchronous save's bytes, at three ticks in
// a row (SavePause checks it too).
func TestCaptureOfTheDefaultWorldSavesItsBytes(t *testing.T) {
	w, err := serverbench.ScaledWorld(1)
	require.NoError(t, err)
	defer w.Close()
	c, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, serverbench.CheckCapture(c, w))
	}
}
