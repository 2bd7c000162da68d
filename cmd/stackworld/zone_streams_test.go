package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1073741824": 1 << 30, "512MiB": 512 << 20, "1GiB": 1 << 30,
		"300MB": 300e6, "64KiB": 64 << 10, "2 GB": 2e9, "17B": 17} {
		var b byteSize
		require.NoError(t, b.Set(in), in)
		require.Equal(t, want, int64(b), in)
	}
	for _, in := range []string{"", "MiB", "-1", "1.5GiB", "1TiB", "99999999999GiB"} {
		var b byteSize
		require.EqualError(t, b.Set(in), `"`+in+`" is not a size: want a number of bytes, optionally with a unit (KiB, MiB, GiB, KB, MB, GB), e.g. 512MiB`)
	}
}

func TestStreamsWithin(t *testing.T) {
	require.Equal(t, cluster.Streams{}, streamsWithin(0, true))
	mib := func(n int64) cluster.StreamLimits { return cluster.StreamLimits{MaxBytes: n << 20} }
	require.Equal(t, cluster.Streams{Migrations: mib(400), Mail: mib(100)}, streamsWithin(500<<20, false))
	require.Equal(t, cluster.Streams{Migrations: mib(400), Mail: mib(100), LockMail: mib(100)}, streamsWithin(600<<20, true))
	s := streamsWithin(1000, true) // the parts add up to the whole
	require.Equal(t, int64(1000), s.Migrations.MaxBytes+s.Mail.MaxBytes+s.LockMail.MaxBytes)
	_, err := parseZoneFlags([]string{"--nats", "x", "--stream-max-bytes", "1MiB"}, &bytes.Buffer{})
	require.EqualError(t, err, "--stream-max-bytes 1048576: want at least 16777216 (16MiB), or 0 for the defaults")
}

// A zone on a NATS server with 64 MiB of JetStream storage fails to open with the default
// streams, naming the flag, and runs with --stream-max-bytes 48MiB.
func TestZoneStreamMaxBytes(t *testing.T) {
	s, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), JetStreamMaxStore: 64 << 20, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second))
	t.Cleanup(s.Shutdown)
	args := []string{"--nats", s.ClientURL(), "--ticks", "3", "--rate", "0", "--scenario", small(t), "--quiet"}
	var out, errb bytes.Buffer
	err = runZone(context.Background(), args, &out, &errb)
	require.ErrorContains(t, err, "stream stackworld_migrations asks for MaxBytes 1073741824 (1 GiB) of JetStream storage and NATS refused it: "+
		"lower Config.Streams.Migrations.MaxBytes (stackworld zone --stream-max-bytes)")
	err = runZone(context.Background(), append(args, "--stream-max-bytes", "48MiB"), &out, &errb)
	require.NoError(t, err, errb.String())
	require.True(t, strings.HasPrefix(out.String(), "zone z0: tick 3, "), out.String())
}
