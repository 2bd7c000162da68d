package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stackworld/stackworld/world/server"
)

// A zone on an embedded NATS server, stepped by hand. It needs a live server, so it has no
// Output: it only compiles in the test run.
func Example() {
	ctx := context.Background()
	z, stop, err := exampleZone(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	for range 20 {
		if err := z.Step(ctx); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println(z.Map().Regions, z.World().Now())
}

// A zone on the runtime: the server ticks it at 20 ticks per second with time dilation,
// autosaves it every 100 ticks (put off while exported entities are on their way to the
// stream) and saves it when the context ends. Other goroutines reach the zone through
// Server.Do. It needs a live server, so it has no Output.
func ExampleZone_NewServer() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	z, stop, err := exampleZone(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	srv, err := z.NewServer(server.Options{Rate: 20, SaveEvery: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	go func() {
		var st cluster.Stats
		_ = srv.Do(ctx, func(*world.World) { st = z.Stats() }) // between two ticks
		fmt.Println(st.MigrationsOut)
		cancel()
	}()
	if err := srv.Run(ctx); err != nil {
		fmt.Println(err)
	}
}

// exampleZone starts an embedded NATS server and opens zone z0 (region 0 of 2) on a new
// world; stop closes it all.
func exampleZone(ctx context.Context) (*cluster.Zone, func(), error) {
	s, err := cluster.StartServer(cluster.ServerOptions{})
	if err != nil {
		return nil, nil, err
	}
	nc, err := cluster.Connect(cluster.ConnectOptions{URL: s.ClientURL()})
	if err != nil {
		s.Shutdown()
		return nil, nil, errors.Join(err, os.RemoveAll(s.StoreDir()))
	}
	w, _ := world.New(world.Config{Seed: 1, Zone: 1})
	z, err := cluster.Open(ctx, cluster.Config{Name: "z0", Conn: nc, World: w, Regions: 2, Region: 0,
		SavePath: filepath.Join(os.TempDir(), "z0.cbor")})
	stop := func() {
		if z != nil {
			z.Close()
		}
		nc.Close()
		s.Shutdown()
		_ = os.RemoveAll(s.StoreDir())
	}
	if err != nil {
		stop()
		return nil, nil, err
	}
	return z, stop, nil
}
