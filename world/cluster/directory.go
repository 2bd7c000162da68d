package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world"
)

// Names an operator watches with the nats CLI (see the package doc).
const (
	// DirectoryBucket is the JetStream KV bucket of entity owners: key "e.<id>", value an
	// Owner as JSON; every change is a compare-and-set on the key's revision. Key
	// "m.<migration id>" is a migration's commit record: {"zone": the side that won}.
	DirectoryBucket = "stackworld_dir"
	// ZonesBucket holds the zone map (key "map"), each zone's liveness and tick stats (key
	// "zone.<name>") and the zones' migration journals ("journal.<zone>.out.<id>",
	// "journal.<zone>.in.<seq>").
	ZonesBucket = "stackworld_zones"
	// MigrationStream holds migration payloads, subject MigrateSubject+"<target zone>".
	MigrationStream = "stackworld_migrations"
	// MigrateSubject is the prefix of the subjects payloads are published on.
	MigrateSubject = "stackworld.migrate."
	// StatsSubject is the prefix of each zone's tick stats (core NATS, once a second).
	StatsSubject = "stackworld.stats."
	// EventsSubject carries migration events (out, in, commit, abort, refused) as JSON.
	EventsSubject = "stackworld.events.migration"
	// MailSubject is the prefix of the subjects mail to a zone's entities goes to.
	MailSubject = "stackworld.mail."
)

// Owner is a directory entry: which zone owns an entity, and the number of times its
// ownership changed (a move, or a source taking back a move after a crash). While a
// migration is in flight the entry still names the source; the target's compare-and-set
// on the revision the source had commits it.
type Owner struct {
	Zone  string `json:"zone"`
	Epoch uint64 `json:"epoch"`
}

func dirKey(id world.EntityID) string { return "e." + strconv.FormatUint(uint64(id), 10) }

// errNotOwner is the error of a directory entry that is not an Owner.
var errNotOwner = errors.New("not an owner")

func decodeOwner(b []byte) (Owner, error) {
	var o Owner
	if err := json.Unmarshal(b, &o); err != nil || o.Zone == "" {
		return Owner{}, fmt.Errorf("cluster: directory entry %q is %w", b, errNotOwner)
	}
	return o, nil
}

func (o Owner) encode() []byte {
	b, _ := json.Marshal(o) // cannot fail: strings and a number
	return b
}

// directory is the owners bucket with pipelined compare-and-set.
type directory struct {
	js  jetstream.JetStream
	kv  jetstream.KeyValue
	st  jetstream.Stream // behind kv: settled commit records are removed from it (storage.go)
	pre string           // "$KV.<bucket>."
}

// openDirectory makes (or finds) DirectoryBucket: one revision per key, and per-key TTLs
// (the commit records') whose expiry leaves a marker for LimitMarkerTTL.
func openDirectory(ctx context.Context, js jetstream.JetStream) (directory, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: DirectoryBucket, History: 1,
		LimitMarkerTTL: time.Minute})
	if err != nil {
		return directory{}, fmt.Errorf("cluster: bucket %s: %w", DirectoryBucket, err)
	}
	st, err := js.Stream(ctx, "KV_"+DirectoryBucket)
	if err != nil {
		return directory{}, fmt.Errorf("cluster: bucket %s: %w", DirectoryBucket, err)
	}
	return directory{js: js, kv: kv, st: st, pre: "$KV." + DirectoryBucket + "."}, nil
}

// cas is one compare-and-set: key from revision Rev (0: must not exist) to Value.
type cas struct {
	ID    world.EntityID
	Rev   uint64
	Value Owner
}

// casResult is the new revision, or Err (jetstream.ErrKeyRevisionMismatch-like when the
// revision moved on).
type casResult struct {
	Rev uint64
	Err error
}

// errRevMismatch: the key's revision is not the one expected (someone else changed it).
var errRevMismatch = errors.New("cluster: directory entry changed since it was read")

// setAll publishes all compare-and-sets at once and waits for every answer: one round trip
// for a batch instead of one per entity. Results are in the order of cs.
func (d *directory) setAll(ctx context.Context, cs []cas) ([]casResult, error) {
	futures, err := d.publishAll(cs)
	if err != nil {
		return nil, err
	}
	out := make([]casResult, len(cs))
	for i, f := range futures {
		if out[i], err = await(ctx, f); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// publishAll publishes compare-and-sets cs without waiting for their answers.
func (d *directory) publishAll(cs []cas) ([]jetstream.PubAckFuture, error) {
	futures := make([]jetstream.PubAckFuture, len(cs))
	for i, c := range cs {
		m := &nats.Msg{Subject: d.pre + dirKey(c.ID), Data: c.Value.encode(), Header: nats.Header{}}
		f, err := d.js.PublishMsgAsync(m, jetstream.WithExpectLastSequencePerSubject(c.Rev))
		if err != nil {
			return nil, fmt.Errorf("cluster: directory: %w", err)
		}
		futures[i] = f
	}
	return futures, nil
}

// await returns the answer to one published compare-and-set.
func await(ctx context.Context, f jetstream.PubAckFuture) (casResult, error) {
	select {
	case ack := <-f.Ok():
		return casResult{Rev: ack.Sequence}, nil
	case err := <-f.Err():
		var api *jetstream.APIError
		if errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			err = errRevMismatch
		}
		return casResult{Err: err}, nil
	case <-ctx.Done():
		return casResult{}, fmt.Errorf("cluster: directory: %w", ctx.Err())
	}
}

// commitTTL is how long a commit record is kept at most: longer than a payload stays in
// the migration stream (its MaxAge, 24 h), so that no payload can come again to a target
// that would no longer find who won its migration. A settled batch's record goes much
// sooner (dropCommit, storage.go); the TTL removes those whose settling a crash cut short.
const commitTTL = 48 * time.Hour

// commitKey is the directory key of migration mig's commit record.
func commitKey(mig string) string { return "m." + mig }

// commit decides migration mig for zone (the target committing it, or the source taking
// it back after a crash) unless a side has already, and returns the side that won: one
// create of the migration's commit record, so whoever writes first wins, once for all the
// entities of the batch. The entities' own entries follow (the winning target updates
// them).
func (d *directory) commit(ctx context.Context, mig, zone string) (string, error) {
	_, err := d.kv.Create(ctx, commitKey(mig), Owner{Zone: zone}.encode(), jetstream.KeyTTL(commitTTL))
	if err == nil {
		return zone, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return "", fmt.Errorf("cluster: directory: commit migration %s: %w", mig, err)
	}
	e, err := d.kv.Get(ctx, commitKey(mig))
	if err != nil {
		return "", fmt.Errorf("cluster: directory: commit record of migration %s: %w", mig, err)
	}
	o, err := decodeOwner(e.Value())
	if err != nil {
		return "", fmt.Errorf("cluster: directory: commit record of migration %s: %w", mig, err)
	}
	return o.Zone, nil
}

// get returns entity id's owner and revision; ok is false when it has none.
func (d *directory) get(ctx context.Context, id world.EntityID) (Owner, uint64, bool, error) {
	e, err := d.kv.Get(ctx, dirKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return Owner{}, 0, false, nil
	}
	if err != nil {
		return Owner{}, 0, false, fmt.Errorf("cluster: directory: entity %d: %w", id, err)
	}
	o, err := decodeOwner(e.Value())
	return o, e.Revision(), err == nil, err
}

// The audit. An entry of an entity the zone owns changes only when the entity leaves
// (the target's compare-and-set), so one found deleted or not an Owner was written by
// hand (nats kv del, nats kv put). Until it is repaired, mail to the entity is dropped as
// to an unknown entity and the entity's next move writes the entry again. So each zone
// reads, a few per tick, the entries of the entities it owns, going round its world, and
// writes again (compare-and-set on the revision read) those found broken: logged once
// and counted once each (Stats.DirectoryRepairs). The reads run on a goroutine between
// two ticks; their answers are applied at the next tick's end, in the order read. A round
// of the world starts at most once per auditRound.
// A KV watch of the directory would do it at once, but every zone would then receive
// every move of the cluster.

// auditPerTick is the most entries a zone reads per tick: a world of n entities is read
// whole in n/auditPerTick ticks, and not more often than once per auditRound.
const auditPerTick = 8

// auditRound is the shortest time between the starts of two rounds of the audit, so that
// a small world is not read again at every tick (tests shorten it).
var auditRound = 10 * time.Second

// dirAudit is the audit's state: where it is in the world, and the reads in progress.
type dirAudit struct {
	next  int         // index in the world's entities of the next one to read
	round time.Time   // when the round in progress began
	batch *auditBatch // reads in progress, or nil
	// foreign holds the entities here whose entry was found naming another owner, with
	// the entry's revision: each (entity, revision) is logged once, not once a round.
	// An entity leaves it when it leaves the zone or its entry is found right again.
	foreign map[world.EntityID]uint64
	// unowned holds the entities of the world whose entry recovery found unreadable (not
	// an Owner), with the revision logged: the zone keeps them without owning them
	// (unowned.go) until the entry names a zone again. checked is when they were last read.
	unowned map[world.EntityID]uint64
	checked time.Time
}

// reportForeign logs, once per (entity, revision), that entity id's entry names another
// owner o at revision rev; the entry is left as it is.
func (a *dirAudit) reportForeign(log *slog.Logger, id world.EntityID, o Owner, epochHere, rev uint64) {
	if a.foreign[id] == rev {
		return
	}
	if a.foreign == nil {
		a.foreign = map[world.EntityID]uint64{}
	}
	a.foreign[id] = rev
	log.Error("cluster: directory entry of an entity here names another owner; left as it is", "entity", id,
		"owner", o.Zone, "epoch", o.Epoch, "epoch_here", epochHere, "revision", rev)
}

// auditBatch is one tick's reads.
type auditBatch struct {
	done  chan struct{} // closed when reads are all answered
	reads []auditRead
}

// auditRead is one entry read: the revision the zone had when it asked, and the answer.
type auditRead struct {
	id    world.EntityID
	rev   uint64
	entry jetstream.KeyValueEntry
	err   error
}

// audit applies the last reads if they are answered and starts the next ones. Cost: at
// most auditPerTick reads, on a goroutine; one compare-and-set per broken entry.
func (z *Zone) audit(ctx context.Context) {
	if b := z.audits.batch; b != nil {
		select {
		case <-b.done:
		default:
			return // still reading: the next tick's end looks again
		}
		z.audits.batch = nil
		for _, r := range b.reads {
			if err := z.checkEntry(ctx, r); err != nil {
				z.log.Debug("cluster: directory audit postponed", "err", err) // NATS is away
				break
			}
		}
	}
	z.checkUnowned(ctx)
	z.startAudit()
}

// startAudit reads, on a goroutine, the entries of the next owned entities of the world.
func (z *Zone) startAudit() {
	ents := z.w.Entities()
	if z.audits.next >= len(ents) { // the round is over
		if time.Since(z.audits.round) < auditRound { // determinism: paces reads of NATS only
			return
		}
		z.audits.next, z.audits.round = 0, time.Now() // determinism: as above
	}
	end := min(z.audits.next+auditPerTick, len(ents))
	var reads []auditRead
	for _, e := range ents[z.audits.next:end] {
		if rev, ok := z.revs[e.ID]; ok {
			reads = append(reads, auditRead{id: e.ID, rev: rev})
		}
	}
	z.audits.next = end
	if len(reads) == 0 {
		return
	}
	b := &auditBatch{done: make(chan struct{}), reads: reads}
	z.audits.batch = b
	kv, timeout := z.dir.kv, z.cfg.OpTimeout
	go func() { // determinism: it only reads; the answers are applied on the zone's goroutine, in order
		defer close(b.done)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		for i := range b.reads {
			r := &b.reads[i]
			if r.entry, r.err = kv.Get(ctx, dirKey(r.id)); r.err != nil && !errors.Is(r.err, jetstream.ErrKeyNotFound) {
				return // the rest stay unread (err nil, entry nil): skipped
			}
		}
	}()
}

// checkEntry repairs entity r.id's entry if it is broken and the entity is still the
// zone's at the revision it had when the entry was read.
func (z *Zone) checkEntry(ctx context.Context, r auditRead) error {
	if rev, ok := z.revs[r.id]; !ok || rev != r.rev {
		delete(z.audits.foreign, r.id)
		return nil // left, or moved and came back, since the read
	}
	switch {
	case errors.Is(r.err, jetstream.ErrKeyNotFound):
		return z.repairEntry(ctx, r.id, 0, "deleted")
	case r.err != nil || r.entry == nil:
		return nil // not read
	case r.entry.Revision() == r.rev:
		delete(z.audits.foreign, r.id)
		return nil // as the zone wrote it
	}
	o, err := decodeOwner(r.entry.Value())
	switch {
	case err != nil:
		return z.repairEntry(ctx, r.id, r.entry.Revision(), "not an owner: "+strconv.Quote(string(r.entry.Value()[:min(len(r.entry.Value()), 64)])))
	case o == Owner{Zone: z.cfg.Name, Epoch: z.epochs[r.id]}:
		delete(z.audits.foreign, r.id)
		z.revs[r.id] = r.entry.Revision() // the same owner put again by hand
	default:
		z.audits.reportForeign(z.log, r.id, o, z.epochs[r.id], r.entry.Revision())
	}
	return nil
}

// repairEntry writes entity id's entry, found broken at revision rev (0: deleted), for
// this zone again, unless it changed since.
func (z *Zone) repairEntry(ctx context.Context, id world.EntityID, rev uint64, found string) error {
	v := Owner{Zone: z.cfg.Name, Epoch: z.epochs[id]}
	var err error
	if rev == 0 {
		rev, err = z.dir.kv.Create(ctx, dirKey(id), v.encode())
	} else {
		rev, err = z.dir.kv.Update(ctx, dirKey(id), v.encode(), rev)
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return nil // written meanwhile: the next round reads it again
	case err != nil:
		return fmt.Errorf("cluster: directory: repair entity %d: %w", id, err)
	}
	z.revs[id] = rev
	z.stats.DirectoryRepairs++
	z.log.Warn("cluster: directory entry of an entity here repaired", "entity", id, "found", found, "epoch", v.Epoch, "revision", rev)
	return nil
}
