package debugapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/debugapi"
	"github.com/stackworld/stackworld/world/server"
)

// A server's debug endpoint and a client reading it, as `stackworld run --debug ADDR` and
// `viewer --attach ADDR` do.
func ExampleNewHandler() {
	w, _ := world.New(world.Config{Seed: 1, Width: 64, Height: 64})
	defer w.Close()
	sheep := w.Kind("sheep")
	w.NewEntity(sheep, world.Vec{X: 10, Y: 20})
	srv, _ := server.New(w, server.Options{Paused: true})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Run(ctx) }()
	defer func() { stop(); <-done }()

	hs := httptest.NewServer(debugapi.NewHandler(srv, debugapi.Options{}))
	defer hs.Close()
	c, _ := debugapi.NewClient(hs.URL)
	f, err := c.Frame(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("tick", f.Tick, "kinds", f.Kinds, "entities", f.Entities, "paused", f.Stopped)
	e, _ := c.Entity(ctx, 1)
	fmt.Println(e.Lines[0])
	fmt.Println(c.Control(ctx, "step", 1))
	// Output:
	// tick 0 kinds [sheep] entities [1 0 10 20 0] paused true
	// entity 1  sheep  at (10, 20)  vel (0, 0)
	// debugapi: POST control?op=step&n=1: 403 Forbidden: debugapi: control is off: start the server with --debug-control to pause and step it from a viewer
}
