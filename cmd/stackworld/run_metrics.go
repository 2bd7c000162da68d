package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// metrics holds run's Prometheus metrics. They are set by the run loop after each tick,
// outside the tick, from the world's read-only views: serving them never touches the world
// and cannot change what it does.
type metrics struct {
	reg       *prometheus.Registry
	srv       *http.Server
	mux       *http.ServeMux // more handlers may be mounted while it serves (the debug endpoint)
	addr      string
	tick      prometheus.Gauge
	tickDur   prometheus.Histogram
	tasklets  *prometheus.GaugeVec
	entities  prometheus.Gauge
	dilation  prometheus.Gauge
	preempted prometheus.Counter
	failures  prometheus.Counter
	snapBytes prometheus.Gauge
	saveDur   prometheus.Histogram
	savePause prometheus.Histogram
	saveFails prometheus.Counter
	inputs    *prometheus.CounterVec
	queued    prometheus.Gauge
	lastIn    server.InputStats
	lastPre   uint64
	lastFail  uint64
	lastTimed uint64
	serveErr  chan error
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.tick = prometheus.NewGauge(prometheus.GaugeOpts{Name: "stackworld_tick", Help: "The world's current tick."})
	m.tickDur = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stackworld_tick_duration_seconds",
		Help: "Wall time of one tick.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)})
	m.tasklets = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "stackworld_tasklets",
		Help: "Alive tasklets by state (the main tasklet not counted)."}, []string{"state"})
	m.entities = prometheus.NewGauge(prometheus.GaugeOpts{Name: "stackworld_entities", Help: "Entities in the world."})
	m.dilation = prometheus.NewGauge(prometheus.GaugeOpts{Name: "stackworld_dilation",
		Help: "Time-dilation factor: 1 when ticks fit the budget, less when the clock runs slow under load."})
	m.preempted = prometheus.NewCounter(prometheus.CounterOpts{Name: "stackworld_preemptions_total",
		Help: "Tasklets pre-empted to the next tick by the step budget."})
	m.failures = prometheus.NewCounter(prometheus.CounterOpts{Name: "stackworld_tasklet_failures_total",
		Help: "Tasklets that ended with an error (each is logged too)."})
	m.snapBytes = prometheus.NewGauge(prometheus.GaugeOpts{Name: "stackworld_snapshot_bytes", Help: "Size of the last saved snapshot."})
	m.saveDur = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stackworld_save_duration_seconds",
		Help: "Wall time of a save (copy, encode and atomic write).", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)})
	m.savePause = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stackworld_save_pause_seconds",
		Help: "Time a save held the tick loop (taking the copy; the rest runs beside the ticks).", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)})
	m.saveFails = prometheus.NewCounter(prometheus.CounterOpts{Name: "stackworld_save_failures_total",
		Help: "Saves that failed (each is logged and retried while the world runs)."})
	m.inputs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stackworld_inputs_total",
		Help: "Inputs by outcome: delivered, duplicate (refused), late (delivered a tick after the one asked), refused (queue full, too many clients, too big)."}, []string{"outcome"})
	m.queued = prometheus.NewGauge(prometheus.GaugeOpts{Name: "stackworld_inputs_queued", Help: "Inputs waiting for their tick."})
	for _, c := range []prometheus.Collector{m.inputs, m.queued, m.tick, m.tickDur, m.tasklets, m.entities, m.dilation, m.preempted,
		m.failures, m.snapBytes, m.saveDur, m.savePause, m.saveFails, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return m
}

// serveMetrics listens on addr and serves /metrics and /debug/pprof/ until ctx ends or
// close is called; more collectors (a zone's) are registered before it listens.
func serveMetrics(ctx context.Context, addr string, log *slog.Logger, more ...prometheus.Collector) (*metrics, error) {
	m := newMetrics()
	for _, c := range more {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, tryError{err: fmt.Errorf("--metrics %s: %w", addr, err), try: "--metrics 127.0.0.1:0 picks a free port"}
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	m.srv, m.mux = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, mux
	m.addr = ln.Addr().String()
	m.serveErr = make(chan error, 1)
	go func() { m.serveErr <- m.srv.Serve(ln) }()
	log.Info("serving metrics", "url", "http://"+m.addr+"/metrics", "pprof", "http://"+m.addr+"/debug/pprof/")
	return m, nil
}

func (m *metrics) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = m.srv.Shutdown(ctx)
	if err := <-m.serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		slog.Default().Warn("metrics server", "err", err)
	}
}

// saved records a save.
func (m *metrics) saved(s server.SaveResult) {
	if s.Err != nil {
		m.saveFails.Inc()
		return
	}
	m.snapBytes.Set(float64(s.Bytes))
	m.saveDur.Observe(s.Took.Seconds())
	m.savePause.Observe(s.Pause.Seconds())
}

// inputsSeen reads the server's input counters into the metrics.
func (m *metrics) inputsSeen(in server.InputStats) {
	add := func(outcome string, now, last uint64) {
		if now > last {
			m.inputs.WithLabelValues(outcome).Add(float64(now - last))
		}
	}
	add("delivered", in.Delivered, m.lastIn.Delivered)
	add("duplicate", in.Duplicates, m.lastIn.Duplicates)
	add("late", in.Late, m.lastIn.Late)
	add("refused", in.Refused, m.lastIn.Refused)
	m.queued.Set(float64(in.Queued))
	m.lastIn = in
}

// observe reads the world's views into the metrics.
func (m *metrics) observe(w *world.World) {
	st := w.Stats()
	m.tick.Set(float64(st.Tick))
	m.entities.Set(float64(st.Entities))
	m.dilation.Set(st.Dilation)
	c := st.Tasklets
	m.tasklets.WithLabelValues("runnable").Set(float64(max(c.Runnable-1, 0)))
	m.tasklets.WithLabelValues("blocked").Set(float64(c.Blocked))
	m.tasklets.WithLabelValues("sleeping").Set(float64(c.Sleeping))
	m.tasklets.WithLabelValues("paused").Set(float64(c.Paused))
	if st.Preempted > m.lastPre {
		m.preempted.Add(float64(st.Preempted - m.lastPre))
	}
	m.lastPre = st.Preempted
	if st.Failures > m.lastFail {
		m.failures.Add(float64(st.Failures - m.lastFail))
	}
	m.lastFail = st.Failures
	if tm := w.LastTiming(); tm.Tick > m.lastTimed && tm.Wall > 0 {
		m.tickDur.Observe(tm.Wall.Seconds())
		m.lastTimed = tm.Tick
	}
}
