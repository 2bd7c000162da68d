package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newWorld returns a world of n wandering sheep, closed at the end of the test.
func newWorld(t *testing.T, n int) *world.World {
	t.Helper()
	w, err := world.New(world.Config{Seed: 7, Width: 512, Height: 512, Logger: quiet()})
	require.NoError(t, err)
	t.Cleanup(w.Close)
	sheep := w.Kind("sheep")
	for i := range n {
		w.SpawnEntity(sheep, world.Vec{X: int32(10 + 7*i%500), Y: int32(20 + 13*i%480)}, actors.Wander{Speed: 2}.New)
	}
	return w
}

// tickLog records the ticks a server ran and the fake time of each.
type tickLog struct {
	mu    sync.Mutex
	start time.Time
	ticks []uint64
	at    []time.Duration
}

func (l *tickLog) hook(w *world.World) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ticks = append(l.ticks, w.Now())
	l.at = append(l.at, time.Since(l.start))
}

func (l *tickLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ticks)
}

func TestRunPacesTicksAtTheRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 10)
		l := &tickLog{start: time.Now()}
		err := server.Run(t.Context(), w, server.Options{Rate: 20, Ticks: 5, AfterTick: l.hook})
		require.NoError(t, err)
		require.Equal(t, []uint64{1, 2, 3, 4, 5}, l.ticks)
		ms := time.Millisecond
		require.Equal(t, []time.Duration{0, 50 * ms, 100 * ms, 150 * ms, 200 * ms}, l.at)
	})
}

func TestPauseStepResumeAtTickBoundaries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 10)
		l := &tickLog{start: time.Now()}
		s, err := server.New(w, server.Options{Rate: 10, Paused: true, AfterTick: l.hook})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		synctest.Wait()
		require.Equal(t, 0, l.count())
		require.True(t, s.Stats().Paused)

		s.Step(3)
		synctest.Wait()
		time.Sleep(time.Second) // fake time: the steps are paced at the rate too
		synctest.Wait()
		require.Equal(t, 3, l.count())
		require.True(t, s.Stats().Paused)

		s.Resume()
		time.Sleep(950 * time.Millisecond) // ticks at 1000, 1100, ..., 1900 ms
		s.Pause()
		synctest.Wait()
		require.Equal(t, 13, l.count())

		require.NoError(t, s.SetRate(100))
		s.Step(4) // paused: four ticks at 100 per second
		time.Sleep(time.Second)
		synctest.Wait()
		require.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, l.ticks)
		ms := time.Millisecond
		require.Equal(t, []time.Duration{1950 * ms, 1960 * ms, 1970 * ms, 1980 * ms}, l.at[13:])
		require.Equal(t, uint64(17), s.Stats().Ticks)
		cancel()
		require.NoError(t, <-done)
	})
}

func TestSetRateRefusesNaNAndNegative(t *testing.T) {
	w := newWorld(t, 1)
	s, err := server.New(w, server.Options{})
	require.NoError(t, err)
	require.EqualError(t, s.SetRate(-1), "server: rate -1: want a number of ticks per second in [0, 1e+06] (0: as fast as possible)")
	require.EqualError(t, s.SetRate(2e6), "server: rate 2e+06: want a number of ticks per second in [0, 1e+06] (0: as fast as possible)")
	nan := 0.0
	nan /= nan
	require.Error(t, s.SetRate(nan))
	_, err = server.New(w, server.Options{Rate: nan})
	require.ErrorContains(t, err, "server: rate NaN")
}

func TestSaveNowWhilePausedWritesTheSnapshotOfThatTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 30)
		path := filepath.Join(t.TempDir(), "w.cbor")
		s, err := server.New(w, server.Options{SavePath: path, Ticks: 1000})
		require.NoError(t, err)
		s.Step(7)
		done := make(chan error)
		go func() { done <- s.Run(t.Context()) }()
		synctest.Wait()
		var want []byte
		require.NoError(t, s.Do(t.Context(), func(w *world.World) {
			require.Equal(t, uint64(7), w.Now())
			want, err = w.Save(world.DefaultCodec())
			require.NoError(t, err)
		}))
		r := <-s.SaveNow()
		require.NoError(t, r.Err)
		require.Equal(t, uint64(7), r.Tick)
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Equal(t, len(want), r.Bytes)
		require.Equal(t, uint64(1), s.Stats().Saves)
		s.Resume()
		require.NoError(t, <-done) // 1000 ticks, then the final save
		loaded, err := world.LoadFile(world.DefaultCodec(), path, world.Config{Logger: quiet()})
		require.NoError(t, err)
		defer loaded.Close()
		require.Equal(t, uint64(1000), loaded.Now())
		require.Equal(t, w.Checksum(), loaded.Checksum())
		require.Equal(t, server.ErrStopped, s.Do(t.Context(), func(*world.World) {}))
		require.Equal(t, server.ErrStopped, (<-s.SaveNow()).Err)
		require.Equal(t, server.ErrRunning, s.Run(t.Context()))
	})
}

func TestCancelStopsWithAFinalSave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 30)
		path := filepath.Join(t.TempDir(), "w.cbor")
		ctx, cancel := context.WithCancel(t.Context())
		var saves []server.SaveResult
		s, err := server.New(w, server.Options{Rate: 20, SavePath: path, SaveEvery: 10, OnSave: func(r server.SaveResult) { saves = append(saves, r) }})
		require.NoError(t, err)
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(time.Second + 25*time.Millisecond) // ticks 1..21
		cancel()
		require.NoError(t, <-done)
		require.Equal(t, uint64(21), w.Now())
		var ticks []uint64
		for _, r := range saves {
			require.NoError(t, r.Err)
			ticks = append(ticks, r.Tick)
		}
		require.Equal(t, []uint64{10, 20, 21}, ticks)
		require.True(t, saves[2].Final)
		loaded, err := world.LoadFile(world.DefaultCodec(), path, world.Config{Logger: quiet()})
		require.NoError(t, err)
		defer loaded.Close()
		require.Equal(t, w.Checksum(), loaded.Checksum())
	})
}

func TestFailedSavesAreCountedAndRetriedWhileTheWorldRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 10)
		path := filepath.Join(t.TempDir(), "w.cbor")
		enospc := errors.New("no space left on device")
		var mu sync.Mutex
		fails := 3
		write := func(p string, data []byte) error {
			mu.Lock()
			defer mu.Unlock()
			if fails > 0 {
				fails--
				return enospc
			}
			return os.WriteFile(p, data, 0o644)
		}
		var saves []server.SaveResult
		s, err := server.New(w, server.Options{Rate: 10, Ticks: 100, SavePath: path, SaveEvery: 5, WriteFile: write,
			RetryMin: time.Second, RetryMax: 2 * time.Second, OnSave: func(r server.SaveResult) { saves = append(saves, r) }})
		require.NoError(t, err)
		require.NoError(t, s.Run(t.Context()))
		require.Equal(t, uint64(100), w.Now())
		type got struct {
			tick uint64
			ok   bool
		}
		var log []got
		for _, r := range saves {
			log = append(log, got{r.Tick, r.Err == nil})
			if r.Err != nil {
				require.ErrorIs(t, r.Err, enospc)
				require.ErrorContains(t, r.Err, "server: save "+path+" at tick ")
			}
		}
		// Fails at 5; retried 1 s later (15), fails; 2 s later (35), fails; 2 s later (55) works,
		// then every 5 ticks again.
		want := []got{{5, false}, {15, false}, {35, false}, {55, true}, {60, true}, {65, true}, {70, true},
			{75, true}, {80, true}, {85, true}, {90, true}, {95, true}, {100, true}, {100, true}}
		require.Equal(t, want, log)
		st := s.Stats()
		require.Equal(t, uint64(3), st.SaveFailures)
		require.Equal(t, uint64(11), st.Saves)
	})
}

func TestRunChecksTheSaveFileBeforeTheFirstTick(t *testing.T) {
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	require.NoError(t, os.WriteFile(passwd, []byte("root:x:0:0:root:/root:/bin/bash\n"), 0o644))
	w := newWorld(t, 3)
	err := server.Run(t.Context(), w, server.Options{Ticks: 5, SavePath: passwd})
	require.ErrorIs(t, err, server.ErrNotSnapshot)
	require.EqualError(t, err, "server: save file "+passwd+" exists and is not a Stackworld snapshot: the server does not overwrite it")
	require.Equal(t, uint64(0), w.Now(), "no tick ran")
	got, _ := os.ReadFile(passwd)
	require.Equal(t, "root:x:0:0:root:/root:/bin/bash\n", string(got))

	require.NoError(t, server.Run(t.Context(), w, server.Options{Ticks: 5, SavePath: passwd, ReplaceAny: true}))
	ok, err := persist.IsSnapshotFile(passwd)
	require.NoError(t, err)
	require.True(t, ok)

	missing := filepath.Join(dir, "no", "such", "dir", "w.cbor")
	err = server.Run(t.Context(), newWorld(t, 1), server.Options{SavePath: missing})
	require.EqualError(t, err, "server: persist: cannot save "+missing+": folder "+filepath.Join(dir, "no", "such", "dir")+"/: no such file or directory")
}

func TestRunRemovesStaleTempsOfItsOwnPattern(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.cbor")
	for _, name := range []string{".w.cbor.tmp123456", ".w.cbor.tmp9", ".w.cbor.tmpnotdigits", ".other.cbor.tmp123", "w.cbor.tmp123", "keep.txt"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644))
	}
	require.NoError(t, server.Run(t.Context(), newWorld(t, 1), server.Options{Ticks: 1, SavePath: path}))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{".other.cbor.tmp123", ".w.cbor.tmpnotdigits", "keep.txt", "w.cbor", "w.cbor.tmp123"}, names)
}
