package cluster_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stretchr/testify/require"
)

// startNATSCluster starts three embedded servers routed to each other on loopback and
// waits until JetStream has a meta leader.
func startNATSCluster(t *testing.T) []*server.Server {
	t.Helper()
	// A JetStream cluster needs its routes when it starts: pick the route ports first.
	ports := make([]int, 3)
	var routes []string
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ports[i] = l.Addr().(*net.TCPAddr).Port
		require.NoError(t, l.Close())
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[i]))
	}
	ss := make([]*server.Server, 3)
	errs := make(chan error, 3)
	for i := range ss {
		go func() { // each waits for the others to be ready
			s, err := cluster.StartServer(cluster.ServerOptions{
				Name: fmt.Sprintf("n%d", i), StoreDir: t.TempDir(),
				Cluster: &server.ClusterOpts{Name: "stackworld", Host: "127.0.0.1", Port: ports[i]},
				Routes:  routes,
			})
			ss[i] = s
			errs <- err
		}()
	}
	for range ss {
		require.NoError(t, <-errs)
	}
	for _, s := range ss {
		t.Cleanup(s.Shutdown)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ready := 0
		for _, s := range ss {
			if s.NumRoutes() >= 2 && s.JetStreamIsCurrent() {
				ready++
			}
		}
		leader := false
		for _, s := range ss {
			leader = leader || s.JetStreamIsLeader()
		}
		if ready == len(ss) && leader {
			return ss
		}
		time.Sleep(10 * time.Millisecond) // polling the servers' state; nothing to wait on
	}
	t.Fatal("the NATS cluster did not form")
	return nil
}

// Four zones, each connected to one of three clustered servers, move walkers between
// their regions: none lost, none duplicated.
func TestFourZonesOnThreeServers(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-server cluster takes seconds to form")
	}
	ctx := context.Background()
	ss := startNATSCluster(t)
	dir := t.TempDir()
	w0 := walkers(t, 40, 5)
	all := ids(w0)
	var zs []*zone
	for i := range 4 {
		w := w0
		if i > 0 {
			var err error
			w, err = world.New(world.Config{Seed: uint64(i), Zone: uint16(i + 1), Logger: quiet()})
			require.NoError(t, err)
		}
		name := fmt.Sprintf("z%d", i)
		var z *cluster.Zone
		require.Eventually(t, func() bool { // the cluster may still be electing stream leaders
			var err error
			z, err = cluster.Open(ctx, cluster.Config{Name: name, Conn: connect(t, ss[i%3].ClientURL()), World: w, Regions: 4, Region: i,
				SavePath: filepath.Join(dir, name+".cbor"), Logger: quiet(), AckWait: 500 * time.Millisecond})
			return err == nil
		}, 30*time.Second, 50*time.Millisecond)
		t.Cleanup(z.Close)
		zs = append(zs, &zone{Zone: z})
	}
	for range 60 {
		for _, z := range zs {
			require.NoError(t, z.Step(ctx))
		}
	}
	settle(t, zs)
	count := census(t, connect(t, ss[0].ClientURL()), zs, all)
	require.Greater(t, count["z2"]+count["z3"], 0, "entities reached the zones on other servers: %v", count)
	t.Logf("entities per zone: %v", count)
}
