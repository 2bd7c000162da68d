package main

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is a bytes.Buffer written by the zone's goroutines and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// An operator's garbage on a zone's migration subject (as `nats pub stackworld.migrate.z1
// garbage` sends it) is refused with a logged reason on the zone's stderr, counted in its
// report, and the zone runs on. Until the zone had a --log of its own, the cluster's
// messages went to the scenario's logger, which shows nothing below error+4.
func TestZoneLogsRefusedPayloads(t *testing.T) {
	s, err := cluster.StartServer(cluster.ServerOptions{StoreDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { stopServer(s, false) })
	nc, err := nats.Connect(s.ClientURL())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	reports, err := nc.SubscribeSync(cluster.StatsSubject + "z1")
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runZone(ctx, []string{"--nats", s.ClientURL(), "--regions", "2", "--region", "1",
			"--rate", "50", "--scenario", small(t), "--quiet"}, &bytes.Buffer{}, &stderr)
	}()
	_, err = reports.NextMsg(20 * time.Second) // the zone runs: its stream exists
	require.NoError(t, err, stderr.String())
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.Publish(ctx, cluster.MigrateSubject+"z1", []byte("garbage"))
	require.NoError(t, err)
	for {
		m, err := reports.NextMsg(20 * time.Second)
		require.NoError(t, err, stderr.String())
		var r cluster.Report
		require.NoError(t, json.Unmarshal(m.Data, &r))
		if r.Stats.Failures > 0 {
			require.Equal(t, uint64(1), r.Stats.Failures)
			break
		}
	}
	cancel()
	require.NoError(t, <-done)
	log := stderr.String()
	require.Contains(t, log, `level=ERROR msg="cluster: migration payload refused" zone=z1 seq=1 err="envelope: unexpected EOF"`+"\n", log)
}

func TestZoneLogFlag(t *testing.T) {
	_, err := parseZoneFlags([]string{"--nats", "embedded", "--log", "loud"}, &bytes.Buffer{})
	require.EqualError(t, err, `--log "loud": want debug, info, warn or error`)
	o, err := parseZoneFlags([]string{"--nats", "embedded"}, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, "info", o.logLevel)
}

// The progress view of run --zones marks a zone whose last report is older than
// cluster.DefaultSilentAfter (stopped with SIGSTOP, say) instead of repeating its last tick,
// and a lock-step zone waiting at the barrier with the zone it waits for.
func TestProgressLineMarksSilentZones(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	last := map[string]cluster.Report{
		"z0": {Zone: "z0", Tick: 300, UnixMs: now.UnixMilli() - 900, Entities: 6300, Stats: cluster.Stats{MigrationsIn: 40, MigrationsOut: 41,
			Waiting: cluster.BarrierWait{Tick: 300, Peer: "z1", PeerTick: 220, Since: now.Add(-6_600 * time.Millisecond)}}},
		"z1": {Zone: "z1", Tick: 220, UnixMs: now.UnixMilli() - 7_400, Entities: 6307, Stats: cluster.Stats{MigrationsIn: 37, MigrationsOut: 39}},
	}
	require.Equal(t, "zones:  z0: tick 300, 6300 entities, 40 in/41 out, waiting for z1 at tick 300 (z1 at 220, 7s)  z1: tick 220, 6307 entities, 37 in/39 out (silent 7s)  z2: -",
		progressLine(last, 3, now))
}

// A LockStep zone's wait at the barrier shows in the progress view of run --zones and in
// stackworld zone's own progress line: the peer, the zone's tick, the peer's, and how long.
func TestProgressLinesShowTheBarrierWait(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	wait := cluster.Stats{MigrationsIn: 3, Waiting: cluster.BarrierWait{Tick: 41, Peer: "z1", PeerTick: 40, Since: now.Add(-12_300 * time.Millisecond)}}
	last := map[string]cluster.Report{
		"z0": {Zone: "z0", Tick: 41, UnixMs: now.UnixMilli() - 300, Entities: 20, Stats: wait},
		"z1": {Zone: "z1", Tick: 40, UnixMs: now.UnixMilli() - 7_000, Entities: 22},
	}
	require.Equal(t, "zones:  z0: tick 41, 20 entities, 3 in/0 out, waiting for z1 at tick 41 (z1 at 40, 12s)  z1: tick 40, 22 entities, 0 in/0 out (silent 7s)",
		progressLine(last, 2, now))

	w, err := world.New(world.Config{Seed: 1})
	require.NoError(t, err)
	t.Cleanup(w.Close)
	require.Equal(t, "zone z0: tick 0, 0 entities, 3 in, 0 out, 0 failures, waiting for z1 at tick 41 (z1 at 40, 12s)",
		zoneProgressLine("z0", w, wait, now))
	require.Equal(t, "zone z0: tick 0, 0 entities, 0 in, 0 out, 0 failures", zoneProgressLine("z0", w, cluster.Stats{}, now))
}
