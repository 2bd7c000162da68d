package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// Boundary runs at each step's tick boundary, before the world ticks, and its error stops
// the step; Saved follows each save (the first is Open's) with the tick it covers; Conn is
// the zone's connection.
func TestHooks(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, t.TempDir(), -1)
	w, err := world.New(world.Config{Seed: 1, Zone: 1, Logger: quiet()})
	require.NoError(t, err)
	var log []string
	var stop error
	nc := connect(t, s.ClientURL())
	z := openZone(t, cluster.Config{Name: "a", Conn: nc, World: w, Regions: 1, Region: 0,
		SavePath: filepath.Join(t.TempDir(), "a.cbor"), Logger: quiet(),
		Boundary: func(context.Context) error { log = append(log, fmt.Sprintf("boundary %d", w.Now())); return stop },
		Saved:    func(tick uint64) { log = append(log, fmt.Sprintf("saved %d", tick)) }})
	require.Same(t, nc, z.Conn())
	require.NoError(t, z.Step(ctx))
	require.NoError(t, z.Step(ctx))
	require.NoError(t, z.Save(ctx))
	stop = errors.New("link down")
	require.ErrorIs(t, z.Step(ctx), stop)
	require.Equal(t, []string{"saved 0", "boundary 0", "boundary 1", "saved 2", "boundary 2"}, log)
	require.Equal(t, uint64(2), w.Now(), "the world does not tick after the hook's error")
}
