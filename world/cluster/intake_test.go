package cluster_test

import (
	"context"
	"testing"

	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// A migration of more than MaxBatch entities is taken in over several ticks: at most
// MaxBatch entities (one payload here) per tick boundary, the rest held for the next.
func TestIntakeSpreadsOverTicks(t *testing.T) {
	ctx := context.Background()
	const batch, n = 10, 25
	wa, ids := parkedWorld(t, n)
	_, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.MaxBatch = batch })
	a, b := zs[0], zs[1]
	require.NoError(t, a.Migrate(ctx, "b", ids)) // 3 payloads: 10, 10, 5
	var took []int
	for i := 0; i < 200 && b.World().Len() < n; i++ {
		before := b.World().Len()
		require.NoError(t, b.Step(ctx))
		if d := b.World().Len() - before; d > 0 {
			took = append(took, d)
		}
	}
	require.Equal(t, []int{10, 10, 5}, took, "entities taken in at each boundary that took any")
	settle(t, zs)
	census(t, a.cfg.Conn, zs, ids)
}
