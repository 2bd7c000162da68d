package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// Mail from a sender that stays to receivers that move (one across once, one back and
// forth) arrives once each, in the order sent.
func TestMailFollowsMovingEntities(t *testing.T) {
	ctx := context.Background()
	wa, err := world.New(world.Config{Seed: 1, Zone: 1, Logger: quiet()})
	require.NoError(t, err)
	k := wa.Kind("walker")
	sender := wa.NewEntity(k, world.Vec{X: 100, Y: 100})
	var receivers []world.EntityID
	for _, r := range []struct{ x, vx int32 }{{505, 3}, {515, -3}, {508, 1}} {
		id := wa.SpawnEntity(k, world.Vec{X: r.x, Y: 10}, func(id world.EntityID) sim.Frame { return &walker{Self: id, Depth: 2} })
		world.NewMailbox[string](wa, id, "inbox")
		wa.SetVel(id, world.Vec{X: r.vx})
		receivers = append(receivers, id)
	}
	_, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.AckWait = 250 * time.Millisecond })
	const n = 30
	for seq := 1; seq <= n; seq++ {
		for _, r := range receivers {
			require.NoError(t, zs[0].Send(sender, r, "inbox", fmt.Sprintf("m%d", seq)))
		}
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
	}
	settle(t, zs)
	want := make([]any, n)
	for i := range want {
		want[i] = fmt.Sprintf("m%d", i+1)
	}
	moved := 0
	for _, r := range receivers {
		require.Equal(t, want, inbox(zs, r), "entity %d", r)
		if zs[1].World().Alive(r) {
			moved++
		}
	}
	require.Positive(t, moved)
	t.Logf("a: %+v; b: %+v", zs[0].Stats(), zs[1].Stats())
}
