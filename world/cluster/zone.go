package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/world"
)

// Config configures a Zone.
type Config struct {
	// Name names the zone in subjects, keys and the zone map: 1 to 32 of [a-z0-9_-].
	Name string
	// Conn is the zone's NATS connection (Connect, or nats.Connect to an embedded server).
	Conn *nats.Conn
	// World is the zone's world: new, or loaded from SavePath after a restart (Recovering).
	World *world.World
	// Codec encodes and decodes migration payloads (its limits bound what a payload may
	// claim). nil: persist.DefaultOptions().
	Codec *persist.Codec
	// Regions is the number of regions (vertical strips) of the map; Region is this zone's.
	Regions, Region int
	// SavePath is where Save writes the world; a restarted zone loads it. Open saves there
	// before it returns, so a zone killed before its first autosave restarts from it (an
	// empty SavePath: no save at open, and Save fails).
	SavePath string
	// Recovering says World was loaded from SavePath after a stop: Open settles the
	// migrations in the zone's journals. Otherwise Open claims every entity of World in the
	// directory.
	Recovering bool
	// MaxBatch is the most entities one payload carries; batches are also cut to the
	// connection's largest message. 0: 4096.
	MaxBatch int
	// LockStep makes each step read the zone map and take in exactly the payloads exported
	// at source ticks up to the zone's own tick, all of them (it asks the stream for its
	// last sequence and waits for each payload up to it), holding back later ones, and
	// makes each step wait at the barrier until every zone of the map has finished the
	// zone's tick (barrier.go): zones then repeat their per-zone deep checksums however
	// they are run (see the package doc on determinism). A zone whose peer has stopped
	// waits for it until it comes back (Step: or until the step's context ends); on
	// world/server the loop serves Do, SaveNow, Pause and Stop meanwhile, and
	// Stats.Waiting, the log and the metrics name the peer.
	// Mail then goes through the lock-step mail stream, which every zone reads whole
	// (lockmail.go): the zones of a cluster must all be LockStep or none. It costs a few
	// requests per step (the zone map, the two streams' last sequences, the fetches, the
	// tick announcement, one get per peer, a key watch per peer that is behind), and
	// every zone reads every letter.
	LockStep bool
	// AckWait is how long the stream waits for the zone to acknowledge a payload before it
	// delivers it again (after a crash). 0: 30 s.
	AckWait time.Duration
	// OpTimeout bounds each NATS operation of a step, so that a zone whose connection is
	// cut keeps ticking (its migrations wait). 0: 5 s.
	OpTimeout time.Duration
	// ReportEvery is how often the zone publishes its Report (0: DefaultReportEvery);
	// SilentAfter is how old a peer's report may be before the zone reports it as not
	// answering (0: DefaultSilentAfter).
	ReportEvery, SilentAfter time.Duration
	// Streams bound what the streams hold for a zone that stops taking its messages in,
	// and the JetStream storage they reserve (storage.go). Zero fields: the defaults.
	Streams Streams
	// Boundary, if set, is called by each Step at the tick boundary, after the zone took in
	// its payloads and mail and before the world ticks (for example world/xchan's
	// Link.Boundary); an error from it is Step's error, and the world does not tick.
	Boundary func(ctx context.Context) error
	// Saved, if set, is called by Save after the world file is written, with the tick it
	// covers (for example world/xchan's Link.DurableAt).
	Saved func(tick uint64)
	// Logger: nil means slog.Default().
	Logger *slog.Logger
	// Fault, for tests, is called at each step of a migration with the step's name; an
	// error stops the zone there, as a crash would (the zone is dead: drop it and Open a
	// new one from the last save).
	Fault func(point string) error
}

var zoneName = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// ErrZoneDead: a Fault stopped the zone, or it was closed.
var ErrZoneDead = errors.New("cluster: the zone has stopped")

// A Zone is a World that belongs to a cluster: it owns one region of the map, moves
// entities that cross into another zone's region to that zone, and takes in those that
// cross into its own. Its methods are called from one goroutine (the zone's loop), as a
// World's are.
type Zone struct {
	cfg     Config
	w       *world.World
	log     *slog.Logger
	js      jetstream.JetStream
	dir     directory
	zones   jetstream.KeyValue
	zonesSt jetstream.Stream   // behind zones: journal keys are removed from it (storage.go)
	cons    jetstream.Consumer // payloads to this zone, in MigrationStream
	mail    jetstream.Consumer // letters to this zone, in MailStream
	migSt   jetstream.Stream
	mailSt  jetstream.Stream
	zmap    atomic.Pointer[ZoneMap]
	watch   jetstream.KeyWatcher

	revs       map[world.EntityID]uint64 // directory revision of each entity the zone owns
	epochs     map[world.EntityID]uint64
	nextMig    uint64
	life       string          // this incarnation of the zone: migration ids never repeat across restarts
	outbox     []*outgoing     // exported, not yet acknowledged by the stream
	updates    []*dirUpdate    // directory entries of committed entities, not yet answered
	journal    []string        // journal keys a save settles
	taken      map[uint64]bool // payloads taken in (by stream sequence) -> ack confirmed (intake.go)
	payloads   tickQueue       // LockStep: payloads in tick order (intake.go)
	letters    tickQueue       // LockStep: letters in tick order (lockmail.go)
	mailFrom   uint64          // LockStep: letters of earlier ticks were posted before the zone opened
	announced  uint64          // LockStep: 1 + the tick last announced (barrier.go); 0: none
	bar        barrierState    // LockStep: the barrier at the current boundary (barrier.go)
	lockMailSt jetstream.Stream
	skipAcks   int                  // tests: this many acks are not sent
	mailOut    []letter             // sent in this tick, published at its end
	gaps       map[letterKey]uint64 // letters waiting for earlier ones (logged) -> times delivered (mailgap.go)
	recount    mailRecount          // letters an earlier incarnation counted (mail.go)
	store      storage              // what the buckets and streams no longer need (storage.go)
	audits     dirAudit             // the directory audit of the entities here (directory.go)
	dead       error
	stats      Stats

	pub         atomic.Pointer[snapshotStats] // for the metrics collector
	lastReport  time.Time
	silent      map[string]bool
	silentCount atomic.Int64
	mapRefused  atomic.Uint64 // the revision of the zone map last refused (takeMap)
}

// Stats are a zone's counters (see also the Prometheus metrics). Their JSON names (in a
// Report) are snake_case, as the rest of the report's and the metrics' names.
type Stats struct {
	MigrationsOut    uint64 `json:"migrations_out"` // entities moved out
	MigrationsIn     uint64 `json:"migrations_in"`  // entities moved in
	InFlight         int    `json:"in_flight"`      // entities exported whose payload the stream has not acknowledged
	Failures         uint64 `json:"failures"`       // payloads refused, publishes failed, compare-and-sets lost
	BytesOut         uint64 `json:"bytes_out"`
	BytesIn          uint64 `json:"bytes_in"`
	Aborted          uint64 `json:"aborted"`           // recovery: migrations aborted here
	Dropped          uint64 `json:"dropped"`           // recovery: stale copies dropped
	MailIn           uint64 `json:"mail_in"`           // letters posted to entities here (LockStep: or held for them); each once across restarts (mail.go)
	MailForwarded    uint64 `json:"mail_forwarded"`    // letters sent on
	MailRefused      uint64 `json:"mail_refused"`      // letters refused: not a letter, a message that does not decode, a gap never filled
	MailGaps         uint64 `json:"mail_gaps"`         // letters that waited for their sender's earlier ones (each counted once)
	BarrierWaits     uint64 `json:"barrier_waits"`     // LockStep: tick boundaries at which a peer zone was behind
	StreamFull       uint64 `json:"stream_full"`       // payloads and letters a full stream refused (kept, published again)
	DirectoryRepairs uint64 `json:"directory_repairs"` // directory entries of entities here found deleted or unreadable, written again
	// Waiting is the LockStep zone's wait at the barrier in progress (zero: none).
	Waiting BarrierWait `json:"waiting,omitzero"`
}

// Open joins the cluster: it makes the buckets and the stream if they are missing, claims
// the zone's region in the zone map, either claims the world's entities in the directory
// (a new zone) or settles its journals (Recovering), and then saves the world to
// Config.SavePath: from the moment Open returns, a zone killed at any point has a save to
// restart from (with Recovering) that matches the directory. The save costs one write of
// the whole world.
func Open(ctx context.Context, cfg Config) (*Zone, error) {
	if !zoneName.MatchString(cfg.Name) {
		return nil, fmt.Errorf("cluster: zone name %q: use 1 to 32 of a-z, 0-9, _ and -", cfg.Name)
	}
	if cfg.Conn == nil || cfg.World == nil {
		return nil, errors.New("cluster: open: Config.Conn and Config.World are required")
	}
	if cfg.Codec == nil {
		c, err := persist.DefaultOptions().Codec()
		if err != nil {
			return nil, err
		}
		cfg.Codec = c
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 4096
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = 5 * time.Second
	}
	if cfg.ReportEvery <= 0 {
		cfg.ReportEvery = DefaultReportEvery
	}
	if cfg.SilentAfter <= 0 {
		cfg.SilentAfter = DefaultSilentAfter
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 30 * time.Second
	}
	if err := cfg.Streams.check(); err != nil {
		return nil, err
	}
	cfg.Streams = cfg.Streams.orDefaults()
	z := &Zone{cfg: cfg, w: cfg.World, log: cfg.Logger.With("zone", cfg.Name),
		revs: map[world.EntityID]uint64{}, epochs: map[world.EntityID]uint64{}, life: nuid.Next(), silent: map[string]bool{},
		taken: map[uint64]bool{}}
	if err := z.connect(ctx); err != nil {
		return nil, err
	}
	if err := z.announce(ctx); err != nil { // the tick it starts from (barrier.go)
		return nil, err
	}
	m, _, err := claimRegion(ctx, z.zones, cfg.Name, cfg.Region, cfg.Regions, z.w.Config().Width)
	if err != nil {
		return nil, err
	}
	z.zmap.Store(m)
	zones.Store(z.w, z)
	if err := z.watchMap(ctx); err != nil {
		return nil, err
	}
	if cfg.Recovering {
		err = z.recover(ctx) // ends with a save
	} else if err = z.claimAll(ctx); err == nil && cfg.SavePath != "" {
		err = z.Save(ctx)
	}
	if err != nil {
		z.Close()
		return nil, err
	}
	return z, nil
}

// connect makes (or finds) the buckets, the stream and the zone's consumer.
func (z *Zone) connect(ctx context.Context) error {
	js, err := jetstream.New(z.cfg.Conn, jetstream.WithPublishAsyncMaxPending(maxPending))
	if err != nil {
		return fmt.Errorf("cluster: jetstream: %w", err)
	}
	z.js = js
	if z.dir, err = openDirectory(ctx, js); err != nil {
		return err
	}
	if z.zones, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: ZonesBucket, History: 1}); err != nil {
		return fmt.Errorf("cluster: bucket %s: %w", ZonesBucket, err)
	}
	if z.zonesSt, err = js.Stream(ctx, zonesStream); err != nil {
		return fmt.Errorf("cluster: bucket %s: %w", ZonesBucket, err)
	}
	z.migSt, z.cons, err = z.streamFor(ctx, z.migrationStreamConfig(), "zone_", MigrateSubject, 1024)
	if err != nil {
		return err
	}
	z.mailSt, z.mail, err = z.streamFor(ctx, z.mailStreamConfig(), "mail_", MailSubject, mailAckPending)
	if err != nil {
		return err
	}
	if z.cfg.LockStep {
		z.payloads = tickQueue{cons: z.cons, stamp: z.stampPayload, last: func(ctx context.Context) (uint64, error) {
			return lastSeq(ctx, z.migSt, MigrateSubject+z.cfg.Name)
		}}
		return z.connectLockStepMail(ctx)
	}
	return nil
}

// streamFor makes (or finds) stream cfg and the zone's durable consumer of it (name
// prefix+zone, subject subjectPrefix+zone, explicit acks, at most maxAckPending unacked).
func (z *Zone) streamFor(ctx context.Context, cfg jetstream.StreamConfig, prefix, subjectPrefix string, maxAckPending int) (jetstream.Stream, jetstream.Consumer, error) {
	st, err := z.createStream(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: prefix + z.cfg.Name, FilterSubject: subjectPrefix + z.cfg.Name,
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: z.cfg.AckWait, MaxAckPending: maxAckPending,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("cluster: consumer %s of stream %s: %w", prefix+z.cfg.Name, cfg.Name, err)
	}
	return st, cons, nil
}

// watchMap keeps the zone map current as other zones claim their regions.
func (z *Zone) watchMap(ctx context.Context) error {
	wt, err := z.zones.Watch(context.Background(), "map", jetstream.UpdatesOnly())
	if err != nil {
		return fmt.Errorf("cluster: watch the zone map: %w", err)
	}
	z.watch = wt
	go func() { // determinism: the map changes only as zones claim regions; LockStep zones read it at each step
		for e := range wt.Updates() {
			if e != nil {
				z.takeMap(e)
			}
		}
	}()
	return nil
}

// readMap reads the zone map from the bucket (LockStep; the watcher keeps it otherwise).
func (z *Zone) readMap(ctx context.Context) {
	if e, err := z.zones.Get(ctx, "map"); err == nil {
		z.takeMap(e)
	}
}

// World returns the zone's world.
func (z *Zone) World() *world.World { return z.w }

// Conn returns the zone's NATS connection (Config.Conn), for packages that talk to other
// zones beside the migrations, such as world/xchan.
func (z *Zone) Conn() *nats.Conn { return z.cfg.Conn }

// Name returns the zone's name.
func (z *Zone) Name() string { return z.cfg.Name }

// Map returns the current zone map (read only).
func (z *Zone) Map() *ZoneMap { return z.zmap.Load() }

// Stats returns the zone's counters.
func (z *Zone) Stats() Stats {
	s := z.stats
	s.InFlight = 0
	for _, o := range z.outbox {
		s.InFlight += o.count
	}
	return s
}

// Idle reports whether no migration of the zone is in flight: its outbox is empty, and
// its consumers have acknowledged every payload and letter the streams hold for it. It
// asks the server: two requests per stream, one of which reads the stream's last message.
// Zones stepped in turn are settled when every one of them is idle, asked after all of
// them have stepped: a step may send a payload to a zone asked before it.
func (z *Zone) Idle(ctx context.Context) (bool, error) {
	if len(z.outbox) > 0 || len(z.mailOut) > 0 || z.updatePending() {
		return false, nil
	}
	for _, c := range []struct {
		cons    jetstream.Consumer
		st      jetstream.Stream
		subject string
	}{{z.cons, z.migSt, MigrateSubject + z.cfg.Name}, {z.mail, z.mailSt, MailSubject + z.cfg.Name}} {
		ok, err := caughtUp(ctx, c.cons, c.st, c.subject)
		if err != nil || !ok {
			return false, err
		}
	}
	if z.cfg.LockStep {
		return z.lettersTaken(ctx)
	}
	return true, nil
}

// caughtUp reports whether consumer cons has acknowledged every message of stream st on
// subject. The stream's own last sequence is the reference: the stream knows a message
// as soon as its publisher has the ack, while a consumer's pending count learns of it
// later (the server signals consumers from a queue), so a consumer's count alone can say
// "nothing pending" about a payload already stored.
func caughtUp(ctx context.Context, cons jetstream.Consumer, st jetstream.Stream, subject string) (bool, error) {
	last, err := lastSeq(ctx, st, subject)
	if err != nil {
		return false, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return false, fmt.Errorf("cluster: consumer %s: %w", subject, err)
	}
	return info.NumAckPending == 0 && info.AckFloor.Stream >= last, nil
}

// lastSeq returns the stream sequence of the last message of st on subject (0: none). It
// reads that message (one request; its bytes come along).
func lastSeq(ctx context.Context, st jetstream.Stream, subject string) (uint64, error) {
	m, err := st.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cluster: last message on %s: %w", subject, err)
	}
	return m.Sequence, nil
}

// Owns reports whether the directory revision of entity id is known here (the zone owns it).
func (z *Zone) Owns(id world.EntityID) bool { _, ok := z.revs[id]; return ok }

// Close stops watching the zone map. It does not close the connection or the world.
func (z *Zone) Close() {
	zones.CompareAndDelete(z.w, z)
	z.endWait()
	if z.watch != nil {
		_ = z.watch.Stop()
		z.watch = nil
	}
	if z.dead == nil {
		z.dead = ErrZoneDead
	}
}

// fault calls the test hook at point; an error kills the zone.
func (z *Zone) fault(point string) error {
	if z.cfg.Fault == nil {
		return nil
	}
	if err := z.cfg.Fault(point); err != nil {
		z.dead = fmt.Errorf("%w: fault at %s: %w", ErrZoneDead, point, err)
		return z.dead
	}
	return nil
}

// claimAll creates a directory entry for every entity of the world that has none.
func (z *Zone) claimAll(ctx context.Context) error {
	ents := z.w.Entities()
	ids := make([]world.EntityID, len(ents))
	for i, e := range ents {
		ids[i] = e.ID
	}
	return z.claim(ctx, ids)
}

// claim creates directory entries owned by this zone for ids (new entities).
func (z *Zone) claim(ctx context.Context, ids []world.EntityID) error {
	for chunk := range slices.Chunk(ids, 8192) {
		cs := make([]cas, len(chunk))
		for i, id := range chunk {
			cs[i] = cas{ID: id, Value: Owner{Zone: z.cfg.Name}}
		}
		res, err := z.dir.setAll(ctx, cs)
		if err != nil {
			return err
		}
		for i, r := range res {
			if r.Err != nil {
				return fmt.Errorf("cluster: zone %s: claim entity %d: %w (entity ids must be unique across zones)", z.cfg.Name, chunk[i], r.Err)
			}
			z.revs[chunk[i]], z.epochs[chunk[i]] = r.Rev, 0
		}
	}
	return nil
}

// maxPending bounds the asynchronous publishes in flight: the largest directory batch.
const maxPending = 1 << 15
