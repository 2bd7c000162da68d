package server_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// A BeforeTick that answers "not ready" at once is asked again after a backoff of 1 ms
// doubling to 16 ms, not in a busy loop: in the first second of fake time it is asked at
// 0, 1, 3, 7, 15, 31, 47, ..., 991 ms, 66 times. Do, SaveNow and Stop are served at once
// during the backoff, without asking the hook early; a hook that waits itself is asked
// again at once; a tick that runs ends the backoff.
func TestNotReadyAtOnceBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		start := time.Now()
		var asks []time.Duration // when the hook was asked; on the loop goroutine
		hookWait, open, total := time.Duration(0), false, 0
		s, err := server.New(w, server.Options{SavePath: t.TempDir() + "/w.cbor",
			BeforeTick: func(ctx context.Context, w *world.World) error {
				asks = append(asks, time.Since(start))
				if total++; total > 200 { // a busy loop: stop Run, so that fake time goes on and the test fails
					return errors.New("asked more than 200 times")
				}
				if open {
					open = false // one tick, then not ready again
					return nil
				}
				if hookWait > 0 {
					select { // a hook's own bounded wait, ended by a stop
					case <-ctx.Done():
					case <-time.After(hookWait):
					}
				}
				return fmt.Errorf("the door is shut: %w", server.ErrTickNotReady)
			}})
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- s.Run(t.Context()) }()

		time.Sleep(time.Second)
		var n int
		var last time.Duration
		require.NoError(t, s.Do(t.Context(), func(*world.World) { n, last = len(asks), asks[len(asks)-1] }))
		require.Equal(t, time.Second, time.Since(start), "Do served at once during the backoff")
		require.Equal(t, 66, n)
		require.Equal(t, 991*time.Millisecond, last)
		want := []time.Duration{0, 1, 3, 7, 15, 31, 47, 63}
		for i := range want {
			want[i] *= time.Millisecond
		}
		require.NoError(t, s.Do(t.Context(), func(*world.World) { require.Equal(t, want, asks[:len(want)]) }))
		r := <-s.SaveNow()
		require.NoError(t, r.Err)
		require.Equal(t, time.Second, time.Since(start), "SaveNow served at once during the backoff")

		// A tick that runs ends the backoff: the next quick answers wait 1, 2, 4 ms again.
		// A hook that waits 16 ms itself is asked again at once.
		require.NoError(t, s.Do(t.Context(), func(*world.World) { open, asks = true, nil }))
		time.Sleep(100 * time.Millisecond)
		require.NoError(t, s.Do(t.Context(), func(*world.World) { hookWait = 16 * time.Millisecond }))
		time.Sleep(100 * time.Millisecond)
		var got []time.Duration
		require.NoError(t, s.Do(t.Context(), func(*world.World) { got = slices.Clone(asks) }))
		require.Equal(t, 1214*time.Millisecond, time.Since(start), "Do served once the hook's own wait (1198-1214 ms) ended")
		want = []time.Duration{1007, 1007, 1008, 1010, 1014, 1022, 1038, 1054, 1070, 1086, // the tick, then 1 ms doubling
			1102, 1118, 1134, 1150, 1166, 1182, 1198} // the hook waits 16 ms from 1100 ms: asked again at once
		for i := range want {
			want[i] *= time.Millisecond
		}
		require.Equal(t, want, got)
		require.Equal(t, uint64(1), w.Now())

		stop := time.Now()
		s.Stop()
		require.NoError(t, <-done)
		require.Zero(t, time.Since(stop), "Stop served at once")
	})
}
