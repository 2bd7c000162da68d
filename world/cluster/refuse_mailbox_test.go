package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// A payload whose entity's AoI notify mailbox holds a string (it takes world.AoIEvents)
// is refused before the move is committed, counted once, and the zone goes on taking real
// migrations; it was imported, and that mailbox could never be read.
func TestZoneRefusesAPayloadWithAMisfitMessage(t *testing.T) {
	ctx := context.Background()
	wa := walkers(t, 10, 1)
	all := ids(wa)
	s, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.AckWait = 250 * time.Millisecond })
	js, err := jetstream.New(connect(t, s.ClientURL()))
	require.NoError(t, err)
	forged := world.MakeEntityID(1, 1_000)
	mig := &world.Migration{Version: world.MigrationVersion, Tick: 1, Entities: []world.Migrant{{
		ID: forged, Kind: "walker", X: 900, Y: 1, Interest: 10, Notify: 1,
		Mailboxes: []world.MailboxSnapshot{{ID: 1, Owner: forged, Name: "aoi", Values: []any{"junk"}}},
	}}}
	c, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	payload, _, err := c.Save(sim.NewScheduler(sim.Options{}), persist.Section{Name: world.MigrationSection, Value: mig})
	require.NoError(t, err)
	env, err := cbor.Marshal([]any{"a-forged", "a", "b", uint64(1), []uint64{1}, []uint64{0}, payload})
	require.NoError(t, err)
	_, err = js.Publish(ctx, cluster.MigrateSubject+"b", env)
	require.NoError(t, err)
	for range 20 {
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
	}
	settle(t, zs)
	require.Equal(t, uint64(1), zs[1].Stats().Failures, "the payload refused once")
	require.False(t, zs[1].World().Alive(forged))
	require.Positive(t, zs[1].Stats().MigrationsIn)
	census(t, zs[0].cfg.Conn, zs, all)
}
