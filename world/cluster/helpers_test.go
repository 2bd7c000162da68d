package cluster_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

func jetstreamNew(nc *nats.Conn) (jetstream.JetStream, error) { return jetstream.New(nc) }

// owner reads entity id's directory entry.
func owner(t *testing.T, js jetstream.JetStream, id world.EntityID) cluster.Owner {
	t.Helper()
	kv, err := js.KeyValue(context.Background(), cluster.DirectoryBucket)
	require.NoError(t, err)
	e, err := kv.Get(context.Background(), "e."+itoa(uint64(id)))
	require.NoError(t, err, "entity %d has no directory entry", id)
	var o cluster.Owner
	require.NoError(t, jsonUnmarshal(e.Value(), &o))
	return o
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
