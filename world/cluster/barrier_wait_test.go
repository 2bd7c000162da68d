package cluster_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// prompt bounds what must not wait for a stopped peer: a server waits at most one barrier
// slice (20 ms) before it serves its boundary. It is generous for a loaded CI machine.
const prompt = 5 * time.Second

// A LockStep zone on world/server whose peer has stopped stays responsive: b's server
// stops after tick 20 and a waits at its boundary after tick 21, and meanwhile a's Do,
// SaveNow, Pause, the end of Run's context and Stop each return promptly; the zone's and
// the server's stats and the zone's metrics show the wait. Then b runs again and both
// zones go on with the deep checksums and mail of an uninterrupted run.
func TestLockStepPeerStopped(t *testing.T) {
	want := lockStepServers(t)
	waitAt21 := &waitSignal{tick: "21", peer: "b", seen: make(chan struct{})}
	r := newLockStepRig(t, func(c *cluster.Config) {
		if c.Name == "a" {
			c.Logger = slog.New(waitAt21)
		}
	})
	a, b := r.zs[0], r.zs[1]

	// b runs 20 ticks and stops; a runs on and waits for b at its boundary after tick 21.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sa := r.server(0, server.Options{})
	aDone := r.run(ctx, sa)
	require.NoError(t, <-r.run(t.Context(), r.server(1, server.Options{Ticks: 20})))
	within(t, waitAt21.seen)

	var zst cluster.Stats
	var now uint64
	require.NoError(t, do(t, sa, func(*world.World) { zst, now = a.Stats(), a.World().Now() }))
	require.Equal(t, uint64(21), now)
	require.Equal(t, "b", zst.Waiting.Peer)
	require.Equal(t, uint64(21), zst.Waiting.Tick)
	require.Equal(t, uint64(20), zst.Waiting.PeerTick)
	require.False(t, zst.Waiting.Since.IsZero())
	st := sa.Stats()
	require.Equal(t, "cluster: zone a: at tick 21 waiting for zone b (it announced 20)", st.Waiting)
	require.Positive(t, st.TickWaits)
	require.Equal(t, uint64(21), st.Ticks)
	require.Equal(t, 1, testutil.CollectAndCount(a.Collector(), "stackworld_zone_barrier_waiting_seconds"))

	saved := within(t, sa.SaveNow())
	require.NoError(t, saved.Err)
	require.Equal(t, uint64(21), saved.Tick)

	sa.Pause()
	require.NoError(t, do(t, sa, func(*world.World) {}))
	require.True(t, sa.Stats().Paused)
	sa.Resume()

	// The end of Run's context stops a at once, with the final save: the world is at a
	// boundary, the barrier took nothing in.
	cancel()
	require.NoError(t, within(t, aDone))
	last := sa.Stats().LastSave
	require.True(t, last.Final)
	require.Equal(t, uint64(21), last.Tick)
	require.NoError(t, last.Err)

	// A new server for a waits again; Stop ends it.
	sa = r.server(0, server.Options{})
	aDone = r.run(t.Context(), sa)
	require.NoError(t, do(t, sa, func(*world.World) {}))
	require.NoError(t, do(t, sa, func(*world.World) {})) // served after a BeforeTick that waited
	require.Equal(t, "cluster: zone a: at tick 21 waiting for zone b (it announced 20)", sa.Stats().Waiting)
	sa.Stop()
	require.NoError(t, within(t, aDone))
	require.Equal(t, uint64(21), a.World().Now())

	// b comes back: both go on to tick 60, as if nothing had stopped.
	aDone = r.run(t.Context(), r.server(0, server.Options{Ticks: serverTicks - 21, SaveEvery: 20}))
	bDone := r.run(t.Context(), r.server(1, server.Options{Ticks: serverTicks - 20, SaveEvery: 20}))
	require.NoError(t, <-aDone)
	require.NoError(t, <-bDone)
	require.Equal(t, want, r.result())
	require.Zero(t, a.Stats().Waiting)
	require.Zero(t, b.Stats().Waiting)
	require.Equal(t, 0, testutil.CollectAndCount(a.Collector(), "stackworld_zone_barrier_waiting_seconds"))
}

// A tick announcement that is not a decimal tick is refused, logged once per value with
// its key and the reason, and the peer counts as not there yet: the zone waits until the
// peer announces a tick.
func TestBarrierRefusesGarbageTick(t *testing.T) {
	var log logBuffer
	s, zs := zonePair(t, walkers(t, 4, 9), nil, func(c *cluster.Config) {
		c.LockStep, c.Logger = true, log.logger()
	})
	a, b := zs[0], zs[1]
	js, err := jetstream.New(connect(t, s.ClientURL()))
	require.NoError(t, err)
	kv, err := js.KeyValue(t.Context(), cluster.ZonesBucket)
	require.NoError(t, err)
	require.NoError(t, a.Step(t.Context()))
	require.NoError(t, b.Step(t.Context()))

	for i, bad := range []string{"12x", "-1", "123456789012345678901", "99999999999999999999"} {
		_, err := kv.PutString(t.Context(), "tick.b", bad)
		require.NoError(t, err)
		stepUntil(t, a, func() bool { return len(log.lines("refused a tick announcement")) > i })
		require.Equal(t, uint64(1), a.World().Now(), "a did not tick")
	}
	var reasons []string
	for _, l := range log.lines("refused a tick announcement") {
		require.Contains(t, l, "zone=a key=tick.b revision=")
		reasons = append(reasons, l[strings.LastIndex(l, " err=")+len(" err="):])
	}
	require.Equal(t, []string{
		`"value \"12x\" is not a decimal tick"`,
		`"value \"-1\" is not a decimal tick"`,
		`"value of 21 bytes, want a decimal tick of 1 to 20 digits"`,
		`"value \"99999999999999999999\" is not a tick: strconv.ParseUint: parsing \"99999999999999999999\": value out of range"`,
	}, reasons)

	require.NoError(t, b.Step(t.Context())) // b announces 2
	require.NoError(t, a.Step(t.Context()))
	require.Equal(t, uint64(2), a.World().Now())
	require.Equal(t, uint64(1), a.Stats().BarrierWaits)
	require.Zero(t, a.Stats().Waiting)
}

// A wait for a peer is logged as a warning once it has lasted a second, naming the tick
// and the peer, and again at doubling intervals, at most a minute apart.
func TestBarrierWarnsOfALongWait(t *testing.T) {
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		16 * time.Second, 32 * time.Second, 64 * time.Second, 124 * time.Second, 184 * time.Second},
		cluster.WarnSchedule(9))
	var log logBuffer
	_, zs := zonePair(t, walkers(t, 4, 9), nil, func(c *cluster.Config) { c.LockStep, c.Logger = true, log.logger() })
	a, b := zs[0], zs[1]
	require.NoError(t, a.Step(t.Context()))
	start := time.Now()
	stepUntil(t, a, func() bool { return len(log.lines("still waiting at the barrier")) > 0 })
	require.GreaterOrEqual(t, time.Since(start), time.Second)
	lines := log.lines("still waiting at the barrier")
	require.Len(t, lines, 1)
	require.Contains(t, lines[0], `level=WARN msg="cluster: still waiting at the barrier: the peer zone has not finished the tick (stopped, or slow)" zone=a tick=1 for=b at=0 waited=`)
	require.NoError(t, b.Step(t.Context()))
	require.NoError(t, a.Step(t.Context()))
	require.Len(t, log.lines("still waiting at the barrier"), 1)
}

// stepUntil steps zone z (zone a at tick 1, its peer b behind) 50 ms at a time until done
// holds; each step must end waiting for b. It fails the test after prompt.
func stepUntil(t *testing.T, z *zone, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(prompt)
	for !done() {
		require.True(t, time.Now().Before(deadline), "not within %v", prompt)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		err := z.Step(ctx)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorContains(t, err, "cluster: zone a: at tick 1 waiting for zone b (it announced")
	}
}

// within returns what c delivers, failing the test if that takes longer than prompt.
func within[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	timer := time.NewTimer(prompt)
	defer timer.Stop()
	select {
	case v := <-c:
		return v
	case <-timer.C:
		t.Fatalf("nothing within %v", prompt)
	}
	panic("unreachable")
}

// do is srv.Do bounded by prompt.
func do(t *testing.T, srv *server.Server, f func(*world.World)) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), prompt)
	defer cancel()
	return srv.Do(ctx, f)
}

// waitSignal is a slog handler that closes seen when the zone logs that it waits at the
// barrier at tick for peer; it drops every record.
type waitSignal struct {
	tick, peer string
	seen       chan struct{}
	once       sync.Once
}

func (h *waitSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h *waitSignal) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *waitSignal) WithGroup(string) slog.Handler            { return h }

func (h *waitSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "cluster: waiting at the barrier" {
		return nil
	}
	var tick, peer string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "tick":
			tick = a.Value.String()
		case "for":
			peer = a.Value.String()
		}
		return true
	})
	if tick == h.tick && peer == h.peer {
		h.once.Do(func() { close(h.seen) })
	}
	return nil
}

// The program's BeforeTick runs after the zone has taken in the tick's payloads and mail,
// so it may not put the tick off: ErrTickNotReady from it stops Run, saying why.
func TestProgramBeforeTickMayNotWait(t *testing.T) {
	_, zs := zonePair(t, nil, nil, nil)
	srv, err := zs[0].NewServer(server.Options{
		BeforeTick: func(context.Context, *world.World) error { return server.ErrTickNotReady }})
	require.NoError(t, err)
	require.EqualError(t, srv.Run(t.Context()), "server: before tick at tick 0: cluster: zone a: the program's "+
		"BeforeTick answered server: the tick is not ready after the zone took in the tick's payloads and mail: it may not put the tick off")
}
