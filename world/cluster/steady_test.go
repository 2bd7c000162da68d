package cluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// steadyWorld is n walkers in x range [x0, x0+width) of a 4096×1024 map; every other one
// moves one unit per tick, so that at 20 ticks a second about 1% of them cross a 1024-wide
// strip's border each second.
func steadyWorld(tb testing.TB, zone uint16, n int, x0, width int32) *world.World {
	w, err := world.New(world.Config{Seed: uint64(zone), Zone: zone, Width: 4096, Height: 1024, Logger: quiet()})
	require.NoError(tb, err)
	k := w.Kind("walker")
	for i := range n {
		id := w.SpawnEntity(k, world.Vec{X: x0 + int32(i)%width, Y: int32(i/int(width)) % 1024}, func(id world.EntityID) sim.Frame {
			return &walker{Self: id, Depth: 1}
		})
		if i%2 == 0 {
			w.SetVel(id, world.Vec{X: int32(1 - 2*(i/2%2))})
		}
	}
	return w
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// TestSteadyState measures tick times of 4 zones × STACKWORLD_STEADY_N walkers (default
// 25,000) with about 1%/s crossing borders, against one zone holding them all. It runs only
// when STACKWORLD_STEADY is set (it takes a minute).
func TestSteadyState(t *testing.T) {
	if os.Getenv("STACKWORLD_STEADY") == "" {
		t.Skip("set STACKWORLD_STEADY=1 to measure (README: zones)")
	}
	n := 25_000
	if v, err := strconv.Atoi(os.Getenv("STACKWORLD_STEADY_N")); err == nil {
		n = v
	}
	const ticks = 200
	ctx := context.Background()
	s := startServer(t, t.TempDir(), -1)
	dir := t.TempDir()
	var zs []*zone
	for i := range 4 {
		w := steadyWorld(t, uint16(i+1), n, int32(i)*1024, 1024)
		name := fmt.Sprintf("z%d", i)
		zs = append(zs, openZone(t, cluster.Config{Name: name, Conn: connect(t, s.ClientURL()), World: w, Regions: 4, Region: i,
			SavePath: filepath.Join(dir, name+".cbor"), Logger: quiet()}))
	}
	times := make([][]time.Duration, 4)
	for range ticks {
		for i, z := range zs {
			t0 := time.Now()
			require.NoError(t, z.Step(ctx))
			times[i] = append(times[i], time.Since(t0))
		}
	}
	for i, z := range zs {
		st := z.Stats()
		t.Logf("zone %s: %d entities, tick p50 %v p99 %v, %d in %d out (%.2f%%/s at 20 Hz)", z.Name(), z.World().Len(),
			percentile(times[i], 0.5), percentile(times[i], 0.99), st.MigrationsIn, st.MigrationsOut,
			float64(st.MigrationsOut)/float64(n)/(ticks/20.0)*100)
	}
	one := steadyWorld(t, 9, 4*n, 0, 4096)
	var base []time.Duration
	for range ticks {
		t0 := time.Now()
		require.NoError(t, one.Tick())
		base = append(base, time.Since(t0))
	}
	t.Logf("one zone: %d entities, tick p50 %v p99 %v", one.Len(), percentile(base, 0.5), percentile(base, 0.99))
}
