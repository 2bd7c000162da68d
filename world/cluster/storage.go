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
//   - A batch's commit record ("m.<migration id>") is removed from the directory's stream
//     by subject once neither side can ask for it again (dropCommit says when), so that
//     at steady state the directory holds no record at all. Nobody watches records.

// storage is what a zone keeps to remove what the buckets and streams no longer need.
type storage struct {
	// records are commit records of settled batches not yet removed (dropSettledCommit).
	records []string
	// withJournal maps an incoming journal key to the commit record to remove with it: a
	// record naming the source, found for a payload the zone then refused (dropCommit).
	withJournal map[string]string
}

// dropWithJournal notes that commit record mig goes when journal key jkey goes.
func (s *storage) dropWithJournal(jkey, mig string) {
	if s.withJournal == nil {
		s.withJournal = map[string]string{}
	}
	s.withJournal[jkey] = mig
}

// journalDropped removes the commit record noted for journal key jkey, which the zone has
// just dropped (best effort: one left behind goes after commitTTL).
func (z *Zone) journalDropped(ctx context.Context, jkey string) {
	mig, ok := z.store.withJournal[jkey]
	if !ok {
		return
	}
	delete(z.store.withJournal, jkey)
	if err := z.dir.dropCommit(ctx, mig); err != nil {
		z.log.Warn("cluster: commit record of a move taken back kept until its TTL", "migration", mig, "err", err)
	}
}

// dirMarkerTTL is how long the marker of a purged directory entry stays.
const dirMarkerTTL = time.Minute

// zonesStream is the name of the stream behind ZonesBucket.
const zonesStream = "KV_" + ZonesBucket

// dropJournal removes journal key k from the zones bucket, leaving nothing in its stream.
// Cost: one request to the server.
// A commit record noted with the key (dropWithJournal) goes after it.
func (z *Zone) dropJournal(ctx context.Context, k string) error {
	err := z.zonesSt.Purge(ctx, jetstream.WithPurgeSubject("$KV."+ZonesBucket+"."+k))
	if err != nil {
		return fmt.Errorf("cluster: zone %s: journal key %s kept: %w", z.cfg.Name, k, err)
	}
	z.journalDropped(ctx, k)
	return nil
}

// forgetEntry purges entity id's directory entry if it is still at revision rev; the
// purge marker expires after dirMarkerTTL. Cost: one request to the server.
func (z *Zone) forgetEntry(ctx context.Context, id world.EntityID, rev uint64) error {
	return z.dir.kv.Purge(ctx, dirKey(id), jetstream.LastRevision(rev), jetstream.PurgeTTL(dirMarkerTTL))
}

// dropCommit removes migration mig's commit record from the directory, leaving nothing in
// its stream. Cost: one request to the server.
//
// A record answers one question, who won the batch, for two askers: the target, each
// time its consumer delivers the payload (again) or its recovery redoes the journaled
// intake, and the source, when its recovery finds the batch's entities in its restored
// world with their entries unchanged. So a record may go when neither can ask again:
//   - A record naming the target goes once the target has settled the batch's entries
//     (commit.go): the source then finds them changed and never asks. The target may
//     still ask, after a crash, but a record it does not find it creates for itself, the
//     answer it would have read.
//   - A record naming the source (a move it took back after a crash) goes once the target
//     has dropped the journal entry of the payload it refused for it (settleJournal): by
//     then the stream can no longer deliver that payload (its ack is confirmed). A record
//     for a payload that never reached the stream waits for commitTTL.
func (d *directory) dropCommit(ctx context.Context, mig string) error {
	if err := d.st.Purge(ctx, jetstream.WithPurgeSubject(d.pre+commitKey(mig))); err != nil {
		return fmt.Errorf("cluster: directory: commit record of migration %s kept: %w", mig, err)
	}
	return nil
}
