package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// While BeforeTick says the tick is not ready (after a bounded wait of a second), the loop
// serves the boundary: Do runs, SaveNow saves the world as it is, Pause holds the loop,
// Stats show the wait (counted once); the tick runs once the hook lets it, and the wait
// leaves no trace in the world.
func TestNotReadyServesTheBoundary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 5)
		path := filepath.Join(t.TempDir(), "w.cbor")
		open := uint64(2) // ticks up to open may run; changed only on the loop goroutine
		var calls []string
		s, err := server.New(w, server.Options{Ticks: 5, SavePath: path,
			BeforeTick: func(ctx context.Context, w *world.World) error {
				calls = append(calls, fmt.Sprintf("before %d", w.Now()))
				if w.Now() < open {
					return nil
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
				return fmt.Errorf("tick %d waits for the door: %w", w.Now()+1, server.ErrTickNotReady)
			}})
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- s.Run(t.Context()) }()
		synctest.Wait() // the loop waits in BeforeTick at tick 2

		start := time.Now()
		var now uint64
		require.NoError(t, s.Do(t.Context(), func(w *world.World) { now = w.Now() }))
		require.Equal(t, uint64(2), now)
		require.Equal(t, time.Second, time.Since(start), "Do ran when the hook's wait ended")
		st := s.Stats()
		require.Equal(t, "tick 3 waits for the door: server: the tick is not ready", st.Waiting)
		require.Equal(t, uint64(1), st.TickWaits)
		require.Equal(t, uint64(2), st.Ticks)

		r := <-s.SaveNow()
		require.NoError(t, r.Err)
		require.Equal(t, uint64(2), r.Tick)

		s.Pause()
		require.NoError(t, s.Do(t.Context(), func(*world.World) {}))
		calls = calls[:0] // read after Do: the loop is paused, not in the hook
		time.Sleep(time.Hour)
		require.NoError(t, s.Do(t.Context(), func(*world.World) {}))
		require.Empty(t, calls, "a paused server does not ask BeforeTick")
		require.True(t, s.Stats().Paused)
		require.Equal(t, uint64(1), s.Stats().TickWaits)

		require.NoError(t, s.Do(t.Context(), func(*world.World) { open = 10 }))
		s.Resume()
		require.NoError(t, <-done)
		require.Equal(t, uint64(5), w.Now())
		require.Equal(t, []string{"before 2", "before 3", "before 4"}, calls)
		st = s.Stats()
		require.Empty(t, st.Waiting)
		require.Equal(t, uint64(1), st.TickWaits)
		require.Equal(t, uint64(5), st.Ticks)
	})
}

// Stop and the end of Run's context end the hooks' context at once: a BeforeTick waiting
// on it returns, and Run stops at the boundary with the final save, at once (no time
// passes in the bubble).
func TestStopEndsTheHooksWait(t *testing.T) {
	for _, how := range []string{"Stop", "cancel"} {
		t.Run(how, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(t, 5)
				path := filepath.Join(t.TempDir(), "w.cbor")
				var saves []string
				s, err := server.New(w, server.Options{SavePath: path,
					BeforeTick: func(ctx context.Context, w *world.World) error {
						if w.Now() < 3 {
							return nil
						}
						<-ctx.Done() // no bound of its own: only the stop ends it
						return fmt.Errorf("stopping: %w", server.ErrTickNotReady)
					},
					OnSave: func(r server.SaveResult) {
						saves = append(saves, fmt.Sprintf("%d final=%v err=%v", r.Tick, r.Final, r.Err))
					}})
				require.NoError(t, err)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				done := make(chan error, 1)
				go func() { done <- s.Run(ctx) }()
				synctest.Wait()
				require.Equal(t, uint64(3), w.Now())
				start := time.Now()
				if how == "Stop" {
					s.Stop()
				} else {
					cancel()
				}
				require.NoError(t, <-done)
				require.Zero(t, time.Since(start))
				require.Equal(t, []string{"3 final=true err=<nil>"}, saves)
				require.Equal(t, uint64(3), w.Now())
				s.Stop() // after Run: nothing
			})
		})
	}
}

// Stop before Run makes Run stop at its first boundary, with the final save.
func TestStopBeforeRun(t *testing.T) {
	w := newWorld(t, 5)
	path := filepath.Join(t.TempDir(), "w.cbor")
	s, err := server.New(w, server.Options{SavePath: path})
	require.NoError(t, err)
	s.Stop()
	require.NoError(t, s.Run(context.Background()))
	require.Equal(t, uint64(0), w.Now())
	require.Equal(t, uint64(1), s.Stats().Saves)
}
