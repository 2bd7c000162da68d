package cluster_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

func init() { persist.Register[parked]("cluster_test.parked", "enter", "wait", "back") }

// parked is Depth frames deep, blocked on its entity's mailbox at the bottom.
type parked struct {
	Inbox        world.Mailbox[string]
	Depth, Level int
}

func (f *parked) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		if f.Level < f.Depth {
			return t.Call(&parked{Inbox: f.Inbox, Depth: f.Depth, Level: f.Level + 1}).Then(2)
		}
		fallthrough
	case 1:
		if _, ok := f.Inbox.TryTake(world.Of(t)); ok {
			return t.Return()
		}
		return f.Inbox.Wait(t).Then(1)
	case 2:
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// parkedWorld is a world of n entities, each with a tasklet blocked three frames deep.
func parkedWorld(tb testing.TB, n int) (*world.World, []world.EntityID) {
	w, err := world.New(world.Config{Seed: 1, Zone: 1, Logger: quiet()})
	require.NoError(tb, err)
	k := w.Kind("parked")
	ids := make([]world.EntityID, n)
	for i := range n {
		id := w.NewEntity(k, world.Vec{X: int32(512 + i%500), Y: int32(i / 500 % 1024)}) // in b's region
		mb := world.NewMailbox[string](w, id, "inbox")
		_, err := w.Attach(id, &parked{Inbox: mb, Depth: 2})
		require.NoError(tb, err)
		ids[i] = id
	}
	require.NoError(tb, w.Tick())
	return w, ids
}

// p7 migrates n parked entities from zone a to zone b over an embedded server and reports
// the time from the start of the export to the end of the import, the bytes sent, the
// tick pause on each side (b's: the sum over its steps, and the longest step), and the
// time until b has the answers to all the entities' directory updates (which its step
// after the import waits for).
func p7(tb testing.TB, n int) (total, pauseOut, pauseIn, maxIn, settled time.Duration, bytes uint64) {
	ctx := context.Background()
	s := startServerTB(tb)
	dir := tb.TempDir()
	wa, ids := parkedWorld(tb, n)
	wb, err := world.New(world.Config{Seed: 2, Zone: 2, Logger: quiet()})
	require.NoError(tb, err)
	za, err := cluster.Open(ctx, cluster.Config{Name: "a", Conn: connectTB(tb, s.ClientURL()), World: wa, Regions: 2, Region: 0,
		SavePath: filepath.Join(dir, "a.cbor"), Logger: quiet()})
	require.NoError(tb, err)
	defer za.Close()
	zb, err := cluster.Open(ctx, cluster.Config{Name: "b", Conn: connectTB(tb, s.ClientURL()), World: wb, Regions: 2, Region: 1,
		SavePath: filepath.Join(dir, "b.cbor"), Logger: quiet()})
	require.NoError(tb, err)
	defer zb.Close()

	start := time.Now()
	require.NoError(tb, za.Migrate(ctx, "b", ids))
	pauseOut = time.Since(start)
	for wb.Len() < n && time.Since(start) < 10*time.Second {
		t0 := time.Now()
		require.NoError(tb, zb.Step(ctx))
		pauseIn += time.Since(t0)
		maxIn = max(maxIn, time.Since(t0))
	}
	total = time.Since(start)
	require.Equal(tb, n, wb.Len(), "all arrived: a %+v, b %+v", za.Stats(), zb.Stats())
	require.NoError(tb, zb.Step(ctx))
	settled = time.Since(start)
	for _, id := range ids {
		require.True(tb, zb.Owns(id), "entity %d's directory entry names b", id)
	}
	require.Zero(tb, wa.Len())
	for _, id := range ids {
		tk := wb.TaskletOf(id)
		require.True(tb, tk != nil && tk.Blocked() && tk.Depth() == 3, "entity %d blocked three deep", id)
	}
	require.NoError(tb, wb.Scheduler().CheckInvariants())
	return total, pauseOut, pauseIn, maxIn, settled, za.Stats().BytesOut
}

func startServerTB(tb testing.TB) interface{ ClientURL() string } {
	s, err := cluster.StartServer(cluster.ServerOptions{StoreDir: tb.TempDir()})
	require.NoError(tb, err)
	tb.Cleanup(s.Shutdown)
	return s
}

// TestP7Small is P7 at 1,000 entities: the migration path at scale, in the normal run.
func TestP7Small(t *testing.T) {
	total, _, _, _, _, bytes := p7(t, 1000)
	t.Logf("1000 entities in %v, %d B/entity", total, bytes/1000)
}

// BenchmarkP7 is P7: 10,000 entities, each with a tasklet blocked three frames deep,
// migrated from one zone to another over the embedded server.
func BenchmarkP7(b *testing.B) {
	const n = 10_000
	var total, out, in, maxIn, dir time.Duration
	var bytes uint64
	runs := 0
	for b.Loop() {
		b.StopTimer()
		tt, o, i, mi, d, by := p7(b, n)
		b.StartTimer()
		total, out, in, maxIn, dir, bytes = total+tt, out+o, in+i, maxIn+mi, dir+d, by
		runs++
	}
	r := float64(runs)
	b.ReportMetric(total.Seconds()/r*1000, "ms/10k")
	b.ReportMetric(float64(n)*r/total.Seconds(), "entities/s")
	b.ReportMetric(float64(bytes)/n, "B/entity")
	b.ReportMetric(out.Seconds()/r*1000, "ms-pause-src")
	b.ReportMetric(in.Seconds()/r*1000, "ms-pause-dst")
	b.ReportMetric(maxIn.Seconds()/r*1000, "ms-maxtick-dst")
	b.ReportMetric(dir.Seconds()/r*1000, "ms-dir/10k")
	fmt.Fprintf(b.Output(), "P7: %d entities in %.0f ms\n", n, total.Seconds()/r*1000)
}
