package server_test

import (
	"fmt"
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
// run, that a capture encodes to the synchronous save's bytes (SavePause checks it too).
func TestCaptureOfTheDefaultWorldSavesItsBytes(t *testing.T) {
	w, err := serverbench.ScaledWorld(1)
	require.NoError(t, err)
	defer w.Close()
	res := testing.Benchmark(func(b *testing.B) { serverbench.SavePause(b, w, true) })
	require.Positive(t, res.N, "SavePause failed its byte check")
}
