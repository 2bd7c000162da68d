package cluster

import (
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
// owns it; every step is a compare-and-set on it, and a zone writes a journal entry before
// each step a crash could interrupt, so that a zone restarted from its last save finishes
// or undoes what it began.
//
// Source S, at a tick boundary, for the entities that crossed into zone T's region:
//   1. journal "journal.S.out.<id>" = {to T, ids, epochs}
//   2. directory e: {S, k} -> {S, k+1, to T} (compare-and-set, all entities at once)
//   3. world.Export: the entities leave S's world; the payload is now the only copy
//   4. publish the payload to the stream (subject stackworld.migrate.T, dedup id), wait
//      for the stream's ack (retried every tick while NATS is away)
// Target T, at a tick boundary, for each payload its consumer delivers:
//   5. journal "journal.T.in.<seq>"
//   6. directory e: {S, k+1, to T} -> {T, k+1} (compare-and-set)
//   7. world.Import of the entities whose step 6 succeeded
//   8. ack the message
// A save settles the journal entries written before it (they are deleted after it).
// Recovery, from the last save:
//   - S, for each out entry: an entity still moving to T ({S, k+1, to T}) is taken back
//     ({S, k+2}: T's step 6 will fail and T drops it); one T committed (or that moved on)
//     is dropped from S's restored world; one whose step 2 never happened stays.
//   - T, for each in entry: the payload is read again from the stream and steps 6-7 are
//     redone: an entity T committed but lost (its save predates step 7) is imported again.
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
}

// Step runs one tick of the zone: it takes in the payloads that arrived, ticks the world,
// and sends the entities that crossed into other zones' regions. It returns the world's
// error from Tick, or ErrZoneDead.
func (z *Zone) Step(ctx context.Context) error {
	if z.dead != nil {
		return z.dead
	}
	ctx, cancel := context.WithTimeout(ctx, z.cfg.OpTimeout)
	defer cancel()
	if err := z.receive(ctx); err != nil {
		return err
	}
	if err := z.w.Tick(); err != nil {
		return err
	}
	if err := z.send(ctx); err != nil {
		return err
	}
	return z.flush(ctx)
}

// ---- source side ----

// send starts a migration for the entities outside the zone's region.
func (z *Zone) send(ctx context.Context) error {
	m := z.zmap.Load()
	byZone := map[string][]world.EntityID{}
	var targets []string
	for i := range z.w.Entities() {
		e := &z.w.Entities()[i]
		to := m.ZoneAt(e.Pos.X)
		if to == "" || to == z.cfg.Name {
			continue
		}
		if _, ok := z.revs[e.ID]; !ok || z.w.CanExport(e.ID) != nil {
			continue // not (yet) ours in the directory, or pinned: try again next tick
		}
		if byZone[to] == nil {
			targets = append(targets, to)
		}
		byZone[to] = append(byZone[to], e.ID)
	}
	slices.Sort(targets) // determinism: zones in name order
	for _, to := range targets {
		for chunk := range slices.Chunk(byZone[to], z.cfg.MaxBatch) {
			if err := z.migrate(ctx, to, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

// Migrate moves entities ids to zone `to` now (steps 1-4), whatever their position.
func (z *Zone) Migrate(ctx context.Context, to string, ids []world.EntityID) error {
	if z.dead != nil {
		return z.dead
	}
	for chunk := range slices.Chunk(ids, z.cfg.MaxBatch) {
		if err := z.migrate(ctx, to, chunk); err != nil {
			return err
		}
	}
	return z.flush(ctx)
}

func (z *Zone) migrate(ctx context.Context, to string, ids []world.EntityID) error {
	z.nextMig++
	id := fmt.Sprintf("%s-%s-%d", z.cfg.Name, z.life, z.nextMig)
	epochs := make([]uint64, len(ids))
	for i, e := range ids {
		epochs[i] = z.epochs[e] + 1
	}
	jkey := "journal." + z.cfg.Name + ".out." + id
	jb, _ := json.Marshal(journalEntry{To: to, IDs: ids, Epochs: epochs})
	if _, err := z.zones.Put(ctx, jkey, jb); err != nil {
		z.stats.Failures++
		z.log.Warn("cluster: migration postponed: journal", "to", to, "err", err)
		return nil // NATS is away: the entities stay and cross at a later tick
	}
	if err := z.fault("out.journaled"); err != nil {
		return err
	}
	cs := make([]cas, len(ids))
	for i, e := range ids {
		cs[i] = cas{ID: e, Rev: z.revs[e], Value: Owner{Zone: z.cfg.Name, Epoch: epochs[i], To: to}}
	}
	res, err := z.dir.setAll(ctx, cs)
	if err != nil {
		z.stats.Failures++
		z.log.Warn("cluster: migration postponed: directory", "to", to, "err", err)
		return z.settleUnknown(ctx, ids) // some entries may have changed: read them back
	}
	var moving []world.EntityID
	var revs, eps []uint64
	for i, r := range res {
		if r.Err != nil {
			z.stats.Failures++
			z.log.Warn("cluster: entity stays: directory", "entity", ids[i], "err", r.Err)
			z.refresh(ctx, ids[i])
			continue
		}
		z.revs[ids[i]], z.epochs[ids[i]] = r.Rev, epochs[i]
		moving = append(moving, ids[i])
		revs, eps = append(revs, r.Rev), append(eps, epochs[i])
	}
	if err := z.fault("out.directory"); err != nil {
		return err
	}
	if len(moving) == 0 {
		return nil
	}
	payload, err := z.w.Export(z.cfg.Codec, moving)
	if err != nil {
		z.stats.Failures++
		z.log.Error("cluster: export failed; taking the entities back", "err", err)
		return z.abort(ctx, moving)
	}
	for _, e := range moving {
		delete(z.revs, e)
		delete(z.epochs, e)
	}
	if err := z.fault("out.exported"); err != nil {
		return err
	}
	env := &envelope{ID: id, From: z.cfg.Name, To: to, Tick: z.w.Now(), Epochs: eps, Revs: revs, Payload: payload}
	b, err := env.encode()
	if err != nil {
		return fmt.Errorf("cluster: envelope: %w", err)
	}
	msg := &nats.Msg{Subject: MigrateSubject + to, Data: b, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, id)
	z.outbox = append(z.outbox, &outgoing{msg: msg, id: id, to: to, count: len(moving), journal: jkey})
	z.stats.MigrationsOut += uint64(len(moving))
	z.stats.BytesOut += uint64(len(b))
	return nil
}

// flush publishes the outbox to the stream and waits for the acks (step 4). A payload
// the stream did not take stays in the outbox for the next tick.
func (z *Zone) flush(ctx context.Context) error {
	if len(z.outbox) == 0 {
		return nil
	}
	futures := make([]jetstream.PubAckFuture, len(z.outbox))
	for i, o := range z.outbox {
		f, err := z.js.PublishMsgAsync(o.msg)
		if err != nil {
			z.stats.Failures++
			z.log.Warn("cluster: publish postponed", "migration", o.id, "err", err)
			break
		}
		futures[i] = f
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var keep []*outgoing
	for i, f := range futures {
		if f == nil {
			keep = append(keep, z.outbox[i])
			continue
		}
		select {
		case <-f.Ok():
			z.journal = append(z.journal, z.outbox[i].journal)
			z.event("out", z.outbox[i].id, z.outbox[i].to, z.outbox[i].count)
		case err := <-f.Err():
			z.stats.Failures++
			z.log.Warn("cluster: publish failed; retrying", "migration", z.outbox[i].id, "err", err)
			keep = append(keep, z.outbox[i])
		case <-ctx.Done():
			keep = append(keep, z.outbox[i])
		}
	}
	z.outbox = keep
	return z.fault("out.published")
}

// abort takes moving entities back: {S, k+1, to T} -> {S, k+2}.
func (z *Zone) abort(ctx context.Context, ids []world.EntityID) error {
	cs := make([]cas, len(ids))
	for i, e := range ids {
		cs[i] = cas{ID: e, Rev: z.revs[e], Value: Owner{Zone: z.cfg.Name, Epoch: z.epochs[e] + 1}}
	}
	res, err := z.dir.setAll(ctx, cs)
	if err != nil {
		return z.settleUnknown(ctx, ids)
	}
	for i, r := range res {
		if r.Err == nil {
			z.revs[ids[i]], z.epochs[ids[i]] = r.Rev, cs[i].Value.Epoch
		} else {
			z.refresh(ctx, ids[i])
		}
	}
	return nil
}

// refresh reads entity id's directory entry again after a lost compare-and-set; an entry
// left moving while the entity is still here (a compare-and-set whose answer was lost) is
// taken back.
func (z *Zone) refresh(ctx context.Context, id world.EntityID) {
	o, rev, ok, err := z.dir.get(ctx, id)
	if err != nil || !ok || o.Zone != z.cfg.Name {
		return
	}
	z.revs[id], z.epochs[id] = rev, o.Epoch
	if o.To != "" && z.w.Alive(id) {
		_ = z.abort(ctx, []world.EntityID{id})
	}
}

// settleUnknown handles entities whose directory entries may or may not have changed (the
// connection failed mid-batch): each is read back; one left moving is taken back.
func (z *Zone) settleUnknown(ctx context.Context, ids []world.EntityID) error {
	for _, id := range ids {
		o, rev, ok, err := z.dir.get(ctx, id)
		if err != nil || !ok {
			continue // unknown still: the next attempt's compare-and-set will tell
		}
		z.revs[id], z.epochs[id] = rev, o.Epoch
		if o.To != "" && z.w.Alive(id) {
			_ = z.abort(ctx, []world.EntityID{id})
		}
	}
	return nil
}

// ---- target side ----

// receive takes in the payloads waiting for the zone (steps 5-8).
func (z *Zone) receive(ctx context.Context) error {
	batch, err := z.cons.FetchNoWait(64)
	if err != nil {
		z.log.Debug("cluster: fetch", "err", err)
		return nil // NATS is away: payloads wait in the stream
	}
	for msg := range batch.Messages() {
		md, err := msg.Metadata()
		if err != nil {
			continue
		}
		if err := z.accept(ctx, msg.Data(), md.Sequence.Stream); err != nil {
			if errors.Is(err, ErrZoneDead) {
				return err
			}
			// NATS is away: the payload comes again after AckWait (accept is idempotent).
			z.stats.Failures++
			z.log.Warn("cluster: payload postponed", "seq", md.Sequence.Stream, "err", err)
			return nil
		}
		if err := z.fault("in.imported"); err != nil {
			return err
		}
		if err := msg.Ack(); err != nil {
			z.log.Warn("cluster: ack", "err", err) // redelivered later: accept is idempotent
		}
	}
	return nil
}

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
	jkey := "journal." + z.cfg.Name + ".in." + strconv.FormatUint(seq, 10)
	jb, _ := json.Marshal(journalEntry{Seq: seq})
	if _, err := z.zones.Put(ctx, jkey, jb); err != nil {
		return fmt.Errorf("cluster: journal: %w", err) // not acked: redelivered
	}
	if err := z.fault("in.journaled"); err != nil {
		return err
	}
	cs := make([]cas, len(mig.Entities))
	for i, m := range mig.Entities {
		cs[i] = cas{ID: m.ID, Rev: env.Revs[i], Value: Owner{Zone: z.cfg.Name, Epoch: env.Epochs[i]}}
	}
	res, err := z.dir.setAll(ctx, cs)
	if err != nil {
		return err
	}
	keep := mig.Entities[:0]
	for i, r := range res {
		m := mig.Entities[i]
		rev := r.Rev
		if r.Err != nil {
			o, cur, ok, err := z.dir.get(ctx, m.ID)
			if err != nil {
				return err
			}
			if !ok || o != (Owner{Zone: z.cfg.Name, Epoch: env.Epochs[i]}) {
				continue // taken back by the source, or gone on since: not ours
			}
			rev = cur // committed here before a crash
		}
		if z.w.Alive(m.ID) {
			z.revs[m.ID], z.epochs[m.ID] = rev, env.Epochs[i]
			continue // imported before (a redelivery)
		}
		z.revs[m.ID], z.epochs[m.ID] = rev, env.Epochs[i]
		keep = append(keep, m)
	}
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
// before it. Call it between steps.
func (z *Zone) Save(ctx context.Context) error {
	if z.dead != nil {
		return z.dead
	}
	if err := z.flush(ctx); err != nil {
		return err
	}
	if len(z.outbox) > 0 {
		// A save without the exported entities while their payload is only in memory
		// would lose them in a crash.
		return fmt.Errorf("%w: %d payloads not yet in the stream", ErrInFlight, len(z.outbox))
	}
	if _, err := z.w.SaveFile(world.DefaultCodec(), z.cfg.SavePath); err != nil {
		return err
	}
	if err := z.fault("saved"); err != nil {
		return err
	}
	var left []string
	for _, k := range z.journal {
		if err := z.zones.Delete(ctx, k); err != nil {
			left = append(left, k) // harmless: recovery of a settled entry changes nothing
		}
	}
	z.journal = left
	return nil
}

// recover settles the zone's journal entries after a restart from the last save.
func (z *Zone) recover(ctx context.Context) error {
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
			err = z.recoverOut(ctx, j)
		case strings.Contains(k, ".in."):
			err = z.recoverIn(ctx, j)
		}
		if err != nil {
			return err
		}
		z.journal = append(z.journal, k)
	}
	// Entities of the restored world that the directory gives to another zone are stale.
	var stale []world.EntityID
	for _, id := range z.entityIDs() {
		if _, ok := z.revs[id]; !ok {
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

// recoverOut settles an outgoing migration: take back what is still moving.
func (z *Zone) recoverOut(ctx context.Context, j journalEntry) error {
	for i, id := range j.IDs {
		o, rev, ok, err := z.dir.get(ctx, id)
		if err != nil {
			return err
		}
		if !ok || !z.w.Alive(id) || o != (Owner{Zone: z.cfg.Name, Epoch: j.Epochs[i], To: j.To}) {
			continue
		}
		res, err := z.dir.setAll(ctx, []cas{{ID: id, Rev: rev, Value: Owner{Zone: z.cfg.Name, Epoch: o.Epoch + 1}}})
		if err != nil {
			return err
		}
		if res[0].Err == nil {
			z.revs[id], z.epochs[id] = res[0].Rev, o.Epoch+1
			z.stats.Aborted++
		} else {
			delete(z.revs, id) // the target committed meanwhile
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
