package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world"
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

// Hostile letters on the lock-step mail stream (not CBOR, no tick, a tick far ahead, a
// letter to nobody) are refused or dropped; the zones go on, and real mail still arrives
// at its tick.
func TestLockStepZonesRefuseHostileLetters(t *testing.T) {
	ctx := context.Background()
	wa := walkers(t, 4, 1)
	to := ids(wa)[0]
	world.NewMailbox[string](wa, to, "inbox")
	s, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.LockStep = true })
	js, err := jetstream.New(connect(t, s.ClientURL()))
	require.NoError(t, err)
	for _, h := range []struct {
		tick string
		data []byte
	}{{"1", []byte("not cbor")}, {"", []byte{0x9f, 0xff}}, {"18446744073709551615", []byte{0x80}}, {"x", nil}} {
		m := nats.NewMsg(cluster.LockStepMailSubject + "evil")
		m.Data = h.data
		if h.tick != "" {
			m.Header.Set("Stackworld-Tick", h.tick)
		}
		_, err := js.PublishMsg(ctx, m)
		require.NoError(t, err)
	}
	require.NoError(t, zs[0].Send(to, to, "inbox", "hello"))
	for range 5 {
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
	}
	require.Equal(t, []any{"hello"}, inbox(zs, to))
	for _, z := range zs {
		require.Equal(t, uint64(1), z.Stats().Failures, "zone %s refused the letter stamped far ahead", z.Name())
	}
}
