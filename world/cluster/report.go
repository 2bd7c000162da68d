package cluster

import (
	"context"
	"encoding/json"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Operators' view of a zone: tick stats on StatsSubject+"<zone>" and in ZonesBucket under
// "zone.<zone>", a report of zones that stop answering, and Prometheus metrics.

// Report is what a zone publishes about itself every Config.ReportEvery.
type Report struct {
	Zone     string `json:"zone"`
	Tick     uint64 `json:"tick"`
	UnixMs   int64  `json:"unix_ms"` // wall clock of the report (for liveness only)
	Entities int    `json:"entities"`
	Stats    Stats  `json:"stats"`
}

// Defaults of Config.ReportEvery (how often a zone publishes its Report) and
// Config.SilentAfter (a zone whose report is older is reported as not answering).
const (
	DefaultReportEvery = time.Second
	DefaultSilentAfter = 5 * time.Second
)

// report publishes the zone's Report when ReportEvery has passed, and checks the others.
func (z *Zone) report(ctx context.Context) {
	z.pub.Store(&snapshotStats{stats: z.Stats(), tick: z.w.Now(), entities: z.w.Len()})
	now := time.Now() // determinism: wall clock for liveness reports only, never world logic
	if now.Sub(z.lastReport) < z.cfg.ReportEvery {
		return
	}
	z.lastReport = now
	r := Report{Zone: z.cfg.Name, Tick: z.w.Now(), UnixMs: now.UnixMilli(), Entities: z.w.Len(), Stats: z.Stats()}
	b, _ := json.Marshal(r)
	_ = z.cfg.Conn.Publish(StatsSubject+z.cfg.Name, b)
	if _, err := z.zones.Put(ctx, "zone."+z.cfg.Name, b); err != nil {
		return
	}
	z.checkPeers(ctx, now)
}

// checkPeers logs, once per silence, each zone of the map whose last report is older than
// Config.SilentAfter.
func (z *Zone) checkPeers(ctx context.Context, now time.Time) {
	for _, name := range z.zmap.Load().Regions {
		if name == "" || name == z.cfg.Name {
			continue
		}
		e, err := z.zones.Get(ctx, "zone."+name)
		if err != nil {
			continue
		}
		var r Report
		if json.Unmarshal(e.Value(), &r) != nil {
			continue
		}
		age := now.Sub(time.UnixMilli(r.UnixMs))
		silent := age > z.cfg.SilentAfter
		if silent && !z.silent[name] {
			z.log.Warn("cluster: zone stopped answering", "peer", name, "last_tick", r.Tick, "silent_for", age.Round(time.Second))
		}
		if !silent && z.silent[name] {
			z.log.Info("cluster: zone answers again", "peer", name, "tick", r.Tick)
		}
		z.silent[name] = silent
		z.silentCount.Store(int64(countTrue(z.silent)))
	}
}

func countTrue(m map[string]bool) int {
	n := 0
	for _, v := range m { // determinism: a count
		if v {
			n++
		}
	}
	return n
}

// Silent returns the zones this zone last found not answering.
func (z *Zone) Silent() []string {
	var out []string
	for _, name := range z.zmap.Load().Regions {
		if z.silent[name] {
			out = append(out, name)
		}
	}
	return out
}

type snapshotStats struct {
	stats    Stats
	tick     uint64
	entities int
}

// Collector returns the zone's Prometheus metrics, safe to scrape from any goroutine:
// stackworld_zone_migrations_total{zone,dir="in|out"}, _migration_failures_total,
// _migration_bytes_total{dir}, _migrations_in_flight, _tick, _entities,
// _mail_total{kind="in|forwarded|refused|gap"}, _silent_peers, _barrier_waits_total (LockStep),
// _recovered_total{kind}, _stream_full_total, _directory_repairs_total,
// and, while a LockStep zone waits at the barrier, _barrier_waiting_seconds{zone,peer}.
func (z *Zone) Collector() prometheus.Collector { return (*collector)(z) }

type collector Zone

var (
	descMig     = prometheus.NewDesc("stackworld_zone_migrations_total", "Entities migrated, by direction.", []string{"zone", "dir"}, nil)
	descFail    = prometheus.NewDesc("stackworld_zone_migration_failures_total", "Payloads refused, publishes or journal writes failed, commits lost.", []string{"zone"}, nil)
	descBytes   = prometheus.NewDesc("stackworld_zone_migration_bytes_total", "Migration payload bytes, by direction.", []string{"zone", "dir"}, nil)
	descFlight  = prometheus.NewDesc("stackworld_zone_migrations_in_flight", "Entities exported whose payload the stream has not acknowledged.", []string{"zone"}, nil)
	descTick    = prometheus.NewDesc("stackworld_zone_tick", "The zone's tick.", []string{"zone"}, nil)
	descEnts    = prometheus.NewDesc("stackworld_zone_entities", "Entities in the zone's world.", []string{"zone"}, nil)
	descMail    = prometheus.NewDesc("stackworld_zone_mail_total", "Letters posted here, forwarded, refused, or put back waiting for their sender's earlier ones (gap, once per letter).", []string{"zone", "kind"}, nil)
	descSilent  = prometheus.NewDesc("stackworld_zone_silent_peers", "Zones of the map that stopped answering.", []string{"zone"}, nil)
	descBarrier = prometheus.NewDesc("stackworld_zone_barrier_waits_total", "LockStep: tick boundaries at which the zone waited for a peer zone to finish the tick.", []string{"zone"}, nil)
	descWaiting = prometheus.NewDesc("stackworld_zone_barrier_waiting_seconds", "LockStep: how long the zone has waited at the barrier for the peer zone to finish the tick (present while it waits).", []string{"zone", "peer"}, nil)
	descAborted = prometheus.NewDesc("stackworld_zone_recovered_total", "Recovery after a restart: moves taken back, stale copies dropped.", []string{"zone", "kind"}, nil)
	descFull    = prometheus.NewDesc("stackworld_zone_stream_full_total", "Payloads and letters a full stream refused (kept, published again).", []string{"zone"}, nil)
	descRepairs = prometheus.NewDesc("stackworld_zone_directory_repairs_total", "Directory entries of entities here found deleted or unreadable and written again.", []string{"zone"}, nil)
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMig, descFail, descBytes, descFlight, descTick, descEnts, descMail, descSilent, descAborted, descBarrier, descFull, descRepairs, descWaiting} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	p := c.pub.Load()
	if p == nil {
		return
	}
	n, s := c.cfg.Name, p.stats
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{n}, labels...)...)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, n)
	}
	counter(descMig, s.MigrationsIn, "in")
	counter(descMig, s.MigrationsOut, "out")
	counter(descFail, s.Failures)
	counter(descBytes, s.BytesIn, "in")
	counter(descBytes, s.BytesOut, "out")
	counter(descMail, s.MailIn, "in")
	counter(descMail, s.MailForwarded, "forwarded")
	counter(descMail, s.MailRefused, "refused")
	counter(descMail, s.MailGaps, "gap")
	counter(descAborted, s.Aborted, "aborted")
	counter(descAborted, s.Dropped, "dropped")
	counter(descBarrier, s.BarrierWaits)
	counter(descFull, s.StreamFull)
	counter(descRepairs, s.DirectoryRepairs)
	gauge(descFlight, float64(s.InFlight))
	gauge(descTick, float64(p.tick))
	gauge(descEnts, float64(p.entities))
	gauge(descSilent, float64(c.silentCount.Load()))
	if w := s.Waiting; w.Peer != "" {
		waited := time.Since(w.Since).Seconds() // determinism: a metric
		ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, waited, n, w.Peer)
	}
}
