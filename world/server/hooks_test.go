package server_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// BeforeTick and EndTick run around each tick; SaveGate puts autosaves off to later
// boundaries, and OnSave reports the tick each written save covers.
func TestHooksRunAroundTicksAndTheGatePutsSavesOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 5)
		path := filepath.Join(t.TempDir(), "w.cbor")
		var log []string
		opts := server.Options{Rate: 20, Ticks: 7, SavePath: path, SaveEvery: 3,
			BeforeTick: func(_ context.Context, w *world.World) error {
				log = append(log, fmt.Sprintf("before %d", w.Now()))
				return nil
			},
			EndTick: func(_ context.Context, w *world.World) error {
				log = append(log, fmt.Sprintf("end %d", w.Now()))
				return nil
			},
			AfterTick: func(w *world.World) { log = append(log, fmt.Sprintf("after %d", w.Now())) },
			SaveGate: func(w *world.World) error {
				if w.Now() < 5 {
					log = append(log, fmt.Sprintf("gate %d: later", w.Now()))
					return fmt.Errorf("payloads in flight: %w", server.ErrSaveLater)
				}
				log = append(log, fmt.Sprintf("gate %d", w.Now()))
				return nil
			},
			OnSave: func(r server.SaveResult) {
				log = append(log, fmt.Sprintf("saved %d final=%v err=%v", r.Tick, r.Final, r.Err))
			}}
		require.NoError(t, server.Run(t.Context(), w, opts))
		require.Equal(t, []string{
			"before 0", "end 1", "after 1", "before 1", "end 2", "after 2", "before 2", "end 3", "after 3",
			"gate 3: later", "before 3", "end 4", "after 4",
			"gate 4: later", "before 4", "end 5", "after 5",
			"gate 5", "saved 5 final=false err=<nil>", "before 5", "end 6", "after 6",
			"gate 6", "saved 6 final=false err=<nil>", "before 6", "end 7", "after 7",
			"gate 7", "saved 7 final=true err=<nil>",
		}, log)
	})
}

// A hook's error stops Run without the final save; a final save the gate puts off is not
// written, and Run says so.
func TestHookErrorsStopRunWithoutAFinalSave(t *testing.T) {
	boom := errors.New("zone died")
	for _, c := range []struct {
		name string
		opts server.Options
		now  uint64
		want string
	}{
		{"before", server.Options{BeforeTick: func(_ context.Context, w *world.World) error { return failAt(w, 3, boom) }}, 3,
			"server: before tick at tick 3: zone died"},
		{"end", server.Options{EndTick: func(_ context.Context, w *world.World) error { return failAt(w, 3, boom) }}, 3,
			"server: end of tick at tick 3: zone died"},
		{"gate", server.Options{Ticks: 4, SaveGate: func(*world.World) error { return server.ErrSaveLater }}, 4,
			"server: final save at tick 4 not written: the save gate refused it (the last save stays): server: save put off by the save gate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 5)
			path := filepath.Join(t.TempDir(), "w.cbor")
			c.opts.SavePath = path
			err := server.Run(context.Background(), w, c.opts)
			require.EqualError(t, err, c.want)
			require.Equal(t, c.now, w.Now())
			require.NoFileExists(t, path, "no save was written")
		})
	}
}

func failAt(w *world.World, tick uint64, err error) error {
	if w.Now() == tick {
		return err
	}
	return nil
}

// A save the gate puts off answers SaveNow at the boundary where the gate lets it go.
func TestSaveNowWaitsForTheGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 5)
		path := filepath.Join(t.TempDir(), "w.cbor")
		s, err := server.New(w, server.Options{Rate: 20, SavePath: path,
			SaveGate: func(w *world.World) error {
				if w.Now() < 3 {
					return server.ErrSaveLater
				}
				return nil
			}})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		r := <-s.SaveNow()
		require.NoError(t, r.Err)
		require.Equal(t, uint64(3), r.Tick)
		time.Sleep(time.Second)
		cancel()
		require.NoError(t, <-done)
	})
}

// A gate's other errors fail the save as a failed write does: SaveNow gets the error, it
// is counted, and the save is retried after RetryMin.
func TestSaveGateErrorsFailTheSave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 5)
		path := filepath.Join(t.TempDir(), "w.cbor")
		refuse := true
		var results []string
		s, err := server.New(w, server.Options{Rate: 20, SavePath: path, RetryMin: 100 * time.Millisecond,
			SaveGate: func(w *world.World) error {
				if refuse {
					refuse = false
					return errors.New("directory unreachable")
				}
				return nil
			},
			OnSave: func(r server.SaveResult) { results = append(results, fmt.Sprintf("%d %v", r.Tick, r.Err)) }})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		saved := s.SaveNow() // asked before Run starts, so it is the save at tick 0
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		r := <-saved
		require.EqualError(t, r.Err, "server: save at tick 0 refused by the save gate: directory unreachable")
		time.Sleep(190 * time.Millisecond) // ticks 1..4 at 0, 50, 100, 150 ms; the retry is due at 100 ms, after tick 3
		cancel()
		require.NoError(t, <-done)
		require.Equal(t, []string{"0 server: save at tick 0 refused by the save gate: directory unreachable", "3 <nil>", "4 <nil>"}, results)
		require.Equal(t, uint64(1), s.Stats().SaveFailures)
	})
}
