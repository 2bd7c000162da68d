package cluster_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// A zone publishes its report and metrics, and reports a peer that stops stepping.
func TestReportsAndSilentPeers(t *testing.T) {
	ctx := context.Background()
	_, zs := zonePair(t, walkers(t, 20, 1), nil, func(c *cluster.Config) {
		c.ReportEvery, c.SilentAfter = time.Millisecond, 100*time.Millisecond
	})
	sub, err := zs[0].cfg.Conn.SubscribeSync(cluster.StatsSubject + "a")
	require.NoError(t, err)
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
	require.Equal(t, 18, n)

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
