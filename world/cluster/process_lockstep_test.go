package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// Three LockStep zones, each in its own OS process (this test binary, re-executed to run
// TestLockStepZoneProcess) on world/server, ticks back to back, over one embedded NATS
// server, with walkers crossing both borders both ways and letters every tick from each
// zone to entities that move: two runs give every zone the same deep checksum after every
// tick, the same migration counts and the same letters in every inbox. Nothing in the
// barrier depends on the process; this shows it.
func TestLockStepProcessesRepeat(t *testing.T) {
	if testing.Short() {
		t.Skip("starts zone processes")
	}
	first := lockStepProcesses(t)
	require.Equal(t, first, lockStepProcesses(t))
}

const (
	lockStepChildEnv = "STACKWORLD_LOCKSTEP_CHILD"
	processTicks     = 40
)

// processZones are the zones of TestLockStepProcessesRepeat, region by region, with the x
// from which each one's walkers start: near a border, so that walkers cross both ways.
var processZones = []struct {
	name string
	x0   int32
}{{"a", 310}, {"b", 330}, {"c", 650}}

// processResult is what a zone process reports: its deep checksum after each tick
// ("tick:checksum"), its counters, and the letters in the inbox of each receiver it holds.
type processResult struct {
	Rows              []string
	MigrationsIn, Out uint64
	MailIn            uint64
	Inboxes           map[world.EntityID][]string
}

// lockStepProcesses runs the zones' processes to the end and returns their results as
// rows: each zone's checksums, counters and inboxes. It checks that entities crossed and
// that letters reached receivers held by another zone than their sender's.
func lockStepProcesses(t *testing.T) []string {
	t.Helper()
	s := startServer(t, t.TempDir(), -1)
	dir := t.TempDir()
	// A zone process that fails leaves the others waiting at the barrier: they are killed
	// when the run has taken far longer than it does.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmds := make([]*exec.Cmd, len(processZones))
	outs := make([]*bytes.Buffer, len(processZones))
	for r, pz := range processZones {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLockStepZoneProcess$", "-test.count=1")
		outs[r] = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = outs[r], outs[r]
		cmd.Env = append(os.Environ(), lockStepChildEnv+"=1", "ZONE_NAME="+pz.name, "ZONE_REGION="+strconv.Itoa(r),
			"ZONE_NATS="+s.ClientURL(), "ZONE_SAVE="+filepath.Join(dir, pz.name+".cbor"), "ZONE_OUT="+filepath.Join(dir, pz.name+".json"))
		require.NoError(t, cmd.Start())
		cmds[r] = cmd
	}
	for r, cmd := range cmds {
		require.NoError(t, cmd.Wait(), "zone %s:\n%s", processZones[r].name, outs[r])
	}
	var rows []string
	var in, out, crossMail uint64 // over all zones
	for r, pz := range processZones {
		b, err := os.ReadFile(filepath.Join(dir, pz.name+".json"))
		require.NoError(t, err, "zone %s:\n%s", pz.name, outs[r])
		var res processResult
		require.NoError(t, json.Unmarshal(b, &res))
		require.Len(t, res.Rows, processTicks, "zone %s", pz.name)
		in, out = in+res.MigrationsIn, out+res.Out
		require.Positive(t, res.MigrationsIn, "zone %s: entities moved in", pz.name)
		require.Positive(t, res.Out, "zone %s: entities moved out", pz.name)
		rows = append(rows, pz.name+" "+strings.Join(res.Rows, " "),
			fmt.Sprintf("%s: %d in, %d out, %d letters posted", pz.name, res.MigrationsIn, res.Out, res.MailIn))
		for _, id := range slices.Sorted(maps.Keys(res.Inboxes)) {
			rows = append(rows, fmt.Sprintf("%s: entity %d: %v", pz.name, id, res.Inboxes[id]))
			for _, l := range res.Inboxes[id] {
				if !strings.HasPrefix(l, pz.name) {
					crossMail++
				}
			}
		}
	}
	require.Positive(t, in, "entities moved in")
	require.LessOrEqual(t, in, out, "entities moved in (those exported at the last tick are not taken in)")
	require.Greater(t, crossMail, uint64(50), "letters from other zones")
	return rows
}

// TestLockStepZoneProcess is one zone's process in TestLockStepProcessesRepeat (it runs
// only there): it builds zone ZONE_NAME's walkers and its receivers' mailboxes, opens the
// zone in lock step, waits until every region has a zone, runs processTicks ticks on
// world/server as fast as it can with a letter from its lowest-numbered entity to every
// receiver each tick, and writes its processResult to ZONE_OUT.
func TestLockStepZoneProcess(t *testing.T) {
	if os.Getenv(lockStepChildEnv) == "" {
		t.Skip("a zone process of TestLockStepProcessesRepeat")
	}
	ctx := context.Background()
	name := os.Getenv("ZONE_NAME")
	region, err := strconv.Atoi(os.Getenv("ZONE_REGION"))
	require.NoError(t, err)
	receivers := processReceivers(t)
	w := processWorld(t, region)
	for _, id := range ids(w) {
		if slices.Contains(receivers, id) {
			world.NewMailbox[string](w, id, "inbox")
		}
	}
	nc := connect(t, os.Getenv("ZONE_NATS"))
	cfg := cluster.Config{Name: name, Conn: nc, World: w, Regions: len(processZones), Region: region,
		SavePath: os.Getenv("ZONE_SAVE"), Logger: quiet(), AckWait: 250 * time.Millisecond, LockStep: true}
	z := openZone(t, cfg)
	awaitFullMap(t, nc, len(processZones))
	var res processResult
	srv, err := z.NewServer(server.Options{Ticks: processTicks, SaveEvery: 10,
		BeforeTick: func(_ context.Context, w *world.World) error { return sendAll(z, receivers, w.Now()) },
		EndTick: func(_ context.Context, w *world.World) error {
			c, err := w.DeepChecksum()
			res.Rows = append(res.Rows, fmt.Sprintf("%d:%x", w.Now(), c))
			return err
		}})
	require.NoError(t, err)
	require.NoError(t, srv.Run(ctx))
	st := z.Stats()
	res.MigrationsIn, res.Out, res.MailIn = st.MigrationsIn, st.MigrationsOut, st.MailIn
	res.Inboxes = map[world.EntityID][]string{}
	for _, id := range receivers {
		if mb := w.MailboxOf(id, "inbox"); mb != 0 && w.Alive(id) {
			var got []string
			w.EachMessage(mb, func(m any) bool { got = append(got, m.(string)); return true })
			res.Inboxes[id] = got
		}
	}
	b, err := json.Marshal(res)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(os.Getenv("ZONE_OUT"), b, 0o644))
}

// processWorld is region r's world: 30 walkers of zone number r+1 from processZones[r].x0.
func processWorld(t *testing.T, r int) *world.World {
	return walkersFrom(t, 30, uint64(r+1), uint16(r+1), processZones[r].x0)
}

// processReceivers are the receivers of the letters: the first two walkers of each zone
// (every process builds every world to know them).
func processReceivers(t *testing.T) []world.EntityID {
	var rs []world.EntityID
	for r := range processZones {
		w := processWorld(t, r)
		rs = append(rs, ids(w)[:2]...)
		w.Close()
	}
	return rs
}

// awaitFullMap returns once every one of the zone map's n regions has a zone, watching
// the map's key (as stackworld zone --lockstep does before its first tick): a lock-step
// zone waits at the barrier only for the zones on the map.
func awaitFullMap(t *testing.T, nc *nats.Conn, n int) {
	t.Helper()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, cluster.ZonesBucket)
	require.NoError(t, err)
	wt, err := kv.Watch(ctx, "map")
	require.NoError(t, err)
	defer func() { _ = wt.Stop() }()
	for {
		select {
		case e := <-wt.Updates():
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			var m cluster.ZoneMap
			require.NoError(t, json.Unmarshal(e.Value(), &m))
			if len(m.Regions) == n && !slices.Contains(m.Regions, "") {
				return
			}
		case <-ctx.Done():
			t.Fatalf("the zone map never had %d zones", n)
		}
	}
}
