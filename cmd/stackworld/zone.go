package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/assets"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stackworld/stackworld/world/server"
)

func init() {
	commands["zone"] = command{summary: "run one zone of a world spread over processes (NATS)", run: runZone}
}

var zoneUsage = `usage: stackworld zone --nats URL --region R --regions N [flags]

Runs one zone of a world whose map is cut into N vertical strips (regions), one per zone,
over NATS: the zone builds the scenario, keeps the entities of its region, and moves an
entity to the zone of the region it walks into, running tasklets and all. Zones find each
other through the NATS server(s) at --nats (buckets stackworld_dir and stackworld_zones,
streams stackworld_migrations and stackworld_mail; see package world/cluster). --nats
embedded starts a NATS server in this process and prints its URL for the other zones.
A zone saves to --save as soon as it has joined, every --save-every ticks, and when
stopped with Ctrl-C or SIGTERM; started again with the same --save (even after kill -9,
even before its first autosave), it loads it and settles the migrations it had begun.
When it stops it prints its tick, entities, migrations in and out, and its world's deep
checksum (world.DeepChecksum) on stdout.

--lockstep runs the zone in lock step with every zone on the map (all of them must use
it): it starts ticking once every region has a zone, an entity leaving at the end of tick
t and a letter sent during tick t take effect at the boundary after tick t, and at that
boundary the zone waits until every zone on the map has finished tick t. With a fixed
--seed and --ticks, a rerun then gives every zone the same deep checksum at every tick.
It costs a few NATS requests per tick and runs the cluster at the pace of its slowest
zone: a zone that stops (killed, paused, cut off from NATS) stalls the others at their
next boundary. They log "cluster: still waiting at the barrier" with the tick and the
zone they wait for, their progress lines (and run --zones' view) show "waiting for z1
at tick 41 (z1 at 40, 12s)", the stopped zone is marked silent there, and
stackworld_zone_barrier_waits_total counts the waits. They go on when it is back
(restarted with its --save, it catches up from its saved tick).

flags:
`

// zoneOptions are zone's flags.
type zoneOptions struct {
	natsURL, name, save, scenario, metrics, store string
	checksums, debug                              string
	logLevel                                      string
	region, regions, ticks, saveEvery             int
	rate                                          float64
	seed                                          uint64
	quiet, lockstep, debugControl                 bool
	streamBytes                                   byteSize
	conn                                          cluster.ConnectOptions
}

func parseZoneFlags(args []string, stderr io.Writer) (*zoneOptions, error) {
	o := &zoneOptions{}
	fs := newFlagSet("zone", zoneUsage, stderr)
	fs.StringVar(&o.natsURL, "nats", "", "NATS server `URL`(s), comma-separated, or \"embedded\"")
	fs.StringVar(&o.name, "name", "", "zone name (default \"z<region>\")")
	fs.IntVar(&o.region, "region", 0, "this zone's region, 0 to N-1")
	fs.IntVar(&o.regions, "regions", 1, "number of regions (zones) N")
	fs.IntVar(&o.ticks, "ticks", 0, "stop after this many ticks (0: run until stopped)")
	fs.Float64Var(&o.rate, "rate", 20, "ticks per second (0: as fast as possible)")
	fs.Uint64Var(&o.seed, "seed", 0, "random seed (0: the scenario's; all zones must agree)")
	fs.StringVar(&o.scenario, "scenario", "", "scenario `FILE` (JSON) instead of the embedded default")
	fs.StringVar(&o.save, "save", "", "save the zone's world to `FILE` (and load it at start if it exists)")
	fs.IntVar(&o.saveEvery, "save-every", 200, "ticks between saves with --save")
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics on `ADDR` (e.g. :9101)")
	fs.StringVar(&o.debug, "debug", "", "serve the zone's debug endpoint (viewer --attach ADDR) on `ADDR` (host:port; an empty host is\n\t127.0.0.1), the same HTTP server as --metrics")
	fs.BoolVar(&o.debugControl, "debug-control", false, "let --debug clients pause, resume and step the zone (a paused lock-step zone stalls the others)")
	fs.StringVar(&o.checksums, "checksums", "", "write the world's deep checksum after every tick to `FILE` (lines \"tick N state X\", as replay\n\tprints; one encoding of the world per tick), to compare --lockstep runs tick by tick")
	fs.StringVar(&o.store, "store", "", "JetStream store `DIR` of --nats embedded (default: a temporary directory)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress lines")
	fs.BoolVar(&o.lockstep, "lockstep", false, "run in lock step with every zone on the map (all must): a fixed --seed repeats every zone's\n\tdeep checksum; each tick waits for every zone, so a stopped zone stalls the others (see above)")
	fs.Var(&o.streamBytes, "stream-max-bytes", "JetStream storage `SIZE` the zone's streams reserve together (e.g. 512MiB; 0: 1.25 GiB,\n\t1.5 GiB with --lockstep), split 4:1(:1) between stackworld_migrations, _mail (and _lockmail);\n\tlower it for a NATS account with less storage (all zones must agree)")
	fs.StringVar(&o.logLevel, "log", "info", "log level of the zone's cluster messages (refused payloads, silent zones): debug, info, warn or error")
	fs.StringVar(&o.conn.Token, "token", "", "NATS token")
	fs.StringVar(&o.conn.User, "user", "", "NATS user")
	fs.StringVar(&o.conn.Password, "password", "", "NATS password")
	fs.StringVar(&o.conn.NKeyFile, "nkey", "", "NATS nkey seed `FILE`")
	fs.StringVar(&o.conn.CredsFile, "creds", "", "NATS credentials `FILE`")
	fs.StringVar(&o.conn.TLSCA, "tls-ca", "", "CA certificate `FILE` for TLS")
	fs.StringVar(&o.conn.TLSCert, "tls-cert", "", "client certificate `FILE`")
	fs.StringVar(&o.conn.TLSKey, "tls-key", "", "client key `FILE`")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, usageError{"zone takes no arguments"}
	case o.natsURL == "":
		return nil, usageError{"--nats is required (a URL, or embedded)"}
	case o.regions < 1 || o.regions > cluster.MaxRegions:
		return nil, usageError{fmt.Sprintf("--regions %d out of range [1, %d]", o.regions, cluster.MaxRegions)}
	case o.region < 0 || o.region >= o.regions:
		return nil, usageError{fmt.Sprintf("--region %d out of range [0, %d)", o.region, o.regions)}
	case o.rate < 0 || o.rate != o.rate:
		return nil, usageError{fmt.Sprintf("--rate %g: want a number >= 0", o.rate)}
	case o.saveEvery < 1:
		return nil, usageError{fmt.Sprintf("--save-every %d: want at least 1", o.saveEvery)}
	case o.debugControl && o.debug == "":
		return nil, usageError{"--debug-control without --debug: give the endpoint's address, e.g. --debug 127.0.0.1:6060"}
	case o.debug != "" && o.metrics != "" && o.metrics != loopbackDefault(o.debug):
		return nil, usageError{"--debug and --metrics share one HTTP server: give them the same address"}
	case o.streamBytes != 0 && o.streamBytes < minStreamBytes:
		return nil, usageError{fmt.Sprintf("--stream-max-bytes %d: want at least %d (16MiB), or 0 for the defaults", o.streamBytes, minStreamBytes)}
	}
	if _, err := parseLevel(o.logLevel); err != nil {
		return nil, usageError{err.Error()}
	}
	if o.name == "" {
		o.name = "z" + strconv.Itoa(o.region)
	}
	if o.debug != "" {
		o.metrics = loopbackDefault(o.debug)
	}
	return o, nil
}

// runZone runs one zone until --ticks or a signal.
func runZone(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseZoneFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError + 4})) // the scenario's planned failures stay quiet; zone errors are returned
	level, _ := parseLevel(o.logLevel)
	clusterLog := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})) // what an operator must see: refusals, silent zones
	if o.natsURL == "embedded" {
		s, err := cluster.StartServer(cluster.ServerOptions{StoreDir: o.store})
		if err != nil {
			return err
		}
		defer stopServer(s, o.store == "")
		o.natsURL = s.ClientURL()
		fmt.Fprintf(stdout, "NATS: %s\n", o.natsURL)
	}
	o.conn.URL, o.conn.Name = o.natsURL, "stackworld zone "+o.name
	nc, err := cluster.Connect(o.conn)
	if err != nil {
		return tryError{err: err, try: "stackworld zone --nats embedded (a NATS server in this process)"}
	}
	defer nc.Close()
	w, recovering, err := zoneWorld(o, log)
	if err != nil {
		return err
	}
	defer w.Close()
	save := o.save
	if save == "" {
		dir, err := os.MkdirTemp("", "stackworld-zone-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		save = filepath.Join(dir, o.name+".cbor")
	}
	z, err := cluster.Open(ctx, cluster.Config{Name: o.name, Conn: nc, World: w, Regions: o.regions, Region: o.region,
		SavePath: save, Recovering: recovering, Logger: clusterLog, LockStep: o.lockstep,
		Streams: streamsWithin(int64(o.streamBytes), o.lockstep)})
	if err != nil {
		return err
	}
	defer z.Close()
	var m *metrics
	if o.metrics != "" {
		if m, err = serveMetrics(ctx, o.metrics, clusterLog.With("zone", o.name), z.Collector()); err != nil {
			return err
		}
		defer m.close()
	}
	if o.lockstep {
		if err := awaitZones(ctx, nc, o.regions, clusterLog.With("zone", o.name)); err != nil {
			return err
		}
	}
	var sums *tickSums
	if o.checksums != "" {
		if sums, err = createTickSums(o.checksums); err != nil {
			return err
		}
	}
	err = runZoneServer(ctx, z, o, m, sums, clusterLog.With("zone", o.name), stderr)
	if sums != nil {
		err = errors.Join(err, sums.close())
	}
	if err != nil {
		return err
	}
	return printZoneSummary(stdout, z)
}

// zoneWorld loads --save if it exists, else builds the scenario with the zone's seed (the
// scenario's, or --seed, plus the region: zones differ) and keeps the entities of the
// zone's region. Zone numbers (the high bits of entity ids) are regions + 1.
func zoneWorld(o *zoneOptions, log *slog.Logger) (*world.World, bool, error) {
	cfg := world.Config{Logger: log, Zone: uint16(o.region + 1)}
	if o.save != "" {
		if _, err := os.Stat(o.save); err == nil {
			w, _, err := actors.Origin{Snapshot: o.save}.Open(cfg)
			return w, true, err
		}
	}
	data := assets.DefaultScenario()
	if o.scenario != "" {
		var err error
		if data, err = os.ReadFile(o.scenario); err != nil {
			return nil, false, fmt.Errorf("read scenario: %w", err)
		}
	}
	sc, err := actors.ParseScenario(data)
	if err != nil {
		return nil, false, err
	}
	w, err := actors.BuildWorld(sc, sc.Config(o.seed).Seed+uint64(o.region), cfg)
	if err != nil {
		return nil, false, err
	}
	m := cluster.ZoneMap{Width: w.Config().Width, Regions: make([]string, o.regions)}
	var away []world.EntityID
	for _, e := range w.Entities() {
		if m.RegionOf(e.Pos.X) != o.region {
			away = append(away, e.ID)
		}
	}
	for _, id := range away {
		w.Despawn(id)
	}
	return w, false, nil
}

// runZoneServer runs the zone on world/server at --rate (with its time dilation), with an
// autosave every --save-every ticks and a final save when stopped (put off while payloads
// are on their way to the stream), printing progress once a second (showZoneProgress). With m, the runtime's
// metrics (those of stackworld run) are served beside the zone's, and with --debug the
// debug endpoint too (logged to log); with sums, every tick's deep checksum is written.
func runZoneServer(ctx context.Context, z *cluster.Zone, o *zoneOptions, m *metrics, sums *tickSums, log *slog.Logger, stderr io.Writer) error {
	var onSave func(server.SaveResult)
	var observe func(*world.World)
	if m != nil {
		onSave, observe = m.saved, m.observe
	}
	opts := server.Options{Rate: o.rate, Ticks: uint64(o.ticks), SaveEvery: uint64(o.saveEvery), AfterTick: observe, OnSave: onSave}
	if sums != nil {
		opts.EndTick = sums.endTick
	}
	srv, err := z.NewServer(opts)
	if err != nil {
		return err
	}
	if o.debug != "" {
		serveDebug(m, srv, o.debugControl, log)
	}
	if !o.quiet {
		defer showZoneProgress(ctx, srv, z, stderr)()
	}
	return srv.Run(ctx)
}

// showZoneProgress prints the zone's progress line once a second, read between ticks
// (Server.Do, served while a LockStep zone waits at the barrier too), until the returned
// function is called.
func showZoneProgress(ctx context.Context, srv *server.Server, z *cluster.Zone, stderr io.Writer) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() { // determinism: reads the world between ticks (Do); prints only
		defer close(exited)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			var line string
			if srv.Do(ctx, func(w *world.World) { line = zoneProgressLine(z.Name(), w, z.Stats(), time.Now()) }) == nil {
				fmt.Fprintln(stderr, line)
			}
		}
	}()
	return func() { close(done); <-exited }
}

// zoneProgressLine is a zone's progress line at now: its tick, entities, migrations and
// failures, and a LockStep zone's wait at the barrier (cluster.BarrierWait.Text).
func zoneProgressLine(name string, w *world.World, st cluster.Stats, now time.Time) string {
	line := fmt.Sprintf("zone %s: tick %d, %d entities, %d in, %d out, %d failures",
		name, w.Now(), w.Len(), st.MigrationsIn, st.MigrationsOut, st.Failures)
	if wait := st.Waiting.Text(now); wait != "" {
		line += ", " + wait
	}
	return line
}

// stopServer shuts the embedded server down and removes its temporary store.
func stopServer(s *natsserver.Server, temp bool) {
	dir := s.StoreDir()
	s.Shutdown()
	s.WaitForShutdown()
	if temp {
		_ = os.RemoveAll(dir)
	}
}

// printZoneSummary prints the zone's last line: its tick, entities, migrations in and
// out, and its world's deep checksum (world.DeepChecksum: every tasklet, frame, channel,
// mailbox and entity), which LockStep zones repeat on a rerun with the same seed. Cost:
// one encoding of the world. Call it after the zone's server has stopped.
func printZoneSummary(stdout io.Writer, z *cluster.Zone) error {
	w := z.World()
	sum, err := w.DeepChecksum()
	if err != nil {
		return fmt.Errorf("zone %s: deep checksum: %w", z.Name(), err)
	}
	st := z.Stats()
	fmt.Fprintf(stdout, "zone %s: tick %d, %d entities, %d in, %d out, deep checksum %016x\n",
		z.Name(), w.Now(), w.Len(), st.MigrationsIn, st.MigrationsOut, sum)
	return nil
}
