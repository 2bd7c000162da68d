package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world"
)

// The migration protocol. The directory entry of an entity is the one fact that says who
// owns it; a migration is committed by one compare-and-set on it, and a zone writes a
// journal entry before the steps a crash could interrupt, so that a zone restarted from
// its last save finishes or undoes what it began.
//
// Source S, at a tick boundary, for the entities that crossed into zone T's region:
//   1. journal "journal.S.out.<id>" = {to T, ids, epochs k+1, directory revisions}
//   2. world.Export: the entities leave S's world; the payload is now the only copy
//   3. publish the payload to the stream (subject stackworld.migrate.T, dedup id), wait
//      for the stream's ack (retried every tick while NATS is away); a save waits for it
// Target T, at a tick boundary, for each payload its consumer delivers:
//   4. journal "journal.T.in.<seq>"
//   5. commit: create the batch's record "m.<migration id>" = {T} in the directory, unless
//      it exists; if it names S, S took the move back and T drops the payload. Then the
//      entities' entries e: {S, k} at the revision S had -> {T, k+1} (compare-and-sets
//      published now, their answers settled at T's next step or save: commit.go)
//   6. world.Import of the entities
//   7. ack the message
// A save settles the journal entries written before it (they are deleted after it): an
// incoming one once its payload's ack is confirmed, outgoing ones only when no incoming
// one is left (intake.go says why).
// Recovery, from the last save:
//   - S, for each out entry whose entities are in the restored world with their entries
//     unchanged: S creates the batch's record = {S} (taking the move back; T's step 5 then
//     finds it and drops the payload), unless T's record is there: then they are dropped
//     from S's restored world, as are those whose entry names another zone.
//   - T, for each in entry: the payload is read again from the stream and steps 5-6 are
//     redone: an entity T committed but lost (its save predates step 6) is imported again.
// Whichever process dies at whichever step, exactly one world holds each entity.

// ErrInFlight: Save was postponed because exported entities are not yet in the stream.
var ErrInFlight = errors.New("cluster: migration in flight")

// outgoing is a payload on its way to the stream.
type outgoing struct {
	msg     *nats.Msg
	id      string
	to      string
	count   int
	journal string
	future  jetstream.PubAckFuture // nil: not published (or to publish again)
}

// Step runs one tick of the zone: it takes in the payloads that arrived, ticks the world,
// and sends the entities that crossed into other zones' regions. It returns the world's
// error from Tick, or ErrZoneDead. A zone on the runtime (NewServer) does the same in the
// server's BeforeTick and EndTick hooks; Step is for a program (or a test) that steps
// zones itself, for example in lock-step.
func (z *Zone) Step(ctx context.Context) error {
	if err := z.beforeTick(ctx); err != nil {
		return err
	}
	if err := z.w.Tick(); err != nil {
		return err
	}
	return z.endTick(ctx)
}

// beforeTick is the first half of a step, at the tick boundary before the world ticks:
// the barrier (LockStep: every zone has finished the tick, barrier.go), directory
// answers, then the payloads and mail due, then Config.Boundary.
func (z *Zone) beforeTick(ctx context.Context) error {
	if z.dead != nil {
		return z.dead
	}
	if err := z.barrier(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, z.cfg.OpTimeout)
	defer cancel()
	if err := z.settleDirectory(ctx); errors.Is(err, ErrZoneDead) {
		return err
	} else if err != nil {
		z.stats.Failures++
		z.log.Warn("cluster: directory updates postponed", "err", err) // NATS is away: next step
	}
	if err := z.receive(ctx); err != nil {
		return err
	}
	z.takeMail(ctx)
	if z.cfg.Boundary != nil {
		return z.cfg.Boundary(ctx)
	}
	return nil
}

// endTick is the second half of a step, after the world ticked: forget the despawned,
// publish the tick's mail, send the crossers and report.
func (z *Zone) endTick(ctx context.Context) error {
	if z.dead != nil {
		return z.dead
	}
	ctx, cancel := context.WithTimeout(ctx, z.cfg.OpTimeout)
	defer cancel()
	z.forgetDespawned(ctx)
	z.postMail(ctx)
	if err := z.send(ctx); err != nil {
		return err
	}
	if err := z.flush(ctx); err != nil {
		return err
	}
	z.publishUpdates()
	z.audit(ctx)
	if err := z.announce(ctx); err != nil {
		z.log.Warn("cluster: tick not announced; the next boundary tries again", "err", err)
	}
	z.report(ctx)
	return nil
}

// forgetDespawned deletes the directory entries of the entities that despawned in the
// last tick (exported ones are no longer this zone's: their entries stay).
func (z *Zone) forgetDespawned(ctx context.Context) {
	for _, ev := range z.w.Events() {
		if ev.Type != world.EventDespawn || z.w.Alive(ev.Entity) {
			continue
		}
		rev, ok := z.revs[ev.Entity]
		if !ok {
			continue
		}
		delete(z.revs, ev.Entity)
		delete(z.epochs, ev.Entity)
		if err := z.forgetEntry(ctx, ev.Entity, rev); err != nil {
			z.log.Warn("cluster: directory entry of a despawned entity kept", "entity", ev.Entity, "err", err)
		}
	}
}

// ---- source side ----

// send starts a migration for the entities outside the zone's region.
func (z *Zone) send(ctx context.Context) error {
	m := z.zmap.Load()
	if slices.Contains(m.Regions, "") {
		z.readMap(ctx) // a region without a zone: maybe the watcher has not heard of it yet
		m = z.zmap.Load()
	}
	var cand []world.EntityID
	var dest []string
	for i := range z.w.Entities() {
		e := &z.w.Entities()[i]
		to := m.ZoneAt(e.Pos.X)
		if to == "" || to == z.cfg.Name {
			continue
		}
		if _, ok := z.revs[e.ID]; ok { // else not (yet) ours in the directory
			cand, dest = append(cand, e.ID), append(dest, to)
		}
	}
	if len(cand) == 0 {
		return nil
	}
	byZone := map[string][]world.EntityID{}
	var targets []string
	for i, err := range z.w.Exportable(cand) {
		if err != nil || crossZoneWait(z.w, cand[i]) != nil {
			continue // pinned: try again next tick
		}
		if z.store.full[MigrateSubject+dest[i]] {
			continue // the stream refused the last payload to that zone: one waits, not more
		}
		if byZone[dest[i]] == nil {
			targets = append(targets, dest[i])
		}
		byZone[dest[i]] = append(byZone[dest[i]], cand[i])
	}
	slices.Sort(targets) // determinism: zones in name order
	for _, to := range targets {
		if err := z.migrateAll(ctx, to, byZone[to]); err != nil {
			return err
		}
	}
	return nil
}

// Migrate moves entities ids to zone `to` now (steps 1-4), whatever their position. An
// entity whose tasklet waits on a cross-zone channel (world/xchan) cannot move: Migrate
// then returns an error wrapping world.ErrPinned naming it, and moves none of ids; nor
// can one the zone keeps without an owner (unowned.go).
func (z *Zone) Migrate(ctx context.Context, to string, ids []world.EntityID) error {
	if z.dead != nil {
		return z.dead
	}
	for _, id := range ids {
		if z.isUnowned(id) {
			return fmt.Errorf("cluster: migrate entity %d: zone %s keeps it without an owner until its directory entry names a zone (see the log)", id, z.cfg.Name)
		}
		if err := crossZoneWait(z.w, id); err != nil {
			return err
		}
	}
	if err := z.settleDirectory(ctx); err != nil { // entities taken in at the last step
		return err
	}
	if err := z.migrateAll(ctx, to, slices.Clone(ids)); err != nil {
		return err
	}
	return z.flush(ctx)
}

// migrateAll exports ids (which it sorts) to zone `to` in batches of at most MaxBatch,
// highest ids first. determinism: the order is the ids'.
func (z *Zone) migrateAll(ctx context.Context, to string, ids []world.EntityID) error {
	slices.SortFunc(ids, func(a, b world.EntityID) int { return cmp.Compare(b, a) })
	for chunk := range slices.Chunk(ids, z.cfg.MaxBatch) {
		if err := z.migrate(ctx, to, chunk); err != nil {
			return err
		}
	}
	return nil
}

func (z *Zone) migrate(ctx context.Context, to string, ids []world.EntityID) error {
	z.nextMig++
	id := fmt.Sprintf("%s-%s-%d", z.cfg.Name, z.life, z.nextMig)
	epochs, revs := make([]uint64, len(ids)), make([]uint64, len(ids))
	for i, e := range ids {
		epochs[i], revs[i] = z.epochs[e]+1, z.revs[e]
	}
	jkey := "journal." + z.cfg.Name + ".out." + id
	jb, _ := json.Marshal(journalEntry{ID: id, To: to, IDs: ids, Epochs: epochs, Revs: revs})
	if _, err := z.zones.Put(ctx, jkey, jb); err != nil {
		z.stats.Failures++
		z.log.Warn("cluster: migration postponed: journal", "to", to, "err", err)
		return nil // NATS is away: the entities stay and cross at a later tick
	}
	if err := z.fault("out.journaled"); err != nil {
		return err
	}
	payload, err := z.w.Export(z.cfg.Codec, ids)
	if err != nil {
		z.stats.Failures++
		z.log.Error("cluster: export failed; the entities stay", "err", err)
		return nil // the journal entry settles as "not moved" (the directory did not change)
	}
	for _, e := range ids {
		delete(z.revs, e)
		delete(z.epochs, e)
	}
	if err := z.fault("out.exported"); err != nil {
		return err
	}
	env := &envelope{ID: id, From: z.cfg.Name, To: to, Tick: z.w.Now(), Epochs: epochs, Revs: revs, Payload: payload}
	b, err := env.encode()
	if err != nil {
		return fmt.Errorf("cluster: envelope: %w", err)
	}
	msg := &nats.Msg{Subject: MigrateSubject + to, Data: b, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, id)
	z.outbox = append(z.outbox, &outgoing{msg: msg, id: id, to: to, count: len(ids), journal: jkey})
	z.stats.MigrationsOut += uint64(len(ids))
	z.stats.BytesOut += uint64(len(b))
	z.publishOutbox() // the stream stores this batch while the next one exports
	return nil
}

// publishOutbox publishes, without waiting, the payloads of the outbox not yet published,
// in outbox order; it stops at the first that the connection refuses (NATS away: flush
// tries again), so that the stream holds a zone's payloads in the order it exported them.
func (z *Zone) publishOutbox() {
	for _, o := range z.outbox {
		if o.future != nil {
			continue
		}
		f, err := z.js.PublishMsgAsync(o.msg)
		if err != nil {
			z.stats.Failures++
			z.log.Warn("cluster: publish postponed", "migration", o.id, "err", err)
			return
		}
		o.future = f
	}
}

// flush publishes what is left of the outbox and waits for the stream's acks (step 4). A
// payload the stream did not take stays in the outbox, published again at the next tick
// (the stream drops a second copy by its message id).
func (z *Zone) flush(ctx context.Context) error {
	if len(z.outbox) == 0 {
		return nil
	}
	z.publishOutbox()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var keep []*outgoing
	for _, o := range z.outbox {
		f := o.future
		o.future = nil // unless acked below, published again
		if f == nil {
			keep = append(keep, o)
			continue
		}
		select {
		case <-f.Ok():
			z.journal = append(z.journal, o.journal)
			z.event("out", o.id, o.to, o.count)
			z.fullAgain(o.msg.Subject)
		case err := <-f.Err():
			z.stats.Failures++
			if streamFull(err) {
				z.logFull(MigrationStream, o.msg.Subject, err)
			} else {
				z.log.Warn("cluster: publish failed; retrying", "migration", o.id, "err", err)
			}
			keep = append(keep, o)
		case <-ctx.Done():
			keep = append(keep, o)
		}
	}
	z.outbox = keep
	return z.fault("out.published")
}

// ---- target side ----

// accept runs steps 5-7 for the payload at stream sequence seq. It is idempotent: a
// payload seen before changes nothing.
func (z *Zone) accept(ctx context.Context, data []byte, seq uint64) error {
	env, err := decodeEnvelope(data, z.cfg.Name)
	if err != nil {
		z.refuse(seq, err)
		return nil
	}
	s, mig, err := world.DecodeMigration(z.cfg.Codec, env.Payload)
	if err != nil {
		z.refuse(seq, err)
		return nil
	}
	defer s.Close()
	if len(mig.Entities) != len(env.Epochs) {
		z.refuse(seq, fmt.Errorf("%d entities for %d epochs", len(mig.Entities), len(env.Epochs)))
		return nil
	}
	if err := z.w.CanImport(mig); err != nil && !z.redelivery(mig, env) {
		z.refuse(seq, err) // before the commit: the entities stay the source's in the directory
		return nil
	}
	jkey := inKey(z.cfg.Name, seq)
	jb, _ := json.Marshal(journalEntry{Seq: seq})
	if _, err := z.zones.Put(ctx, jkey, jb); err != nil {
		return fmt.Errorf("cluster: journal: %w", err) // not acked: redelivered
	}
	if err := z.fault("in.journaled"); err != nil {
		return err
	}
	won, err := z.dir.commit(ctx, env.ID, z.cfg.Name)
	if err != nil {
		return err // not acked: redelivered
	}
	if won != z.cfg.Name {
		z.journal = append(z.journal, jkey)
		z.store.dropWithJournal(jkey, env.ID)
		z.log.Info("cluster: migration taken back by its source", "migration", env.ID, "from", env.From)
		z.event("abort", env.ID, env.From, len(mig.Entities))
		return nil
	}
	cs := make([]cas, len(mig.Entities))
	keep := mig.Entities[:0]
	for i, m := range mig.Entities {
		cs[i] = cas{ID: m.ID, Rev: env.Revs[i], Value: Owner{Zone: z.cfg.Name, Epoch: env.Epochs[i]}}
		z.epochs[m.ID] = env.Epochs[i]
		if !z.w.Alive(m.ID) { // else imported before (a redelivery)
			keep = append(keep, m)
		}
	}
	z.updates = append(z.updates, &dirUpdate{from: env.From, mig: env.ID, cs: cs}) // published at the step's end
	if err := z.fault("in.committed"); err != nil {
		return err
	}
	z.journal = append(z.journal, jkey)
	if len(keep) == 0 {
		return nil
	}
	mig.Entities = keep
	if _, err := z.w.ImportDecoded(s, mig); err != nil {
		// Checked by DecodeMigration; only a world that cannot take them is left (an id here
		// already): the entities stay owned here in the directory and are reported.
		z.stats.Failures++
		z.log.Error("cluster: import failed after commit", "payload", seq, "err", err)
		return nil
	}
	z.stats.MigrationsIn += uint64(len(keep))
	z.stats.BytesIn += uint64(len(data))
	z.event("in", env.ID, env.From, len(keep))
	return nil
}

// redelivery reports whether every entity of a payload is here already, committed to this
// zone at the payload's epochs: a payload seen before (CanImport refuses it, as ids here).
func (z *Zone) redelivery(mig *world.Migration, env *envelope) bool {
	for i, m := range mig.Entities {
		if !z.w.Alive(m.ID) || z.epochs[m.ID] != env.Epochs[i] {
			return false
		}
	}
	return true
}

// recommit settles a commit whose compare-and-set failed: the entry may say the entity is
// ours already (committed before a crash), or still the source's at the epoch before the
// move under another revision (compare-and-set again), or anything else (not ours).
func (z *Zone) recommit(ctx context.Context, id world.EntityID, from string, epoch uint64) (uint64, bool, error) {
	for range 3 {
		o, cur, ok, err := z.dir.get(ctx, id)
		switch {
		case errors.Is(err, errNotOwner) || err == nil && !ok:
			// Deleted or overwritten by hand (nats kv del/put): the batch's commit record
			// names this zone, so its entry is written again.
			return z.rewriteEntry(ctx, id, cur, epoch)
		case err != nil:
			return 0, false, err
		case o == Owner{Zone: z.cfg.Name, Epoch: epoch}:
			return cur, true, nil
		case o != Owner{Zone: from, Epoch: epoch - 1}:
			return 0, false, nil
		}
		res, err := z.dir.setAll(ctx, []cas{{ID: id, Rev: cur, Value: Owner{Zone: z.cfg.Name, Epoch: epoch}}})
		if err != nil {
			return 0, false, err
		}
		if res[0].Err == nil {
			return res[0].Rev, true, nil
		}
	}
	return 0, false, nil
}

// rewriteEntry writes entity id's directory entry, found deleted (rev 0) or not an owner
// at revision rev, for this zone at epoch, when the migration that brought the entity here
// is committed to this zone.
func (z *Zone) rewriteEntry(ctx context.Context, id world.EntityID, rev, epoch uint64) (uint64, bool, error) {
	v := Owner{Zone: z.cfg.Name, Epoch: epoch}.encode()
	var err error
	if rev == 0 {
		rev, err = z.dir.kv.Create(ctx, dirKey(id), v)
	} else {
		rev, err = z.dir.kv.Update(ctx, dirKey(id), v, rev)
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return 0, false, nil // written meanwhile by someone else: not ours
	case err != nil:
		return 0, false, fmt.Errorf("cluster: directory: entity %d: %w", id, err)
	}
	z.log.Warn("cluster: directory entry was deleted or not an owner; written again", "entity", id, "epoch", epoch)
	return rev, true, nil
}

// refuse logs and counts a payload that is not accepted; the zone goes on.
func (z *Zone) refuse(seq uint64, err error) {
	z.stats.Failures++
	z.log.Error("cluster: migration payload refused", "seq", seq, "err", err)
	z.event("refused", strconv.FormatUint(seq, 10), "", 0)
}

// event publishes a migration event for operators (best effort).
func (z *Zone) event(kind, id, peer string, n int) {
	b, _ := json.Marshal(map[string]any{"zone": z.cfg.Name, "event": kind, "migration": id, "peer": peer,
		"entities": n, "tick": z.w.Now()})
	_ = z.cfg.Conn.Publish(EventsSubject, b)
}

// ---- saves and recovery ----

// Save writes the world to Config.SavePath and then settles the journal entries written
// before it. Call it between steps. It returns an error wrapping ErrInFlight, and writes
// nothing, while exported entities are only in memory (their payload not yet in the
// stream) or the directory entries of imported ones are not yet written.
func (z *Zone) Save(ctx context.Context) error {
	if z.dead != nil {
		return z.dead
	}
	covered, err := z.prepareSave(ctx)
	if err != nil {
		return err
	}
	if _, err := z.w.SaveFile(world.DefaultCodec(), z.cfg.SavePath); err != nil {
		return err
	}
	return z.saved(ctx, z.w.Now(), covered)
}

// prepareSave readies the zone for a save of its world as it is now: it publishes the
// outbox and settles the directory, and returns the journal keys the save will settle.
func (z *Zone) prepareSave(ctx context.Context) ([]string, error) {
	if err := z.flush(ctx); err != nil {
		return nil, err
	}
	if len(z.outbox) > 0 {
		// A save without the exported entities while their payload is only in memory
		// would lose them in a crash.
		return nil, fmt.Errorf("%w: %d payloads not yet in the stream", ErrInFlight, len(z.outbox))
	}
	if err := z.settleDirectory(ctx); errors.Is(err, ErrZoneDead) {
		return nil, err
	} else if err != nil {
		// A save holding entities whose entries do not name this zone yet would drop them
		// on a restart.
		return nil, fmt.Errorf("%w: directory entries of imported entities not yet written: %w", ErrInFlight, err)
	}
	z.markSave(ctx)
	return slices.Clone(z.journal), nil
}

// saved follows a written save of tick `tick`: Config.Saved, then the journal keys the
// save covers (prepareSave's) are settled.
func (z *Zone) saved(ctx context.Context, tick uint64, covered []string) error {
	if z.cfg.Saved != nil {
		z.cfg.Saved(tick)
	}
	if err := z.fault("saved"); err != nil {
		return err
	}
	z.settleJournal(ctx, covered)
	z.trimStreams(ctx, tick)
	return nil
}

// recover settles the zone's journal entries after a restart from the last save.
func (z *Zone) recover(ctx context.Context) error {
	if !z.cfg.LockStep { // lock-step letters are read again from their own stream (lockmail.go)
		if err := z.resetMail(ctx); err != nil {
			return err
		}
	}
	lister, err := z.zones.ListKeysFiltered(ctx, "journal."+z.cfg.Name+".>")
	if err != nil {
		return fmt.Errorf("cluster: recover: journal: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	slices.Sort(keys) // determinism: settle in key order
	for _, id := range z.entityIDs() {
		o, rev, ok, err := z.dir.get(ctx, id)
		if errors.Is(err, errNotOwner) {
			z.keepUnowned(id, rev, err) // unowned.go
			continue
		}
		if err != nil {
			return err
		}
		switch {
		case !ok:
			if err := z.claim(ctx, []world.EntityID{id}); err != nil {
				return err
			}
		case o.Zone == z.cfg.Name:
			z.revs[id], z.epochs[id] = rev, o.Epoch
		}
	}
	for _, k := range keys {
		e, err := z.zones.Get(ctx, k)
		if err != nil {
			continue
		}
		var j journalEntry
		if err := json.Unmarshal(e.Value(), &j); err != nil {
			continue
		}
		switch {
		case strings.Contains(k, ".out."):
			if _, id, _ := strings.Cut(k, ".out."); j.ID == "" {
				j.ID = id // an entry written before journal entries named their migration
			}
			err = z.recoverOut(ctx, j)
		case strings.Contains(k, ".in."):
			if err = z.recoverIn(ctx, j); err == nil {
				err = z.settleDirectory(ctx) // the entries as the out entries after it read them
			}
			z.taken[j.Seq] = false // if the stream delivers it again, it is not taken in twice
		}
		if err != nil {
			return err
		}
		z.journal = append(z.journal, k)
	}
	// Entities of the restored world that the directory gives to another zone are stale.
	var stale []world.EntityID
	for _, id := range z.entityIDs() {
		if _, ok := z.revs[id]; !ok && !z.isUnowned(id) {
			stale = append(stale, id)
		}
	}
	if len(stale) > 0 {
		if _, err := z.w.Export(z.cfg.Codec, stale); err != nil {
			return fmt.Errorf("cluster: recover: drop stale entities: %w", err)
		}
		z.stats.Dropped += uint64(len(stale))
	}
	return z.Save(ctx)
}

// recoverOut settles an outgoing migration: the entities of the restored world whose
// entries are unchanged are taken back (the batch's commit record created for this zone,
// so that the target drops the payload), unless the target committed the batch first:
// then they are dropped here, as are those whose entry names another zone.
func (z *Zone) recoverOut(ctx context.Context, j journalEntry) error {
	if len(j.Epochs) != len(j.IDs) || len(j.Revs) != len(j.IDs) || j.ID == "" {
		return nil // not a journal entry this zone wrote
	}
	won := ""
	for i, id := range j.IDs {
		if !z.w.Alive(id) {
			continue // the save came after the export: the payload was in the stream
		}
		o, rev, ok, err := z.dir.get(ctx, id)
		if errors.Is(err, errNotOwner) {
			z.keepUnowned(id, rev, err) // nobody can say whether the move committed: unowned.go
			continue
		}
		if err != nil {
			return err
		}
		switch {
		case !ok || o.Zone != z.cfg.Name:
			delete(z.revs, id) // committed by the target (or gone): stale here
			continue
		case rev != j.Revs[i]:
			continue // moved and come back since
		}
		if won == "" {
			if won, err = z.dir.commit(ctx, j.ID, z.cfg.Name); err != nil {
				return err
			}
		}
		if won == z.cfg.Name {
			z.revs[id], z.epochs[id] = rev, o.Epoch
			z.stats.Aborted++
		} else {
			delete(z.revs, id) // the target committed: its entry follows
		}
	}
	return nil
}

// recoverIn redoes an incoming migration from the payload kept in the stream.
func (z *Zone) recoverIn(ctx context.Context, j journalEntry) error {
	st, err := z.js.Stream(ctx, MigrationStream)
	if err != nil {
		return fmt.Errorf("cluster: recover: %w", err)
	}
	msg, err := st.GetMsg(ctx, j.Seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		z.log.Error("cluster: recover: payload no longer in the stream", "seq", j.Seq)
		return nil
	}
	if err != nil {
		return fmt.Errorf("cluster: recover: payload %d: %w", j.Seq, err)
	}
	return z.accept(ctx, msg.Data, j.Seq)
}

func (z *Zone) entityIDs() []world.EntityID {
	ents := z.w.Entities()
	ids := make([]world.EntityID, len(ents))
	for i, e := range ents {
		ids[i] = e.ID
	}
	return ids
}
