package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// Hostile payloads on a zone's migration subject are refused, counted and logged; the zone
// goes on and still takes in real migrations.
func TestZoneRefusesHostilePayloads(t *testing.T) {
	ctx := context.Background()
	wa := walkers(t, 10, 1)
	all := ids(wa)
	s, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.AckWait = 250 * time.Millisecond })
	js, err := jetstream.New(connect(t, s.ClientURL()))
	require.NoError(t, err)
	for _, junk := range [][]byte{nil, []byte("not cbor"), {0x87, 0x60, 0x61, 0x61, 0x61, 0x62, 0x00, 0x80, 0x80}, {0x9f, 0xff}} {
		_, err := js.Publish(ctx, cluster.MigrateSubject+"b", junk)
		require.NoError(t, err)
	}
	for range 20 {
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
	}
	settle(t, zs)
	require.Equal(t, uint64(4), zs[1].Stats().Failures, "each junk payload refused once")
	require.Positive(t, zs[1].Stats().MigrationsIn)
	census(t, zs[0].cfg.Conn, zs, all)
}
