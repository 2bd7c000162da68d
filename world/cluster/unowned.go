package cluster

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/stackworld/stackworld/world"
)

// Entities nobody can be said to own. A restarted zone whose saved world holds an entity
// whose directory entry is not an Owner (overwritten by hand: nats kv put stackworld_dir
// e.<id> garbage) cannot tell whether the entity is its own or stale (moved away after
// the save, its new owner's entry then overwritten). Claiming it could make a second
// owner, dropping it could lose the only copy. So the zone opens, keeps the entity in its
// world without owning it (it is not migrated, not audited, and saves keep it), logs it
// once per revision of the entry with the way out, and reads its entry again at each round
// of the audit (at most once per auditRound): once the entry names this zone the entity
// is the zone's again, at that epoch; once it names another zone the copy here is
// dropped (counted in Stats.Dropped). The entity's tasklets keep running meanwhile (the
// world cannot pause one entity); what they send is numbered as usual, and receivers
// take each number once. determinism: an operator's repair takes effect when the zone
// reads it, which LockStep runs cannot agree on; they repeat again from then on.

// keepUnowned records entity id, found with an unreadable entry at revision rev, as kept
// without an owner, and logs it (once per revision) with the way out.
func (z *Zone) keepUnowned(id world.EntityID, rev uint64, err error) {
	a := &z.audits
	if r, ok := a.unowned[id]; ok && r == rev {
		return
	}
	if a.unowned == nil {
		a.unowned = map[world.EntityID]uint64{}
	}
	a.unowned[id] = rev
	delete(z.revs, id)
	delete(z.epochs, id)
	key := dirKey(id)
	z.log.Error("cluster: entity kept without an owner: its directory entry is unreadable, so the zone can neither claim nor drop it; it is not migrated until the entry names a zone",
		"entity", id, "revision", rev, "err", err,
		"fix", "if this zone holds the entity: nats kv put "+DirectoryBucket+" "+key+` '{"zone":"`+z.cfg.Name+`","epoch":0}'`+
			"; if another zone does, put that zone's name (this copy is then dropped)")
}

// checkUnowned reads the entries of the entities kept without an owner, at most once per
// auditRound, and settles those whose entry names a zone again. Cost: nothing while none
// is kept; else one read per kept entity.
func (z *Zone) checkUnowned(ctx context.Context) {
	a := &z.audits
	if len(a.unowned) == 0 || time.Since(a.checked) < auditRound { // determinism: paces reads of NATS only
		return
	}
	a.checked = time.Now() // determinism: as above
	for _, id := range slices.Sorted(maps.Keys(a.unowned)) {
		if err := z.settleUnowned(ctx, id); err != nil {
			z.log.Debug("cluster: entity without an owner: entry not read", "entity", id, "err", err) // NATS is away
			return
		}
	}
}

// settleUnowned reads entity id's entry and takes the entity as the zone's, or drops the
// copy here, when the entry names a zone.
func (z *Zone) settleUnowned(ctx context.Context, id world.EntityID) error {
	if !z.w.Alive(id) {
		delete(z.audits.unowned, id) // despawned by its own tasklets
		return nil
	}
	o, rev, ok, err := z.dir.get(ctx, id)
	switch {
	case errors.Is(err, errNotOwner):
		z.keepUnowned(id, rev, err)
		return nil
	case err != nil:
		return err
	case !ok:
		return nil // deleted: still nobody's (a put names the owner)
	}
	delete(z.audits.unowned, id)
	if o.Zone == z.cfg.Name {
		z.revs[id], z.epochs[id] = rev, o.Epoch
		z.log.Warn("cluster: entity kept without an owner is the zone's again: its directory entry names the zone",
			"entity", id, "epoch", o.Epoch, "revision", rev)
		return nil
	}
	if _, err := z.w.Export(z.cfg.Codec, []world.EntityID{id}); err != nil {
		z.audits.unowned[id] = rev
		return err
	}
	z.stats.Dropped++
	z.log.Warn("cluster: entity kept without an owner dropped: its directory entry names another zone",
		"entity", id, "owner", o.Zone, "epoch", o.Epoch, "revision", rev)
	return nil
}

// isUnowned reports whether entity id is kept without an owner.
func (z *Zone) isUnowned(id world.EntityID) bool {
	_, ok := z.audits.unowned[id]
	return ok
}
