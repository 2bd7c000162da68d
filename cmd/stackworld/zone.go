package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
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

flags:
`

// zoneOptions are zone's flags.
type zoneOptions struct {
	natsURL, name, save, scenario, metrics, store string
	logLevel                                      string
	region, regions, ticks, saveEvery             int
	rate                                          float64
	seed                                          uint64
	quiet                                         bool
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
	fs.StringVar(&o.store, "store", "", "JetStream store `DIR` of --nats embedded (default: a temporary directory)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress lines")
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
	}
	if _, err := parseLevel(o.logLevel); err != nil {
		return nil, usageError{err.Error()}
	}
	if o.name == "" {
		o.name = "z" + strconv.Itoa(o.region)
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
		SavePath: save, Recovering: recovering, Logger: clusterLog})
	if err != nil {
		return err
	}
	defer z.Close()
	var m *metrics
	if o.metrics != "" {
		if m, err = serveMetrics(ctx, o.metrics, log); err != nil {
			return err
		}
		defer m.close()
		if err := m.reg.Register(z.Collector()); err != nil {
			return err
		}
	}
	return runZoneServer(ctx, z, o, m, stderr)
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
// are on their way to the stream), printing progress once a second. With m, the runtime's
// metrics (those of stackworld run) are served beside the zone's.
func runZoneServer(ctx context.Context, z *cluster.Zone, o *zoneOptions, m *metrics, stderr io.Writer) error {
	lastShown := time.Now()
	var onSave func(server.SaveResult)
	if m != nil {
		onSave = m.saved
	}
	progress := func(w *world.World) {
		if m != nil {
			m.observe(w)
		}
		if o.quiet || time.Since(lastShown) < time.Second {
			return
		}
		lastShown = time.Now()
		st := z.Stats() // on the loop goroutine: the zone is the server's
		fmt.Fprintf(stderr, "zone %s: tick %d, %d entities, %d in, %d out, %d failures\n",
			z.Name(), w.Now(), w.Len(), st.MigrationsIn, st.MigrationsOut, st.Failures)
	}
	srv, err := z.NewServer(server.Options{Rate: o.rate, Ticks: uint64(o.ticks), SaveEvery: uint64(o.saveEvery),
		AfterTick: progress, OnSave: onSave})
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

// ---- stackworld run --zones N ----

// zonesFlag finds --zones N (or --zones=N) in run's arguments and returns N and the
// other arguments; ok is false when it is absent.
func zonesFlag(args []string) (n int, rest []string, ok bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		var v string
		switch {
		case a == "--zones" || a == "-zones":
			if i+1 >= len(args) {
				return 0, nil, false, usageError{"--zones needs a number"}
			}
			v, i = args[i+1], i+1
		case len(a) > 8 && (a[:8] == "--zones=" || a[:7] == "-zones="):
			v = a[slices.Index([]byte(a), '=')+1:]
		default:
			rest = append(rest, a)
			continue
		}
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 64 {
			return 0, nil, false, usageError{fmt.Sprintf("--zones %s: want a number from 1 to 64", v)}
		}
		ok = true
	}
	return n, rest, ok, nil
}

// runZones runs N zones on this machine: this process embeds the NATS server and runs zone
// 0; N-1 child processes run the others (stackworld zone). One progress view: a line per
// second with every zone's tick and entities, from their reports on stackworld.stats.*.
func runZones(ctx context.Context, n int, args []string, stdout, stderr io.Writer) error {
	s, err := cluster.StartServer(cluster.ServerOptions{})
	if err != nil {
		return err
	}
	defer stopServer(s, true)
	url := s.ClientURL()
	fmt.Fprintf(stdout, "NATS: %s (%d zones; watch with: nats --server %s sub 'stackworld.>')\n", url, n, url)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var children []*exec.Cmd
	defer func() {
		for _, c := range children {
			_ = c.Process.Signal(os.Interrupt)
		}
		for _, c := range children {
			_ = c.Wait()
		}
	}()
	for r := 1; r < n; r++ {
		c := exec.Command(self, append([]string{"zone", "--quiet", "--nats", url, "--region", strconv.Itoa(r), "--regions", strconv.Itoa(n)}, args...)...)
		c.Stdout, c.Stderr = io.Discard, stderr
		if err := c.Start(); err != nil {
			return err
		}
		children = append(children, c)
	}
	stop := progressView(url, n, stderr)
	defer stop()
	zargs := append([]string{"--quiet", "--nats", url, "--region", "0", "--regions", strconv.Itoa(n)}, args...)
	return runZone(ctx, zargs, io.Discard, stderr)
}

// progressView prints every zone's last report once a second.
func progressView(url string, n int, stderr io.Writer) func() {
	nc, err := nats.Connect(url)
	if err != nil {
		return func() {}
	}
	var mu sync.Mutex
	last := map[string]cluster.Report{}
	_, _ = nc.Subscribe(cluster.StatsSubject+"*", func(m *nats.Msg) {
		var r cluster.Report
		if json.Unmarshal(m.Data, &r) == nil {
			mu.Lock()
			last[r.Zone] = r
			mu.Unlock()
		}
	})
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			mu.Lock()
			line := progressLine(last, n, time.Now())
			mu.Unlock()
			fmt.Fprintln(stderr, line)
		}
	}()
	return func() { close(done); nc.Close() }
}

// progressLine is the progress view's line for zones z0 to z<n-1> from their last reports:
// tick, entities and migrations of each, "-" before its first report, and "silent Ns" once
// its last report is older than cluster.DefaultSilentAfter at now.
func progressLine(last map[string]cluster.Report, n int, now time.Time) string {
	line := "zones:"
	for r := range n {
		name := "z" + strconv.Itoa(r)
		rep, ok := last[name]
		if !ok {
			line += fmt.Sprintf("  %s: -", name)
			continue
		}
		line += fmt.Sprintf("  %s: tick %d, %d entities, %d in/%d out", name, rep.Tick, rep.Entities, rep.Stats.MigrationsIn, rep.Stats.MigrationsOut)
		if age := now.Sub(time.UnixMilli(rep.UnixMs)); age > cluster.DefaultSilentAfter {
			line += fmt.Sprintf(" (silent %s)", age.Round(time.Second))
		}
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
