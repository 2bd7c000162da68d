package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world"
)

// What the buckets store is bounded by what is alive: each bucket keeps one revision per
// key (History 1), and what a zone removes leaves nothing behind for long.
//
//   - A settled journal key ("journal.<zone>.{out,in}.<n>") is removed from the zones
//     bucket's stream by subject: no delete marker, no old revision. Journal keys are
//     written and read only by their own zone (never watched, never reused: migration ids
//     and payload sequences do not repeat), so nobody needs to see the removal.
//   - A despawned entity's directory entry is purged (compare-and-set on its revision)
//     with a marker that expires after dirMarkerTTL: a zone that looks the entity up in
//     the meantime reads "deleted", afterwards "not found", and treats both alike.

// dirMarkerTTL is how long the marker of a purged directory entry stays.
const dirMarkerTTL = time.Minute

// zonesStream is the name of the stream behind ZonesBucket.
const zonesStream = "KV_" + ZonesBucket

// dropJournal removes journal key k from the zones bucket, leaving nothing in its stream.
// Cost: one request to the server.
func (z *Zone) dropJournal(ctx context.Context, k string) error {
	err := z.zonesSt.Purge(ctx, jetstream.WithPurgeSubject("$KV."+ZonesBucket+"."+k))
	if err != nil {
		return fmt.Errorf("cluster: zone %s: journal key %s kept: %w", z.cfg.Name, k, err)
	}
	return nil
}

// forgetEntry purges entity id's directory entry if it is still at revision rev; the
// purge marker expires after dirMarkerTTL. Cost: one request to the server.
func (z *Zone) forgetEntry(ctx context.Context, id world.EntityID, rev uint64) error {
	return z.dir.kv.Purge(ctx, dirKey(id), jetstream.LastRevision(rev), jetstream.PurgeTTL(dirMarkerTTL))
}
