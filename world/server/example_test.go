package server_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// A game on the server: three sheep wander; players' connections submit teleport commands
// from their own goroutines; the loop delivers them before their tick, in (tick, client,
// seq) order (moving them just before tick 50 runs), and reports every 50 ticks.
func Example() {
	w, _ := world.New(world.Config{Seed: 1, Width: 256, Height: 256, Logger: quiet()})
	defer w.Close()
	sheep := w.Kind("sheep")
	for i := range 3 {
		w.SpawnEntity(sheep, world.Vec{X: int32(10 + 40*i), Y: 20}, actors.Wander{Speed: 2}.New)
	}
	// Deliver runs on the loop goroutine between ticks: payload "x y" moves the client's entity.
	deliver := func(w *world.World, inputs []server.Input) error {
		for _, in := range inputs {
			var p world.Vec
			if _, err := fmt.Sscan(string(in.Payload), &p.X, &p.Y); err == nil {
				w.SetPos(world.EntityID(in.Client), p)
			}
		}
		return nil
	}
	report := func(w *world.World) {
		if w.Now()%50 == 0 {
			fmt.Printf("tick %d: %v %v %v\n", w.Now(), w.Pos(1), w.Pos(2), w.Pos(3))
		}
	}
	s, err := server.New(w, server.Options{Ticks: 100, Deliver: deliver, AfterTick: report})
	if err != nil {
		fmt.Println(err)
		return
	}
	var wg sync.WaitGroup
	for client := uint64(1); client <= 3; client++ {
		wg.Go(func() { // a connection
			_ = s.Submit(server.Input{Client: client, Seq: 1, Tick: 50, Payload: []byte(fmt.Sprint(client*60, " 200"))})
		})
	}
	wg.Wait()
	fmt.Println(s.Submit(server.Input{Client: 2, Seq: 1, Payload: []byte("0 0")})) // sent twice
	if err := s.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	in := s.Stats().Inputs
	fmt.Printf("inputs: %d delivered, %d duplicate\n", in.Delivered, in.Duplicates)
	// Output:
	// server: duplicate input: this client already sent this sequence number
	// tick 50: {62 201} {120 198} {181 201}
	// tick 100: {115 246} {112 218} {231 224}
	// inputs: 3 delivered, 1 duplicate
}

// A run recorded in an input log and replayed from its starting snapshot reaches the same
// world, tick for tick.
func ExampleReplay() {
	newWorld := func() *world.World {
		w, _ := world.New(world.Config{Seed: 3, Width: 128, Height: 128, Logger: quiet()})
		w.SpawnEntity(w.Kind("sheep"), world.Vec{X: 10, Y: 10}, actors.Wander{Speed: 2}.New)
		return w
	}
	teleport := func(w *world.World, inputs []server.Input) error {
		for _, in := range inputs {
			var p world.Vec
			fmt.Sscan(string(in.Payload), &p.X, &p.Y)
			w.SetPos(1, p)
		}
		return nil
	}
	w := newWorld()
	defer w.Close()
	start, _ := w.Save(world.DefaultCodec()) // the snapshot the log starts from
	var log bytes.Buffer
	s, _ := server.New(w, server.Options{Ticks: 30, Deliver: teleport, InputLog: server.NewLogWriter(&log, w.Now())})
	_ = s.Submit(server.Input{Client: 1, Seq: 1, Tick: 10, Payload: []byte("100 100")})
	_ = s.Submit(server.Input{Client: 1, Seq: 2, Tick: 20, Payload: []byte("5 120")})
	_ = s.Run(context.Background())
	want, _ := w.DeepChecksum()

	twin, _ := world.Load(world.DefaultCodec(), start, world.Config{Logger: quiet()})
	defer twin.Close()
	l, _ := server.ReadLog(&log)
	err := server.Replay(twin, l, teleport, 0, nil)
	got, _ := twin.DeepChecksum()
	fmt.Println(err, twin.Now(), got == want)
	// Output:
	// <nil> 30 true
}
