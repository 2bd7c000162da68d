package xchan_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// A link's metrics, scraped while two senders of a wait on the two-way channel for
// receivers of b, after one value went to b (kept by a: b never saves) and one junk
// message came: values each way, tasklets blocked, values in flight, the peer's lag,
// refusals, bytes and messages as Stats counts them.
func TestMetrics(t *testing.T) {
	a, b, ca, cb := bothPair(t)
	newLog(t, "a")
	newLog(t, "b")
	ts := []*sim.Tasklet{
		a.w.Spawn(&party{Ch: ca, Log: "a", Name: "x", N: 3}),
		b.w.Spawn(&party{Recv: true, Ch: cb, Log: "b", Name: "r", N: 1}),
		a.w.Spawn(&party{Ch: ca, Log: "a", Name: "y", Delay: 20, N: 1}),
	}
	runUntil(t, 100, dead(ts[1]), a, b)
	for range 25 {
		step(t, a, b)
	}
	require.NoError(t, a.nc.Publish("stackworld.xchan.a.b", []byte("junk")))
	require.NoError(t, a.nc.Flush())
	// The junk reaches a's inbox on NATS's goroutine, maybe after the boundary that next
	// finds b's message of the tick already there: step until a has taken it in. More
	// steps change nothing else measured below (the senders left are blocked for good).
	for steps := 0; steps == 0 || a.l.Stats().Refused == 0; steps++ {
		require.Less(t, steps, 1000, "the junk message never reached zone a")
		step(t, a, b)
	}

	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(a.l.Collector()))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP stackworld_xchan_blocked Tasklets blocked sending or receiving on the link's channels here.
# TYPE stackworld_xchan_blocked gauge
stackworld_xchan_blocked{op="recv",peer="b",zone="a"} 0
stackworld_xchan_blocked{op="send",peer="b",zone="a"} 2
# HELP stackworld_xchan_in_flight Values offered with senders waiting, kept until the peer's save covers them, received and waiting for a receiver.
# TYPE stackworld_xchan_in_flight gauge
stackworld_xchan_in_flight{peer="b",state="kept",zone="a"} 1
stackworld_xchan_in_flight{peer="b",state="offering",zone="a"} 0
stackworld_xchan_in_flight{peer="b",state="pending",zone="a"} 0
# HELP stackworld_xchan_peer_lag_ticks This zone's tick minus the tick of the peer's last message taken in (-1: none yet).
# TYPE stackworld_xchan_peer_lag_ticks gauge
stackworld_xchan_peer_lag_ticks{peer="b",zone="a"} 1
# HELP stackworld_xchan_refused_total Peer messages refused as malformed or hostile, dropped on a full inbox; values that did not decode.
# TYPE stackworld_xchan_refused_total counter
stackworld_xchan_refused_total{peer="b",reason="dropped",zone="a"} 0
stackworld_xchan_refused_total{peer="b",reason="refused",zone="a"} 1
stackworld_xchan_refused_total{peer="b",reason="undecodable",zone="a"} 0
# HELP stackworld_xchan_values_total Values handed to the peer zone (out) or delivered here (in).
# TYPE stackworld_xchan_values_total counter
stackworld_xchan_values_total{dir="in",peer="b",zone="a"} 0
stackworld_xchan_values_total{dir="out",peer="b",zone="a"} 1
`), "stackworld_xchan_blocked", "stackworld_xchan_in_flight", "stackworld_xchan_peer_lag_ticks",
		"stackworld_xchan_refused_total", "stackworld_xchan_values_total"))
	n, err := testutil.GatherAndCount(reg)
	require.NoError(t, err)
	require.Equal(t, 16, n)
	// Bytes arrive on NATS's goroutine at any time: BytesIn as scraped lies between two reads.
	before := a.l.Stats()
	bytes := byDir(t, reg, "stackworld_xchan_bytes_total")
	after := a.l.Stats()
	require.Equal(t, float64(after.Bytes), bytes["out"])
	require.Positive(t, before.BytesIn)
	require.True(t, float64(before.BytesIn) <= bytes["in"] && bytes["in"] <= float64(after.BytesIn), "bytes in %v, Stats %d then %d", bytes["in"], before.BytesIn, after.BytesIn)
	require.Equal(t, map[string]float64{"out": float64(after.Messages), "in": float64(after.Received)}, byDir(t, reg, "stackworld_xchan_messages_total"))

	reg = prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(b.l.Collector()))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP stackworld_xchan_in_flight Values offered with senders waiting, kept until the peer's save covers them, received and waiting for a receiver.
# TYPE stackworld_xchan_in_flight gauge
stackworld_xchan_in_flight{peer="a",state="kept",zone="b"} 0
stackworld_xchan_in_flight{peer="a",state="offering",zone="b"} 0
stackworld_xchan_in_flight{peer="a",state="pending",zone="b"} 0
# HELP stackworld_xchan_values_total Values handed to the peer zone (out) or delivered here (in).
# TYPE stackworld_xchan_values_total counter
stackworld_xchan_values_total{dir="in",peer="a",zone="b"} 1
stackworld_xchan_values_total{dir="out",peer="a",zone="b"} 0
`), "stackworld_xchan_in_flight", "stackworld_xchan_values_total"))
}

// byDir returns the values of metric name by their dir label.
func byDir(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "dir" {
					got[lp.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return got
}
