package cluster_test

import (
	"encoding/json"
	"testing"

	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// A zone's report (on stackworld.stats.<zone> and under zone.<zone>) names every field in
// snake_case, its counters too, and reads back as it was written.
func TestReportJSONIsSnakeCase(t *testing.T) {
	r := cluster.Report{Zone: "z0", Tick: 7, UnixMs: 1700000000000, Entities: 3, Stats: cluster.Stats{
		MigrationsOut: 1, MigrationsIn: 2, InFlight: 3, Failures: 4, BytesOut: 5, BytesIn: 6, Aborted: 7, Dropped: 8,
		MailIn: 9, MailForwarded: 10, MailRefused: 11, MailGaps: 12, BarrierWaits: 13, StreamFull: 14, DirectoryRepairs: 15}}
	b, err := json.Marshal(r)
	require.NoError(t, err)
	require.Equal(t, `{"zone":"z0","tick":7,"unix_ms":1700000000000,"entities":3,"stats":{`+
		`"migrations_out":1,"migrations_in":2,"in_flight":3,"failures":4,"bytes_out":5,"bytes_in":6,"aborted":7,"dropped":8,`+
		`"mail_in":9,"mail_forwarded":10,"mail_refused":11,"mail_gaps":12,"barrier_waits":13,"stream_full":14,"directory_repairs":15}}`, string(b))
	var back cluster.Report
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, r, back)
}
