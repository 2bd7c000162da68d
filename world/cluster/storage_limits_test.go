package cluster_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// smallServer starts an embedded server (port -1, logs off) whose JetStream has maxStore
// bytes of file storage, as an external NATS account with little storage has.
func smallServer(t *testing.T, maxStore int64) *natsserver.Server {
	t.Helper()
	s, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), JetStreamMaxStore: maxStore, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second), "embedded NATS server not ready")
	t.Cleanup(s.Shutdown)
	return s
}

// A NATS server with 64 MiB of JetStream storage refuses the default streams (1 GiB of
// payloads): the error names the stream, the storage asked and how to lower it. With
// Config.Streams lowered the zone opens, and the streams carry the limits asked.
func TestStreamsFitSmallStorage(t *testing.T) {
	ctx := context.Background()
	s := smallServer(t, 64<<20)
	cfg := cluster.Config{Name: "a", Conn: connect(t, s.ClientURL()), World: emptyWorld(t), Regions: 1, Region: 0,
		SavePath: filepath.Join(t.TempDir(), "a.cbor"), Logger: quiet()}

	_, err := cluster.Open(ctx, cfg)
	require.EqualError(t, err, "cluster: zone a: stream stackworld_migrations asks for MaxBytes 1073741824 (1 GiB) of JetStream storage "+
		"and NATS refused it: lower Config.Streams.Migrations.MaxBytes (stackworld zone --stream-max-bytes), "+
		"or give the account more JetStream storage: nats: API error: code=500 err_code=10047 description=insufficient storage resources available")

	cfg.Streams = cluster.Streams{Migrations: cluster.StreamLimits{MaxBytes: 32 << 20, PerZone: 500},
		Mail: cluster.StreamLimits{MaxBytes: 8 << 20}}
	z := openZone(t, cfg)
	require.NoError(t, z.Step(ctx))
	js := mustJS(t, cfg.Conn)
	mig, mail := streamInfo(t, js, cluster.MigrationStream).Config, streamInfo(t, js, cluster.MailStream).Config
	require.Equal(t, []int64{32 << 20, 500, 8 << 20, 1_000_000},
		[]int64{mig.MaxBytes, mig.MaxMsgsPerSubject, mail.MaxBytes, mail.MaxMsgsPerSubject})
}

// A negative limit is refused before anything is made.
func TestStreamsRefuseNegativeLimits(t *testing.T) {
	_, err := cluster.Open(context.Background(), cluster.Config{Name: "a", Conn: connect(t, startServer(t, t.TempDir(), -1).ClientURL()),
		World: emptyWorld(t), Regions: 1, Streams: cluster.Streams{Mail: cluster.StreamLimits{PerZone: -1}}})
	require.EqualError(t, err, "cluster: Config.Streams.Mail: MaxBytes 0, PerZone -1: want 0 (the default) or more")
}

// A zone whose stream limits differ from those another zone opened the stream with says so:
// the last to open sets them for all.
func TestStreamsWarnOfOtherLimits(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	var log logBuffer
	a := cluster.Config{Name: "a", Conn: connect(t, s.ClientURL()), World: emptyWorld(t), Regions: 3, Region: 0,
		SavePath: filepath.Join(t.TempDir(), "a.cbor"), Logger: log.logger()}
	openZone(t, a)
	b := a
	b.Name, b.Region, b.World, b.SavePath = "b", 1, emptyWorld(t), filepath.Join(t.TempDir(), "b.cbor")
	openZone(t, b)
	require.Empty(t, log.lines("limits differ"), "the same limits")
	c := b
	c.Name, c.Region, c.World, c.SavePath = "c", 2, emptyWorld(t), filepath.Join(t.TempDir(), "c.cbor")
	c.Streams.Mail = cluster.StreamLimits{MaxBytes: 64 << 20}
	openZone(t, c)
	require.Equal(t, []string{`level=WARN msg="cluster: the stream's limits differ from this zone's; every zone of a cluster must give the same ` +
		`(Config.Streams, stackworld zone --stream-max-bytes): this zone's are applied" zone=c stream=stackworld_mail max_bytes=268435456 ` +
		`now_max_bytes=67108864 per_zone=1000000 now_per_zone=1000000`}, log.lines("limits differ"))
}
