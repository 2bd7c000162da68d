package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	// full holds the subjects whose stream last refused a message as full (logFull).
	full map[string]bool
	// marks are what saves whose copy is taken cover in the streams (markSave).
	marks []saveMark
	// payloadsBelow, mailBelow and lockBelow are the sequences below which the zone last
	// purged its payloads, its letters and (LockStep) the lock-step letters.
	payloadsBelow, mailBelow, lockBelow uint64
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

// What the streams store is bounded by what is still needed. A zone's payloads and
// letters are removed from their stream (a purge of the zone's subject up to a sequence)
// once a written save of the zone covers them, at each save (trimStreams):
//
//   - stackworld_migrations: the payloads up to the zone's consumer's ack floor, except
//     those whose incoming journal entries are not settled (recovery reads them again).
//     An acknowledged payload is never delivered again.
//   - stackworld_mail: the letters up to the ack floor the zone's mail consumer had when
//     the save's copy was taken: each was posted to its mailbox in that copy, forwarded,
//     or refused.
//   - stackworld_lockmail, which every LockStep zone reads whole: the letters before the
//     first one that some zone of the map may still need. Each zone notes, under key
//     lockmail.<zone> in ZonesBucket, the first sequence its last written save may need
//     (a zone restarted from that save reads the stream again from there), and purges
//     below the least of those.
//
// Retention by interest or as a work queue would remove a payload at its ack, before a
// save covers it, and a target killed in between could not redo the intake from its
// journal; a letter published to a zone whose consumer does not exist yet would be
// dropped. So the streams keep the limits retention, with MaxAge as a backstop for a zone
// that never comes back, and with limits (streamLimits) beyond which a stream refuses
// new messages (DiscardNew): the publisher logs the refusal (logFull) and tries again at
// each tick, and nothing is dropped unseen.

// StreamLimits bound what one of the zones' streams holds for zones that stop taking
// their messages in: beyond them the stream refuses new messages (DiscardNew), and their
// senders keep them and publish them again at each tick. A zero field takes its default
// (Streams says which).
type StreamLimits struct {
	// MaxBytes bounds the stream, all subjects. JetStream reserves it when the stream is
	// made: the NATS account (or server) must have that much storage left.
	MaxBytes int64
	// PerZone bounds the messages of one subject: to one zone (payloads, mail), from one
	// zone (lock-step mail).
	PerZone int64
}

// Streams are the limits of the zones' streams (Config.Streams). Every zone makes or
// updates the streams with its own limits when it opens: give the zones of a cluster the
// same. Together the defaults reserve 1.25 GiB of JetStream storage, 1.5 GiB with LockStep.
type Streams struct {
	Migrations StreamLimits // MigrationStream: 1 GiB, 100,000 payloads to one zone
	Mail       StreamLimits // MailStream: 256 MiB, 1,000,000 letters to one zone
	LockMail   StreamLimits // LockStepMailStream: 256 MiB, 1,000,000 letters from one zone
}

// Default limits of the three streams; tests lower them.
var (
	migrationLimits = StreamLimits{MaxBytes: 1 << 30, PerZone: 100_000}
	mailLimits      = StreamLimits{MaxBytes: 256 << 20, PerZone: 1_000_000}
	lockMailLimits  = StreamLimits{MaxBytes: 256 << 20, PerZone: 1_000_000}
)

// orDefaults returns s with each zero field set to its default.
func (s Streams) orDefaults() Streams {
	or := func(l, d StreamLimits) StreamLimits {
		return StreamLimits{MaxBytes: cmp.Or(l.MaxBytes, d.MaxBytes), PerZone: cmp.Or(l.PerZone, d.PerZone)}
	}
	return Streams{Migrations: or(s.Migrations, migrationLimits), Mail: or(s.Mail, mailLimits),
		LockMail: or(s.LockMail, lockMailLimits)}
}

// check reports a negative limit.
func (s Streams) check() error {
	for _, l := range []struct {
		name string
		l    StreamLimits
	}{{"Migrations", s.Migrations}, {"Mail", s.Mail}, {"LockMail", s.LockMail}} {
		if l.l.MaxBytes < 0 || l.l.PerZone < 0 {
			return fmt.Errorf("cluster: Config.Streams.%s: MaxBytes %d, PerZone %d: want 0 (the default) or more",
				l.name, l.l.MaxBytes, l.l.PerZone)
		}
	}
	return nil
}

// migrationMaxAge is MigrationStream's MaxAge (and LockStepMailStream's): a backstop.
const migrationMaxAge = 24 * time.Hour

// limited returns cfg with limits l: a full stream, or a full subject, refuses new messages.
func (l StreamLimits) limited(cfg jetstream.StreamConfig) jetstream.StreamConfig {
	cfg.MaxBytes, cfg.MaxMsgsPerSubject = l.MaxBytes, l.PerZone
	cfg.Discard, cfg.DiscardNewPerSubject = jetstream.DiscardNew, true
	return cfg
}

// migrationStreamConfig is MigrationStream's configuration.
func (z *Zone) migrationStreamConfig() jetstream.StreamConfig {
	return z.cfg.Streams.Migrations.limited(jetstream.StreamConfig{Name: MigrationStream, Subjects: []string{MigrateSubject + "*"},
		MaxAge: migrationMaxAge, Duplicates: 10 * time.Minute, MaxMsgSize: -1})
}

// mailStreamConfig is MailStream's configuration.
func (z *Zone) mailStreamConfig() jetstream.StreamConfig {
	return z.cfg.Streams.Mail.limited(jetstream.StreamConfig{Name: MailStream, Subjects: []string{MailSubject + "*"},
		MaxAge: mailMaxAge, Duplicates: 10 * time.Minute})
}

// lockMailStreamConfig is LockStepMailStream's configuration.
func (z *Zone) lockMailStreamConfig() jetstream.StreamConfig {
	return z.cfg.Streams.LockMail.limited(jetstream.StreamConfig{Name: LockStepMailStream,
		Subjects: []string{LockStepMailSubject + "*"}, MaxAge: migrationMaxAge, Duplicates: 10 * time.Minute})
}

// JetStream error codes of a stream refused for lack of storage: the account's limit
// (JSStorageResourcesExceededErr, also the server's own MaxStore), the account's
// resources, and the server's or cluster's resources.
const (
	jsErrStorageExceeded      jetstream.ErrorCode = 10047
	jsErrAccountResources     jetstream.ErrorCode = 10002
	jsErrInsufficientResource jetstream.ErrorCode = 10023
)

// createStream makes stream cfg, or updates it to cfg. A refusal for lack of storage names
// the stream, the storage it asked for and the limit that lowers it.
func (z *Zone) createStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	z.warnOtherLimits(ctx, cfg)
	st, err := z.js.CreateOrUpdateStream(ctx, cfg)
	if err == nil {
		return st, nil
	}
	var api *jetstream.APIError
	if errors.As(err, &api) && (api.ErrorCode == jsErrStorageExceeded || api.ErrorCode == jsErrAccountResources ||
		api.ErrorCode == jsErrInsufficientResource) {
		return nil, fmt.Errorf("cluster: zone %s: stream %s asks for MaxBytes %d (%s) of JetStream storage and NATS refused it: "+
			"lower Config.Streams.%s.MaxBytes (stackworld zone --stream-max-bytes), or give the account more JetStream storage: %w",
			z.cfg.Name, cfg.Name, cfg.MaxBytes, sizeText(cfg.MaxBytes), streamField(cfg.Name), err)
	}
	return nil, fmt.Errorf("cluster: stream %s: %w", cfg.Name, err)
}

// warnOtherLimits logs a warning when the stream cfg names exists with other limits: an
// other zone of the cluster opened it with other Config.Streams, and the zone that opens
// last sets them for all (CreateOrUpdateStream). Cost: one stream info request.
func (z *Zone) warnOtherLimits(ctx context.Context, cfg jetstream.StreamConfig) {
	st, err := z.js.Stream(ctx, cfg.Name)
	if err != nil {
		return // none yet (or unreadable: CreateOrUpdateStream says why)
	}
	had := st.CachedInfo().Config
	if had.MaxBytes == cfg.MaxBytes && had.MaxMsgsPerSubject == cfg.MaxMsgsPerSubject {
		return
	}
	z.log.Warn("cluster: the stream's limits differ from this zone's; every zone of a cluster must give the same "+
		"(Config.Streams, stackworld zone --stream-max-bytes): this zone's are applied", "stream", cfg.Name,
		"max_bytes", had.MaxBytes, "now_max_bytes", cfg.MaxBytes, "per_zone", had.MaxMsgsPerSubject, "now_per_zone", cfg.MaxMsgsPerSubject)
}

// streamField is the field of Streams that holds stream's limits.
func streamField(stream string) string {
	switch stream {
	case MigrationStream:
		return "Migrations"
	case MailStream:
		return "Mail"
	}
	return "LockMail"
}

// sizeText writes n bytes in the largest binary unit that divides it (GiB, MiB, KiB), or
// in bytes.
func sizeText(n int64) string {
	for _, u := range []struct {
		name  string
		shift uint
	}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n > 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + " " + u.name
		}
	}
	return strconv.FormatInt(n, 10) + " B"
}

// jsErrStoreFailed is the JetStream error code of a message the stream did not store; a
// full stream answers it with "maximum messages exceeded", "maximum bytes exceeded" or
// "maximum messages per subject exceeded".
const jsErrStoreFailed jetstream.ErrorCode = 10077

// streamFull reports whether err is a stream's refusal of a message because it is full.
func streamFull(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && api.ErrorCode == jsErrStoreFailed && strings.Contains(api.Description, "maximum")
}

// logFull logs, once until a publish to the subject succeeds again (fullAgain), that
// stream refused a message on subject because it is full, and counts each refusal
// (Stats.StreamFull).
func (z *Zone) logFull(stream, subject string, err error) {
	z.stats.StreamFull++
	if z.store.full[subject] {
		return
	}
	if z.store.full == nil {
		z.store.full = map[string]bool{}
	}
	z.store.full[subject] = true
	reason := err.Error()
	var api *jetstream.APIError
	if errors.As(err, &api) {
		reason = api.Description
	}
	z.log.Error("cluster: stream full: message refused, kept and published again at each tick", "stream", stream,
		"subject", subject, "reason", reason,
		"fix", "the zone reading "+subject+" has not taken its messages in: start it, or raise the stream's limits (nats stream edit "+stream+")")
}

// fullAgain notes that a publish to subject succeeded; a refusal after it is logged again.
func (z *Zone) fullAgain(subject string) {
	if z.store.full[subject] {
		delete(z.store.full, subject)
		z.log.Info("cluster: stream takes messages again", "subject", subject)
	}
}

// saveMark is what a save's copy covers in the streams, noted when the copy is taken.
type saveMark struct {
	tick      uint64
	mailFloor uint64 // the mail consumer's ack floor: every letter up to it is in the copy (or gone)
	lockFrom  uint64 // LockStep: the first lock-step letter a restart from the copy may need
}

// maxSaveMarks bounds the marks of saves whose copy is taken and whose file is not yet
// written (on world/server, saves are written off the tick goroutine).
const maxSaveMarks = 16

// markSave notes what a save whose copy is taken now covers in the streams (prepareSave).
// Cost: one request to the server.
func (z *Zone) markSave(ctx context.Context) {
	m := saveMark{tick: z.w.Now()}
	if info, err := z.mail.Info(ctx); err == nil {
		m.mailFloor = info.AckFloor.Stream
	}
	if z.cfg.LockStep {
		m.lockFrom = z.letters.seen + 1
		for _, d := range z.letters.held {
			m.lockFrom = min(m.lockFrom, d.seq)
		}
	}
	if len(z.store.marks) == maxSaveMarks {
		z.store.marks = z.store.marks[1:]
	}
	z.store.marks = append(z.store.marks, m)
}

// takeMark returns the mark of the save of tick and forgets it and older ones.
func (s *storage) takeMark(tick uint64) (saveMark, bool) {
	var m saveMark
	found := false
	for len(s.marks) > 0 && s.marks[0].tick <= tick {
		m, found = s.marks[0], s.marks[0].tick == tick
		s.marks = s.marks[1:]
	}
	return m, found
}

// trimStreams removes from the streams what the written save of tick covers (see above).
// A request that fails leaves the messages for the next save. Cost: a few requests (two
// per stream; LockStep: one more per zone of the map).
func (z *Zone) trimStreams(ctx context.Context, tick uint64) {
	z.trimPayloads(ctx)
	m, ok := z.store.takeMark(tick)
	if !ok {
		return
	}
	z.purgeBelow(ctx, z.mailSt, MailSubject+z.cfg.Name, m.mailFloor+1, &z.store.mailBelow)
	if z.cfg.LockStep {
		z.trimLockMail(ctx, m.lockFrom)
	}
}

// trimPayloads purges the zone's payloads that are acknowledged and not needed by an
// incoming journal entry.
func (z *Zone) trimPayloads(ctx context.Context) {
	info, err := z.cons.Info(ctx)
	if err != nil {
		return
	}
	below := info.AckFloor.Stream + 1
	for _, k := range z.journal {
		if seq, in := inSeq(k); in {
			below = min(below, seq)
		}
	}
	z.purgeBelow(ctx, z.migSt, MigrateSubject+z.cfg.Name, below, &z.store.payloadsBelow)
}

// trimLockMail notes the first lock-step letter the zone's written save may need and
// purges the stream below the least such letter of the zones of the map (none while a
// zone has not noted one).
func (z *Zone) trimLockMail(ctx context.Context, from uint64) {
	if _, err := z.zones.PutString(ctx, lockFromKey(z.cfg.Name), strconv.FormatUint(from, 10)); err != nil {
		return
	}
	peers := slices.Clone(z.zmap.Load().Regions)
	slices.Sort(peers)
	below := from
	for _, p := range slices.Compact(peers) {
		if p == "" || p == z.cfg.Name {
			continue
		}
		e, err := z.zones.Get(ctx, lockFromKey(p))
		if err != nil {
			return // not noted yet (or NATS away): nothing goes
		}
		seq, err := strconv.ParseUint(string(e.Value()), 10, 64)
		if err != nil {
			return
		}
		below = min(below, seq)
	}
	z.purgeBelow(ctx, z.lockMailSt, "", below, &z.store.lockBelow)
}

// lockFromKey is the ZonesBucket key under which a LockStep zone notes the first
// lock-step letter its last written save may need.
func lockFromKey(zone string) string { return "lockmail." + zone }

// purgeBelow purges the messages of st on subject ("": all) with sequences below `below`,
// unless done is at `below` already; done records what was purged.
func (z *Zone) purgeBelow(ctx context.Context, st jetstream.Stream, subject string, below uint64, done *uint64) {
	if below <= max(*done, 1) {
		return
	}
	opts := []jetstream.StreamPurgeOpt{jetstream.WithPurgeSequence(below)}
	if subject != "" {
		opts = append(opts, jetstream.WithPurgeSubject(subject))
	}
	if err := st.Purge(ctx, opts...); err != nil {
		z.log.Warn("cluster: stream not trimmed; the next save tries again", "stream", st.CachedInfo().Config.Name,
			"subject", subject, "below", below, "err", err)
		return
	}
	*done = below
}
