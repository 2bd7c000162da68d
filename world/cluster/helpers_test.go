package cluster_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

func jetstreamNew(nc *nats.Conn) (jetstream.JetStream, error) { return jetstream.New(nc) }

// owner reads entity id's directory entry.
func owner(t *testing.T, js jetstream.JetStream, id world.EntityID) cluster.Owner {
	t.Helper()
	kv, err := js.KeyValue(context.Background(), cluster.DirectoryBucket)
	require.NoError(t, err)
	e, err := kv.Get(context.Background(), "e."+itoa(uint64(id)))
	require.NoError(t, err, "entity %d has no directory entry", id)
	var o cluster.Owner
	require.NoError(t, jsonUnmarshal(e.Value(), &o))
	return o
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// zonePair starts an embedded server (port -1, logs off, its own store) and opens zones
// a and b, regions 0 and 1 of 2, on worlds wa and wb (nil: emptyWorld), each on its own
// connection, saving to <a temporary folder>/<name>.cbor, logs quiet. tune, if not nil,
// adjusts each zone's config before the zone opens (AckWait, Fault, LockStep, ...).
func zonePair(t *testing.T, wa, wb *world.World, tune func(*cluster.Config)) (*natsserver.Server, []*zone) {
	t.Helper()
	s := startServer(t, t.TempDir(), -1)
	dir := t.TempDir()
	zs := make([]*zone, 2)
	for i, w := range []*world.World{wa, wb} {
		if w == nil {
			w = emptyWorld(t)
		}
		name := []string{"a", "b"}[i]
		cfg := cluster.Config{Name: name, Conn: connect(t, s.ClientURL()), World: w, Regions: 2, Region: i,
			SavePath: filepath.Join(dir, name+".cbor"), Logger: quiet()}
		if tune != nil {
			tune(&cfg)
		}
		zs[i] = openZone(t, cfg)
	}
	return s, zs
}

// restart is kill -9 and a restart of zone z: its memory and connection are dropped, and
// it opens again (Recovering, without its Fault) from its last save on a new connection to
// s. It returns the new zone.
func restart(t *testing.T, s *natsserver.Server, z *zone) *zone {
	t.Helper()
	z.Close()
	z.cfg.Conn.Close()
	w, err := world.LoadFile(world.DefaultCodec(), z.cfg.SavePath, world.Config{Logger: quiet()})
	require.NoError(t, err)
	cfg := z.cfg
	cfg.Conn, cfg.World, cfg.Recovering, cfg.Fault = connect(t, s.ClientURL()), w, true, nil
	return openZone(t, cfg)
}

// emptyWorld is a world with no entities, seed 2, whose entity ids carry zone number 2.
func emptyWorld(t *testing.T) *world.World {
	t.Helper()
	w, err := world.New(world.Config{Seed: 2, Zone: 2, Logger: quiet()})
	require.NoError(t, err)
	return w
}

// inbox returns the messages queued in the mailbox "inbox" of entity id, in whichever of
// zs has it.
func inbox(zs []*zone, id world.EntityID) []any {
	var got []any
	for _, z := range zs {
		if mb := z.World().MailboxOf(id, "inbox"); mb != 0 {
			z.World().EachMessage(mb, func(m any) bool { got = append(got, m); return true })
		}
	}
	return got
}

// letterPair returns zone a's world with a sender entity and zone b's with a receiver that
// has a string mailbox "inbox", left and right of the map's middle.
func letterPair(t *testing.T) (wa, wb *world.World, sender, receiver world.EntityID, inbox world.Mailbox[string]) {
	t.Helper()
	wa, err := world.New(world.Config{Seed: 1, Zone: 1, Logger: quiet()})
	require.NoError(t, err)
	sender = wa.NewEntity(wa.Kind("sender"), world.Vec{X: 100, Y: 100})
	wb = emptyWorld(t)
	receiver = wb.NewEntity(wb.Kind("receiver"), world.Vec{X: 700, Y: 100})
	return wa, wb, sender, receiver, world.NewMailbox[string](wb, receiver, "inbox")
}
