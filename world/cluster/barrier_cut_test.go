package cluster_test

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// cutBound bounds how long after the peer's announcement a wait that lived through a
// cut may end. It is half the NATS library's default request timeout (5 s), the time a
// watch started or kept across the cut took to notice; a wait ends within the zone's
// OpTimeout (200 ms here) plus a barrier slice.
const cutBound = 2500 * time.Millisecond

// A LockStep zone waiting at the barrier when the NATS server goes away goes on waiting
// (no error, no tick) while NATS is away and after it is back, and passes the barrier
// soon after the peer announces the tick: the server is shut down and started again on
// the same port and store (as TestConnectionCutMidMigration cuts connections) while zone
// a waits for zone b at its boundary after tick 2, either as the wait's key watch starts
// (a's Zone.Step) or once it has started (a's world/server loop has answered "not ready").
func TestBarrierWaitSurvivesAConnectionCut(t *testing.T) {
	t.Run("watch starting", func(t *testing.T) {
		r := newCutRig(t)
		stepCtx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // a hang fails the test
		defer cancel()
		passed := make(chan error, 1)
		go func() { passed <- r.a.Step(stepCtx) }() // waits for b to finish tick 2
		within(t, r.waiting.seen)                   // logged as the watch starts
		r.cutAndPass(t, passed)
		st := r.a.Stats()
		require.Equal(t, uint64(1), st.BarrierWaits, "one boundary waited, however long NATS was away")
		require.Zero(t, st.Waiting)
	})
	t.Run("watch started", func(t *testing.T) {
		r := newCutRig(t)
		sa, err := r.a.NewServer(server.Options{Ticks: 1})
		require.NoError(t, err)
		passed := make(chan error, 1)
		go func() { passed <- sa.Run(t.Context()) }()
		require.Eventually(t, func() bool { return sa.Stats().Waiting != "" }, prompt, time.Millisecond)
		r.cutAndPass(t, passed)
		require.Equal(t, uint64(1), sa.Stats().TickWaits)
	})
}

// cutRig is two LockStep zones, a at tick 2 and b at tick 1, on a server that cutAndPass
// shuts down and starts again.
type cutRig struct {
	s       *natsserver.Server
	store   string
	a, b    *zone
	waiting *waitSignal // a waits at its boundary after tick 2 for b
}

func newCutRig(t *testing.T) *cutRig {
	r := &cutRig{store: t.TempDir(), waiting: &waitSignal{tick: "2", peer: "b", seen: make(chan struct{})}}
	r.s = startServer(t, r.store, -1)
	dir := t.TempDir()
	zs := make([]*zone, 2)
	for i, w := range []*world.World{walkers(t, 6, 4), emptyWorld(t)} {
		name := []string{"a", "b"}[i]
		cfg := cluster.Config{Name: name, Conn: connect(t, r.s.ClientURL()), World: w, Regions: 2, Region: i,
			SavePath: filepath.Join(dir, name+".cbor"), Logger: quiet(), LockStep: true, OpTimeout: 200 * time.Millisecond}
		if name == "a" {
			cfg.Logger = slog.New(r.waiting)
		}
		zs[i] = openZone(t, cfg)
	}
	r.a, r.b = zs[0], zs[1]
	require.NoError(t, r.a.Step(t.Context()))
	require.NoError(t, r.b.Step(t.Context()))
	require.NoError(t, r.a.Step(t.Context()))
	return r
}

// cutAndPass cuts NATS while a waits (passed receives the end of a's wait), starts it
// again, checks that a still waits, lets b finish tick 2 and checks that a passes the
// barrier within cutBound, at tick 3.
func (r *cutRig) cutAndPass(t *testing.T, passed <-chan error) {
	t.Helper()
	port := r.s.Addr().(*net.TCPAddr).Port
	r.s.Shutdown()
	r.s.WaitForShutdown()
	require.Eventually(t, func() bool { return !r.a.cfg.Conn.IsConnected() && !r.b.cfg.Conn.IsConnected() }, prompt, time.Millisecond)
	r.s = startServer(t, r.store, port)
	for _, z := range []*zone{r.a, r.b} {
		require.Eventually(t, z.cfg.Conn.IsConnected, prompt, 5*time.Millisecond)
	}
	select {
	case err := <-passed:
		t.Fatalf("a passed the barrier before b finished tick 2: %v", err)
	default:
	}
	require.NoError(t, r.b.Step(t.Context())) // b finishes tick 2 and announces it
	announced := time.Now()
	require.NoError(t, within(t, passed))
	require.Less(t, time.Since(announced), cutBound, "a noticed b's announcement late")
	require.Equal(t, uint64(3), r.a.World().Now())
}
