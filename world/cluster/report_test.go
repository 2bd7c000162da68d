package cluster_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// A zone publishes its report and metrics, and reports a peer that stops stepping.
func TestReportsAndSilentPeers(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, t.TempDir(), -1)
	dir := t.TempDir()
	nc := connect(t, s.ClientURL())
	sub, err := nc.SubscribeSync(cluster.StatsSubject + "a")
	require.NoError(t, err)
	wa := walkers(t, 20, 1)
	wb, err := world.New(world.Config{Seed: 2, Zone: 2, Logger: quiet()})
	require.NoError(t, err)
	var zs []*zone
	for i, w := range []*world.World{wa, wb} {
		name := []string{"a", "b"}[i]
		zs = append(zs, openZone(t, cluster.Config{Name: name, Conn: connect(t, s.ClientURL()), World: w, Regions: 2, Region: i,
			SavePath: filepath.Join(dir, name+".cbor"), Logger: quiet(), ReportEvery: time.Millisecond, SilentAfter: 100 * time.Millisecond}))
	}
	for range 10 {
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
	}
	settle(t, zs)
	msg, err := sub.NextMsg(5 * time.Second)
	require.NoError(t, err)
	require.Contains(t, string(msg.Data), `"zone":"a"`)

	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(zs[0].Collector()))
	out := zs[0].Stats().MigrationsOut
	require.Positive(t, out)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP stackworld_zone_migration_failures_total Payloads refused, publishes or journal writes failed, commits lost.
# TYPE stackworld_zone_migration_failures_total counter
stackworld_zone_migration_failures_total{zone="a"} 0
`), "stackworld_zone_migration_failures_total"))
	n, err := testutil.GatherAndCount(reg)
	require.NoError(t, err)
	require.Equal(t, 13, n)

	// b stops stepping: a reports it once SilentAfter has passed.
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(zs[0].Silent(), "b") && time.Now().Before(deadline) {
		require.NoError(t, zs[0].Step(ctx))
	}
	require.Equal(t, []string{"b"}, zs[0].Silent())
	require.NoError(t, zs[1].Step(ctx)) // b answers again
	for slices.Contains(zs[0].Silent(), "b") && time.Now().Before(deadline) {
		require.NoError(t, zs[0].Step(ctx))
	}
	require.Empty(t, zs[0].Silent())
}
