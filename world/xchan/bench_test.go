package xchan_test

import (
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// BenchmarkLockStep times two zones in lock step on one embedded NATS server, one tick
// and one boundary each per iteration, while 1,000 senders in a keep 1,000 receivers in b
// busy, on a one-way channel (impl=xchan) and on a two-way one (impl=both), beside the same two worlds ticking with no link and no traffic
// (impl=bare). It reports the values handed off per tick and the bytes a→b per value.
func BenchmarkLockStep(b *testing.B) {
	const n = 1000
	for _, impl := range []struct {
		name string
		link func(testing.TB) (a, b *zone, ca, cb sim.Chan[string])
	}{{"xchan", pair}, {"both", bothPair}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			za, zb, send, recv := impl.link(b)
			newLog(b, "")
			for i := range n {
				za.w.Spawn(&party{Ch: send, Name: fmt.Sprintf("s%d", i), N: 1 << 30})
				zb.w.Spawn(&party{Recv: true, Ch: recv, Name: fmt.Sprintf("r%d", i)})
			}
			for range 5 {
				step(b, za, zb)
			}
			before := za.l.Stats()
			for b.Loop() {
				step(b, za, zb)
			}
			after := za.l.Stats()
			values := float64(after.Released - before.Released)
			b.ReportMetric(values/float64(b.N), "values/tick")
			b.ReportMetric(float64(after.Bytes-before.Bytes)/max(values, 1), "B/value")
		})
	}
	b.Run("impl=bare", func(b *testing.B) {
		za, zb, _, _ := pair(b)
		for range n {
			za.w.Spawn(&idle{})
			zb.w.Spawn(&idle{})
		}
		for b.Loop() {
			require.NoError(b, za.w.Tick())
			require.NoError(b, zb.w.Tick())
		}
	})
}

func init() { persist.Register[idle]("xchan_test.idle") }

// idle sleeps to the next tick, every tick.
type idle struct{}

func (*idle) Step(t *sim.T) sim.Op { return t.NextTick().Then(0) }
