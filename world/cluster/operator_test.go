package cluster_test

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// What an operator does to a running cluster with the nats CLI, sent as the CLI sends it
// (a plain publish through nats.go, a KV put or delete): each bad input is refused with a
// logged reason, counted, and the zones run on.

// operatorPair starts zones a and b on an embedded server, ten walkers in a, both zones
// logging to log, and returns them with an operator's handle on KV bucket bucket and the
// walkers' ids.
func operatorPair(t *testing.T, bucket string) (zs []*zone, kv jetstream.KeyValue, log *logBuffer, all []world.EntityID) {
	wa := walkers(t, 10, 1)
	log = new(logBuffer)
	s, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.Logger = log.logger() })
	js, err := jetstream.New(connect(t, s.ClientURL()))
	require.NoError(t, err)
	kv, err = js.KeyValue(context.Background(), bucket)
	require.NoError(t, err)
	return zs, kv, log, ids(wa)
}

// logBuffer is a slog text log the zones write and the test reads.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the logged lines that contain s, without their time.
func (l *logBuffer) lines(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.Lines(l.b.String()) {
		if strings.Contains(line, s) {
			_, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
			out = append(out, rest)
		}
	}
	return out
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// `nats pub stackworld.mail.a garbage`, a truncated letter, and a well-formed letter whose
// message does not decode: each is refused once, logged with the reason, and counted in
// stackworld_zone_mail_total{kind="refused"}.
func TestOperatorGarbageMail(t *testing.T) {
	ctx := context.Background()
	wa := walkers(t, 10, 1)
	to := ids(wa)[0]
	world.NewMailbox[string](wa, to, "inbox")
	var log logBuffer
	s, zs := zonePair(t, wa, nil, func(c *cluster.Config) { c.Logger = log.logger() })
	js, err := jetstream.New(connect(t, s.ClientURL()))
	require.NoError(t, err)
	forged, err := cbor.Marshal([]any{uint64(7), uint64(1), uint64(to), "inbox", []byte("junk")})
	require.NoError(t, err)
	for _, junk := range [][]byte{[]byte("garbage"), {0x85, 0x07}, forged} {
		_, err := js.Publish(ctx, cluster.MailSubject+"a", junk)
		require.NoError(t, err)
	}
	for range 5 {
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
	}
	settle(t, zs)
	require.Equal(t, uint64(3), zs[0].Stats().MailRefused)
	require.Equal(t, uint64(0), zs[0].Stats().MailIn)
	require.Equal(t, []string{
		`level=ERROR msg="cluster: mail refused" zone=a subject=stackworld.mail.a seq=1 err="not a letter (a CBOR array of from, seq, to, box, value): unexpected EOF"`,
		`level=ERROR msg="cluster: mail refused" zone=a subject=stackworld.mail.a seq=2 err="not a letter (a CBOR array of from, seq, to, box, value): unexpected EOF"`,
	}, log.lines("mail refused")[:2])
	require.Contains(t, log.lines("mail refused")[2], `level=ERROR msg="cluster: mail refused" zone=a from=7 to=`+itoa(uint64(to))+` box=inbox err=`)
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(zs[0].Collector()))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP stackworld_zone_mail_total Letters posted here, forwarded, refused, or put back waiting for their sender's earlier ones (gap, once per letter).
# TYPE stackworld_zone_mail_total counter
stackworld_zone_mail_total{kind="forwarded",zone="a"} 0
stackworld_zone_mail_total{kind="gap",zone="a"} 0
stackworld_zone_mail_total{kind="in",zone="a"} 0
stackworld_zone_mail_total{kind="refused",zone="a"} 3
`), "stackworld_zone_mail_total"))
}

// `nats kv put stackworld_zones map garbage`, a map that gives a zone's region to another
// name, and `nats kv del stackworld_zones map`: each is refused with its reason and the
// map to put back; the zones keep their map and go on moving entities.
func TestOperatorZoneMap(t *testing.T) {
	ctx := context.Background()
	zs, kv, log, all := operatorPair(t, cluster.ZonesBucket)
	before := cluster.ZoneMap{Width: 1024, Regions: []string{"a", "b"}} // b's claim reaches a's watcher before the puts below
	// One bad map at a time: a zone reads the newest revision when it steps, so two puts
	// between its steps would be one refusal.
	refused := func(n int) {
		deadline := time.Now().Add(20 * time.Second)
		for len(log.lines("zone map refused")) < n {
			require.True(t, time.Now().Before(deadline), "%d refusals logged, want %d", len(log.lines("zone map refused")), n)
			for _, z := range zs {
				require.NoError(t, z.Step(ctx))
			}
		}
	}
	garbage, err := kv.PutString(ctx, "map", "garbage")
	require.NoError(t, err)
	refused(2)
	evil, err := kv.PutString(ctx, "map", `{"width":1024,"regions":["a","evil"]}`)
	require.NoError(t, err)
	refused(4)
	require.NoError(t, kv.Delete(ctx, "map"))
	refused(6)
	for range 20 {
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
	}
	settle(t, zs)
	putBack := `put_back="nats kv put stackworld_zones map '{\"width\":1024,\"regions\":[\"a\",\"b\"]}'"`
	var want []string
	for _, zone := range []string{"a", "b"} {
		want = append(want,
			`level=ERROR msg="cluster: zone map refused" zone=`+zone+` revision=`+itoa(garbage)+` err="not a zone map (JSON {\"width\":W,\"regions\":[names]}): invalid character 'g' looking for beginning of value" `+putBack,
			`level=ERROR msg="cluster: zone map refused" zone=`+zone+` revision=`+itoa(evil)+` err="region 1 is zone \"b\"'s, not \"evil\"" `+putBack,
			`level=ERROR msg="cluster: zone map refused" zone=`+zone+` revision=D err="key map of stackworld_zones was deleted" `+putBack)
	}
	// The zones write reports and journal keys into the bucket between the puts, so the
	// delete's revision is whatever came next; the puts' are known.
	got := log.lines("zone map refused")
	for i, l := range got {
		if strings.Contains(l, "was deleted") {
			got[i] = regexp.MustCompile(`revision=\d+`).ReplaceAllString(l, "revision=D")
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	require.Equal(t, want, got)
	for _, z := range zs {
		require.Equal(t, before, *z.Map(), "zone %s", z.Name())
	}
	require.Positive(t, zs[1].Stats().MigrationsIn)
	census(t, zs[0].cfg.Conn, zs, all)
}

// `nats kv del stackworld_dir e.<id>` for every entity and `nats kv put stackworld_dir
// e.<id> garbage` for one: each entry is written again once, logged, either by the
// owner's audit or, for an entity that moves before the audit reaches it, by the zone
// that won its move, instead of staying unowned.
func TestOperatorDeletesDirectoryEntries(t *testing.T) {
	ctx := context.Background()
	zs, kv, log, all := operatorPair(t, cluster.DirectoryBucket)
	for _, id := range all[1:] {
		require.NoError(t, kv.Delete(ctx, "e."+itoa(uint64(id))))
	}
	_, err := kv.PutString(ctx, "e."+itoa(uint64(all[0])), "garbage")
	require.NoError(t, err)
	for range 20 {
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
	}
	settle(t, zs)
	require.Positive(t, zs[1].Stats().MigrationsIn)
	require.Zero(t, zs[0].Stats().Failures+zs[1].Stats().Failures, "failures")
	repairs := zs[0].Stats().DirectoryRepairs + zs[1].Stats().DirectoryRepairs
	require.Len(t, log.lines("repaired"), int(repairs))
	require.Len(t, log.lines("written again"), len(all)-int(repairs), "each entry written again once")
	where := map[world.EntityID]string{}
	n := 0
	for _, z := range zs {
		for _, e := range z.World().Entities() {
			where[e.ID] = z.Name()
			n++
		}
	}
	require.Len(t, where, len(all), "no entity lost")
	require.Equal(t, len(all), n, "no entity duplicated")
	js := mustJS(t, zs[0].cfg.Conn)
	for _, id := range all {
		require.Equal(t, where[id], owner(t, js, id).Zone, "entity %d", id)
	}
}
