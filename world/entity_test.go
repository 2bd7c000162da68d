package world_test

import (
	"strconv"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

func TestEntityIDLayout(t *testing.T) {
	id := world.MakeEntityID(7, 42)
	require.Equal(t, world.EntityID(7<<48|42), id)
	require.Equal(t, uint16(7), id.Zone())
	require.Equal(t, uint64(42), id.Serial())
	require.Equal(t, world.EntityID(42), world.MakeEntityID(0, 42), "in zone 0 an id is its serial")
	last := world.MakeEntityID(0xffff, world.MaxEntitySerial)
	require.Equal(t, uint16(0xffff), last.Zone())
	require.Equal(t, uint64(world.MaxEntitySerial), last.Serial())
}

// TestEntityIDsUsedUp starts the counter two ids before its end: the last ids are issued,
// then NewEntity and SpawnEntity return 0 (no panic, no wrap), before and after a load.
func TestEntityIDsUsedUp(t *testing.T) {
	w := newWorld(t, world.Config{Zone: 3})
	k := w.Kind("x")
	world.SetNextEntity(w, world.MakeEntityID(3, world.MaxEntitySerial-1))
	require.Equal(t, uint64(2), w.EntityIDsLeft())
	a := w.SpawnEntity(k, world.Vec{}, func(id world.EntityID) sim.Frame { return &tally{Self: id} })
	b := w.NewEntity(k, world.Vec{})
	require.Equal(t, world.MakeEntityID(3, world.MaxEntitySerial-1), a)
	require.Equal(t, world.MakeEntityID(3, world.MaxEntitySerial), b)
	require.Equal(t, uint64(0), w.EntityIDsLeft())
	called := false
	require.Zero(t, w.SpawnEntity(k, world.Vec{}, func(world.EntityID) sim.Frame { called = true; return &tally{} }))
	require.Zero(t, w.NewEntity(k, world.Vec{}))
	require.False(t, called, "no frame is made for an entity that was not made")
	require.Equal(t, 2, w.Len())
	tick(t, w, 2)

	codec := world.DefaultCodec()
	data, err := w.Save(codec)
	require.NoError(t, err)
	l, err := world.Load(codec, data, cfgQuiet())
	require.NoError(t, err)
	defer l.Close()
	require.Zero(t, l.NewEntity(k, world.Vec{}))
	require.True(t, l.Alive(b))
	tick(t, l, 1)
	tick(t, w, 1)
	require.Equal(t, w.Checksum(), l.Checksum())
}

// TestZoneIDs: a world mints ids in its zone, keeps the zone across a load, and refuses to
// load as another zone.
func TestZoneIDs(t *testing.T) {
	w := newWorld(t, world.Config{Zone: 9})
	id := w.NewEntity(w.Kind("x"), world.Vec{})
	require.Equal(t, world.MakeEntityID(9, 1), id)
	codec := world.DefaultCodec()
	data, err := w.Save(codec)
	require.NoError(t, err)

	l, err := world.Load(codec, data, cfgQuiet()) // Zone 0: the saved zone
	require.NoError(t, err)
	defer l.Close()
	require.Equal(t, uint16(9), l.Config().Zone)
	require.Equal(t, world.MakeEntityID(9, 2), l.NewEntity(l.Kind("x"), world.Vec{}))

	_, err = world.Load(codec, data, world.Config{Zone: 4, Logger: quiet()})
	require.EqualError(t, err, "world: load: config zone 4 differs from the saved 9 (leave it 0 to use the saved one)")

	// the checksum sees the zone: ids above 2^32 are hashed whole
	z0 := newWorld(t, world.Config{})
	z0.NewEntity(z0.Kind("x"), world.Vec{})
	tick(t, z0, 1)
	tick(t, w, 1)
	require.NotEqual(t, z0.Checksum(), w.Checksum())
}

// TestKindsStopAtMaxKinds: a world registers at most MaxKinds kinds; past them Kind
// returns AnyKind, NewEntity makes nothing of it (nor of a kind never registered), and the
// world still saves a snapshot that loads. It once registered a 65536th kind numbered
// AnyKind, and its saves were refused ("65536 kinds (limit 65535)").
func TestKindsStopAtMaxKinds(t *testing.T) {
	w := newWorld(t, world.Config{})
	require.Zero(t, w.NewEntity(3, world.Vec{}), "kind 3 is not registered")
	for i := range world.MaxKinds {
		require.Equal(t, world.Kind(i), w.Kind(strconv.Itoa(i)))
	}
	require.Equal(t, world.AnyKind, w.Kind("one too many"))
	require.Len(t, w.Kinds(), world.MaxKinds)
	require.Zero(t, w.NewEntity(world.AnyKind, world.Vec{}))
	require.NotZero(t, w.NewEntity(w.Kind("7"), world.Vec{}))
	data, err := w.Save(world.DefaultCodec())
	require.NoError(t, err)
	l, err := world.Load(world.DefaultCodec(), data, cfgQuiet())
	require.NoError(t, err)
	defer l.Close()
	require.Len(t, l.Kinds(), world.MaxKinds)
}
