package cluster_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

func init() {
	persist.Register[walker]("cluster_test.walker", "enter", "loop", "back")
}

// walker is an entity's tasklet that is Depth frames deep whenever it waits: it sleeps a
// tick at a time and counts the ticks it has lived, at the bottom of its stack.
type walker struct {
	Self         world.EntityID
	Depth, Level int
	Ticks        int
}

func (f *walker) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		if f.Level < f.Depth {
			return t.Call(&walker{Self: f.Self, Depth: f.Depth, Level: f.Level + 1}).Then(2)
		}
		fallthrough
	case 1:
		f.Ticks++
		return t.Sleep(1).Then(1)
	case 2:
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

func quiet() *slog.Logger {
	if os.Getenv("STACKWORLD_ZONES_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startServer starts an embedded server for the test (port -1, logs off).
func startServer(t *testing.T, dir string, port int) *server.Server {
	t.Helper()
	s, err := cluster.StartServer(cluster.ServerOptions{StoreDir: dir, Port: port})
	require.NoError(t, err)
	t.Cleanup(s.Shutdown)
	return s
}

func connect(t *testing.T, url string) *nats.Conn { return connectTB(t, url) }

func connectTB(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond), nats.ReconnectBufSize(-1))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// walkers makes a world with n walkers spread over the map, moving at speed ±3.
func walkers(t *testing.T, n int, seed uint64) *world.World {
	t.Helper()
	return walkersFrom(t, n, seed, 1, 480)
}

// walkersFrom makes a world of zone number zone with n walkers at x from x0 (x0+i%64),
// every other one moving right at speed 3, the others left.
func walkersFrom(t *testing.T, n int, seed uint64, zone uint16, x0 int32) *world.World {
	t.Helper()
	w, err := world.New(world.Config{Seed: seed, Zone: zone, Logger: quiet()})
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(seed, 1))
	k := w.Kind("walker")
	for i := range n {
		id := w.SpawnEntity(k, world.Vec{X: x0 + int32(i%64), Y: int32(r.IntN(1024))}, func(id world.EntityID) sim.Frame {
			return &walker{Self: id, Depth: 2}
		})
		w.SetVel(id, world.Vec{X: int32(3 - 6*(i%2)), Y: 0})
	}
	return w
}

// zone is a running zone and what restarting it takes.
type zone struct {
	*cluster.Zone
	cfg cluster.Config
}

func openZone(t *testing.T, cfg cluster.Config) *zone {
	t.Helper()
	z, err := cluster.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(z.Close)
	return &zone{z, cfg}
}

// census checks that every one of ids lives in exactly one zone's world, that the zone is
// the directory's owner, and that its tasklet is alive and deep.
func census(t *testing.T, nc *nats.Conn, zs []*zone, ids []world.EntityID) map[string]int {
	t.Helper()
	where := map[world.EntityID]string{}
	count := map[string]int{}
	for _, z := range zs {
		for _, e := range z.World().Entities() {
			if prev, dup := where[e.ID]; dup {
				t.Fatalf("entity %d is in zones %s and %s", e.ID, prev, z.Name())
			}
			where[e.ID] = z.Name()
			count[z.Name()]++
			tk := z.World().TaskletOf(e.ID)
			require.NotNil(t, tk, "entity %d", e.ID)
			require.True(t, tk.Alive(), "entity %d", e.ID)
			require.Equal(t, 3, tk.Depth(), "entity %d", e.ID)
		}
		require.NoError(t, z.World().Scheduler().CheckInvariants())
	}
	js, err := jetstreamNew(nc)
	require.NoError(t, err)
	for _, id := range ids {
		z, ok := where[id]
		o := owner(t, js, id)
		require.True(t, ok, "entity %d is lost; the directory says %+v", id, o)
		require.Equal(t, cluster.Owner{Zone: z, Epoch: o.Epoch}, o, "entity %d", id)
	}
	require.Len(t, where, len(ids))
	return count
}

// settle steps the zones until no migration is in flight (payloads that a killed zone had
// taken come back after AckWait). A round steps every zone and only then asks each whether
// it is idle: a zone stepped after another was asked may send it a payload, so asking
// between steps can find every zone idle while a payload waits in the stream (the census
// then finds its entities in no world).
func settle(t *testing.T, zs []*zone) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	var idleSince time.Time // letters put back with a delay are briefly counted nowhere
	for time.Now().Before(deadline) {
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
		idle, err := allIdle(ctx, zs)
		require.NoError(t, err)
		switch {
		case !idle:
			idleSince = time.Time{}
		case idleSince.IsZero():
			idleSince = time.Now()
		case time.Since(idleSince) > 100*time.Millisecond:
			return
		}
	}
	t.Fatal("migrations still in flight after 20 s")
}

// allIdle reports whether no zone of zs has a migration or a letter in flight. Call it
// with no step of any zone running: a step may start a migration to a zone asked before.
func allIdle(ctx context.Context, zs []*zone) (bool, error) {
	for _, z := range zs {
		ok, err := z.Idle(ctx)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// TestIdleIsAskedAfterEveryStep reproduces what made the census of
// TestFourZonesOnThreeServers and TestKillAtAnyStep find entities lost: settle asked each
// zone whether it was idle right after stepping it, so zone b could answer "idle" before
// zone a's step sent it a payload; with a idle too after its step, the census ran while
// the entity was only in the stream (its directory entry still naming a). settle now asks
// every zone after all of them have stepped (allIdle).
func TestIdleIsAskedAfterEveryStep(t *testing.T) {
	ctx := context.Background()
	wa := walkers(t, 4, 1)
	all := ids(wa)
	_, zs := zonePair(t, wa, nil, nil)
	a, b := zs[0], zs[1]
	wb := b.World()

	idleB, err := b.Idle(ctx) // the old settle: b asked first...
	require.NoError(t, err)
	require.NoError(t, a.Migrate(ctx, "b", all[:1])) // ...then a's step sends b an entity...
	idleA, err := a.Idle(ctx)                        // ...and a is asked after it
	require.NoError(t, err)
	require.True(t, idleA && idleB, "asked in turn, every zone says it is idle: a %v, b %v", idleA, idleB)
	require.Equal(t, 3, wa.Len()+wb.Len(), "one entity is in no world: only the stream holds it")
	require.Equal(t, cluster.Owner{Zone: "a", Epoch: 0}, owner(t, mustJS(t, a.cfg.Conn), all[0]))

	idle, err := allIdle(ctx, []*zone{a, b})
	require.NoError(t, err)
	require.False(t, idle, "asked after every step, b has a payload waiting")
	settle(t, []*zone{a, b})
	census(t, a.cfg.Conn, []*zone{a, b}, all) // b took it in (and sent it back: it stands in a's region)
	require.NotZero(t, b.Stats().MigrationsIn)
}

func mustJS(t *testing.T, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	js, err := jetstreamNew(nc)
	require.NoError(t, err)
	return js
}

func ids(w *world.World) []world.EntityID {
	var out []world.EntityID
	for _, e := range w.Entities() {
		out = append(out, e.ID)
	}
	slices.Sort(out)
	return out
}

func TestEntitiesMoveBetweenZones(t *testing.T) {
	ctx := context.Background()
	wa := walkers(t, 40, 1)
	all := ids(wa)
	_, zs := zonePair(t, wa, nil, nil)
	require.Equal(t, []string{"a", "b"}, zs[1].Map().Regions) // the last to claim sees both at once
	for range 40 {
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
	}
	settle(t, zs)
	count := census(t, zs[0].cfg.Conn, zs, all)
	require.Greater(t, count["b"], 10)
	for _, z := range zs {
		for _, e := range z.World().Entities() {
			require.Equal(t, z.Name(), z.Map().ZoneAt(e.Pos.X), "entity %d at x %d", e.ID, e.Pos.X)
		}
	}
	st := zs[0].Stats()
	require.Equal(t, zs[0].Stats().MigrationsOut+zs[1].Stats().MigrationsOut, zs[0].Stats().MigrationsIn+zs[1].Stats().MigrationsIn)
	require.Zero(t, st.Failures)
	t.Logf("a: %+v; b: %+v", zs[0].Stats(), zs[1].Stats())
}

// TestKillAtAnyStep kills the source or the target of a migration at a random step (as
// kill -9 would: the zone's memory is gone) and restarts it from its last save.
func TestKillAtAnyStep(t *testing.T) {
	trials := 20
	if testing.Short() {
		trials = 8
	}
	points := []string{"out.journaled", "out.exported", "out.published", "in.journaled", "in.committed", "in.imported", "in.purged", "saved"}
	for trial := range trials {
		seed := uint64(trial + 1)
		r := rand.New(rand.NewPCG(seed, 7))
		point := points[r.IntN(len(points))]
		victim := r.IntN(2)
		after := r.IntN(3)
		t.Run(fmt.Sprintf("seed=%d/%s/zone%d", seed, point, victim), func(t *testing.T) {
			t.Parallel() // each trial has its own server and directory
			killTrial(t, r, point, victim, after)
		})
	}
}

func killTrial(t *testing.T, r *rand.Rand, point string, victim, after int) {
	ctx := context.Background()
	// Walkers on both sides of the border at x 512, half of each side's walking across it:
	// both zones send and take in, so that every fault point is reached in either zone.
	wa, wb := walkers(t, 30, 1), walkersFrom(t, 30, 2, 2, 514)
	all := append(ids(wa), ids(wb)...)
	hits := 0
	killed, armed := false, false
	s, zs := zonePair(t, wa, wb, func(c *cluster.Config) {
		c.AckWait = 250 * time.Millisecond
		if c.Region == victim {
			c.Fault = func(p string) error {
				if p != point || killed || !armed {
					return nil
				}
				if hits++; hits > after {
					killed = true
					return fmt.Errorf("killed")
				}
				return nil
			}
		}
	})
	for _, z := range zs {
		require.NoError(t, z.Save(ctx))
	}
	armed = true
	saveEvery := 2 + r.IntN(5)
	restartedAt := -1
	// After a restart, 20 ticks more are enough for the entities (at speed 3, within 32 of
	// the border) to cross again both ways; settle finishes what is in flight.
	for tick := 0; tick < 60 && (restartedAt < 0 || tick < restartedAt+20); tick++ {
		for i, z := range zs {
			err := z.Step(ctx)
			if err == nil && tick%saveEvery == 0 {
				err = z.Save(ctx)
			}
			if err == nil {
				continue
			}
			require.ErrorIs(t, err, cluster.ErrZoneDead)
			zs[i] = restart(t, s, z)
			restartedAt = tick
		}
	}
	settle(t, zs)
	census(t, zs[0].cfg.Conn, zs, all)
	if restartedAt < 0 {
		t.Logf("the fault point %s was not reached %d times", point, after+1)
	}
}

// TestConnectionCutMidMigration shuts the NATS server down at a step of a migration, ticks
// the zones while it is away, and brings it back: the zones go on, nothing is lost or
// duplicated.
func TestConnectionCutMidMigration(t *testing.T) {
	for _, point := range []string{"out.journaled", "out.exported", "in.journaled", "in.committed", "in.imported"} {
		t.Run(point, func(t *testing.T) { cutTrial(t, point) })
	}
}

func cutTrial(t *testing.T, point string) {
	ctx := context.Background()
	store := t.TempDir()
	s := startServer(t, store, -1)
	port := s.Addr().(*net.TCPAddr).Port
	url := s.ClientURL()
	dir := t.TempDir()
	wa := walkers(t, 30, 3)
	all := ids(wa)
	wb, err := world.New(world.Config{Seed: 2, Zone: 2, Logger: quiet()})
	require.NoError(t, err)
	down := false
	cut := func(p string) error {
		if p == point && !down && s != nil {
			s.Shutdown()
			s.WaitForShutdown()
			down = true
		}
		return nil
	}
	zs := make([]*zone, 2)
	for i, w := range []*world.World{wa, wb} {
		name := []string{"a", "b"}[i]
		zs[i] = openZone(t, cluster.Config{Name: name, Conn: connect(t, url), World: w, Regions: 2, Region: i,
			SavePath: filepath.Join(dir, name+".cbor"), Logger: quiet(), AckWait: 250 * time.Millisecond,
			OpTimeout: 200 * time.Millisecond, Fault: cut})
	}
	downTicks := 0
	for range 40 {
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
		if down {
			if downTicks++; downTicks == 3 {
				s = startServer(t, store, port)
				for _, z := range zs {
					require.Eventually(t, z.cfg.Conn.IsConnected, 10*time.Second, 5*time.Millisecond)
				}
			}
		}
	}
	require.True(t, down, "the cut happened")
	settle(t, zs)
	census(t, zs[0].cfg.Conn, zs, all)
}

// TestRedeliveredPayloadIsNotTakenInTwice: a payload whose ack was lost comes again after
// AckWait. By then its entity has left for another zone that has not committed yet, so
// the directory still names this zone at the payload's epoch: taking the payload in again
// would make a second copy (and the first zone's later move back would be refused, losing
// the entity). The zone remembers the payloads it took in until their acks are confirmed.
func TestRedeliveredPayloadIsNotTakenInTwice(t *testing.T) {
	ctx := context.Background()
	wa, all := parkedWorld(t, 1) // standing in b's region
	_, zs := zonePair(t, wa, nil, func(c *cluster.Config) {
		if c.Name == "b" {
			c.AckWait = 100 * time.Millisecond
		}
	})
	a, b := zs[0], zs[1]
	wb := b.World()
	cluster.SkipAcks(b.Zone, 1)
	require.NoError(t, a.Step(ctx))                 // a sends the entity to b
	for i := 0; i < 100 && !wb.Alive(all[0]); i++ { // the consumer may deliver it a step later
		require.NoError(t, b.Step(ctx)) // b takes it in; the ack is lost
	}
	require.True(t, wb.Alive(all[0]))
	require.NoError(t, b.Migrate(ctx, "a", all)) // it leaves for a, which has not committed
	require.Equal(t, cluster.Owner{Zone: "b", Epoch: 1}, owner(t, mustJS(t, b.cfg.Conn), all[0]))

	deadline := time.Now().Add(10 * time.Second)
	for idle := false; !idle; { // until the stream has delivered the payload again and b acked it
		require.True(t, time.Now().Before(deadline), "the payload was not delivered again")
		require.NoError(t, b.Step(ctx))
		var err error
		idle, err = b.Idle(ctx)
		require.NoError(t, err)
	}
	require.False(t, wb.Alive(all[0]), "b took the payload in a second time")
	settle(t, []*zone{a, b})
	census(t, a.cfg.Conn, []*zone{a, b}, all)
	require.Equal(t, cluster.Owner{Zone: "b", Epoch: 3}, owner(t, mustJS(t, b.cfg.Conn), all[0]))
}
