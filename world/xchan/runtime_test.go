package xchan_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stackworld/stackworld/world/xchan"
	"github.com/stretchr/testify/require"
)

// Case 20 with each world on its own world/server runtime (its own goroutine), the link
// driven from AfterTick and told of the autosaves from OnSave: the output is exact, and
// the sending side forgets the values once a save of the receiving side covers them.
func TestCase20OnTwoRuntimes(t *testing.T) {
	a, b, m, sl, out := case20Zones(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const ticks = 30
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, z := range []*zone{a, b} {
		var boundaryErr error
		srv, err := server.New(z.w, server.Options{
			Ticks: ticks, SavePath: filepath.Join(t.TempDir(), z.name+".cbor"), SaveEvery: 5,
			AfterTick: func(*world.World) {
				if err := z.l.Boundary(ctx); err != nil && boundaryErr == nil {
					boundaryErr = err
				}
			},
			OnSave: func(r server.SaveResult) {
				if r.Err == nil {
					z.l.DurableAt(r.Tick)
				}
			},
		})
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = srv.Run(ctx)
			if errs[i] == nil {
				errs[i] = boundaryErr
			}
		}()
	}
	wg.Wait()
	require.NoError(t, errs[0], "zone a")
	require.NoError(t, errs[1], "zone b")
	require.False(t, m.Alive() || sl.Alive())
	require.Equal(t, case20Output, text(*out))
	step(t, a, b) // b's final save, told by OnSave when Run ends, reaches a
	step(t, a, b)
	require.Equal(t, xchan.Stats{Kept: 0}, gauges(a.l.Stats()), "b's saves cover every value")
	require.Equal(t, uint64(4), a.l.Stats().Released)
}
