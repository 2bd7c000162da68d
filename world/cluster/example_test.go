package cluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stackworld/stackworld/world/server"
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

// A zone on the runtime: the server ticks it at 20 ticks per second with time dilation,
// autosaves it every 100 ticks (put off while exported entities are on their way to the
// stream) and saves it when the context ends. Other goroutines reach the zone through
// Server.Do. It needs a live server, so it has no Output.
func ExampleZone_NewServer() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
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
