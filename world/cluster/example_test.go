package cluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
)

// A zone on an embedded NATS server. It needs a live server, so it has no Output: it only
// compiles in the test run.
func Example() {
	ctx := context.Background()
	s, err := cluster.StartServer(cluster.ServerOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Shutdown()
	defer os.RemoveAll(s.StoreDir())
	nc, err := cluster.Connect(cluster.ConnectOptions{URL: s.ClientURL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	w, _ := world.New(world.Config{Seed: 1, Zone: 1})
	z, err := cluster.Open(ctx, cluster.Config{Name: "z0", Conn: nc, World: w, Regions: 2, Region: 0,
		SavePath: filepath.Join(os.TempDir(), "z0.cbor")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer z.Close()
	for range 20 {
		if err := z.Step(ctx); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println(z.Map().Regions, z.World().Now())
}
