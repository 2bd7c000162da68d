package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stackworld/stackworld/world/xchan"
	"github.com/stretchr/testify/require"
)

func init() { persist.Register[xwait]("cluster_test.xwait", "recv", "got") }

// xwait receives on a channel forever.
type xwait struct{ Ch sim.Chan[string] }

func (f *xwait) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0, 1:
		return f.Ch.Recv(t).Then(1)
	}
	return t.Raise(sim.ErrBadPC)
}

// An entity whose tasklet waits on the local end of a cross-zone channel stays in its
// zone, in b's region or not, while its neighbour there moves; Migrate refuses it by name.
func TestCrossZoneWaitPinsTheEntity(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, t.TempDir(), -1)
	dir := t.TempDir()
	wa, moving := parkedWorld(t, 1)
	nc := connect(t, s.ClientURL())
	la, err := xchan.Open(wa, xchan.Config{Conn: nc, Local: "a", Peer: "b", Logger: quiet()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = la.Shutdown() })
	cmd, err := xchan.In[string](la, "cmd")
	require.NoError(t, err)
	stuck := wa.SpawnEntity(wa.Kind("waiter"), world.Vec{X: 600, Y: 1}, func(world.EntityID) sim.Frame { return &xwait{Ch: cmd} })
	require.NoError(t, wa.Tick())
	require.True(t, wa.TaskletOf(stuck).Blocked())
	wb, err := world.New(world.Config{Seed: 2, Zone: 2, Logger: quiet()})
	require.NoError(t, err)
	a := openZone(t, cluster.Config{Name: "a", Conn: nc, World: wa, Regions: 2, Region: 0,
		SavePath: filepath.Join(dir, "a.cbor"), Logger: quiet(), Boundary: la.Boundary})
	b := openZone(t, cluster.Config{Name: "b", Conn: connect(t, s.ClientURL()), World: wb, Regions: 2, Region: 1,
		SavePath: filepath.Join(dir, "b.cbor"), Logger: quiet()})

	err = a.Migrate(ctx, "b", []world.EntityID{moving[0], stuck})
	require.True(t, errors.Is(err, world.ErrPinned), "%v", err)
	require.EqualError(t, err, fmt.Sprintf("cluster: migrate entity %d: entity is pinned to its world: "+
		"its tasklet %d waits on cross-zone channel \"xchan.b.cmd\" (it can move once the wait is over)",
		stuck, wa.TaskletOf(stuck).ID()))
	require.Equal(t, 2, wa.Len(), "Migrate moved nothing")

	for range 10 {
		require.NoError(t, a.Step(ctx))
		require.NoError(t, b.Step(ctx))
	}
	require.True(t, wb.Alive(moving[0]), "the parked entity crossed into b")
	require.True(t, wa.Alive(stuck) && !wb.Alive(stuck), "the entity waiting on xchan.b.cmd stayed in a")
	require.True(t, wa.TaskletOf(stuck).Blocked())
	require.Equal(t, []world.EntityID{stuck}, ids(wa))
}
