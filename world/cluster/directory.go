package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
