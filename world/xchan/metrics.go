package xchan

import "github.com/prometheus/client_golang/prometheus"

// Collector returns the link's Prometheus metrics, labelled zone (Config.Local) and peer
// (Config.Peer), as world/cluster's Zone.Collector does; register it with a
// prometheus.Registry. It reads Stats, so it is safe to scrape from any goroutine; the
// gauges are as of the last boundary. Cost per scrape: 16 metrics, no lock held longer
// than a copy of Stats.
//
//	stackworld_xchan_values_total{dir="out|in"}     values handed to the peer; delivered here
//	stackworld_xchan_bytes_total{dir="out|in"}      message bytes published; arrived
//	stackworld_xchan_messages_total{dir="out|in"}   messages published; taken in
//	stackworld_xchan_refused_total{reason}          messages "refused" or "dropped", values "undecodable"
//	stackworld_xchan_errors_total                   errors delivered here (SendError from the peer)
//	stackworld_xchan_blocked{op="send|recv"}        tasklets blocked on the link's channels here
//	stackworld_xchan_in_flight{state}               values "offering", "kept", "pending"
//	stackworld_xchan_peer_lag_ticks                 this tick minus the tick of the peer's last message (-1: none yet)
func (l *Link) Collector() prometheus.Collector { return (*collector)(l) }

type collector Link

var (
	descValues   = prometheus.NewDesc("stackworld_xchan_values_total", "Values handed to the peer zone (out) or delivered here (in).", []string{"zone", "peer", "dir"}, nil)
	descBytes    = prometheus.NewDesc("stackworld_xchan_bytes_total", "Link message bytes published (out) or arrived (in).", []string{"zone", "peer", "dir"}, nil)
	descMessages = prometheus.NewDesc("stackworld_xchan_messages_total", "Link messages published (out) or taken in (in).", []string{"zone", "peer", "dir"}, nil)
	descRefused  = prometheus.NewDesc("stackworld_xchan_refused_total", "Peer messages refused as malformed or hostile, dropped on a full inbox; values that did not decode.", []string{"zone", "peer", "reason"}, nil)
	descErrors   = prometheus.NewDesc("stackworld_xchan_errors_total", "Errors sent by the peer zone and raised here.", []string{"zone", "peer"}, nil)
	descBlocked  = prometheus.NewDesc("stackworld_xchan_blocked", "Tasklets blocked sending or receiving on the link's channels here.", []string{"zone", "peer", "op"}, nil)
	descInFlight = prometheus.NewDesc("stackworld_xchan_in_flight", "Values offered with senders waiting, kept until the peer's save covers them, received and waiting for a receiver.", []string{"zone", "peer", "state"}, nil)
	descLag      = prometheus.NewDesc("stackworld_xchan_peer_lag_ticks", "This zone's tick minus the tick of the peer's last message taken in (-1: none yet).", []string{"zone", "peer"}, nil)
)

// Describe sends the descriptions of the link's metrics.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descValues, descBytes, descMessages, descRefused, descErrors, descBlocked, descInFlight, descLag} {
		ch <- d
	}
}

// Collect sends the link's metrics as of its Stats.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := (*Link)(c).Stats()
	zone, peer := c.cfg.Local, c.cfg.Peer
	metric := func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, t, v, append([]string{zone, peer}, labels...)...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		metric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		metric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	counter(descValues, s.Offered, "out")
	counter(descValues, s.Delivered, "in")
	counter(descBytes, s.Bytes, "out")
	counter(descBytes, s.BytesIn, "in")
	counter(descMessages, s.Messages, "out")
	counter(descMessages, s.Received, "in")
	counter(descRefused, s.Refused, "refused")
	counter(descRefused, s.Dropped, "dropped")
	counter(descRefused, s.Undecodable, "undecodable")
	counter(descErrors, s.Errors)
	gauge(descBlocked, s.Senders, "send")
	gauge(descBlocked, s.Receivers, "recv")
	gauge(descInFlight, s.Offering, "offering")
	gauge(descInFlight, s.Kept, "kept")
	gauge(descInFlight, s.Pending, "pending")
	gauge(descLag, int(s.PeerLagTicks))
}
