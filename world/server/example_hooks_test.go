package server_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// A tick that must wait for another process (here a peer that reports the ticks it has
// finished on a channel): BeforeTick waits a bounded time and answers ErrTickNotReady, so
// the loop serves Do (and SaveNow, Pause, Stop) meanwhile and Stats say what it waits for.
func ExampleOptions_beforeTick() {
	w, _ := world.New(world.Config{Seed: 1, Logger: quiet()})
	defer w.Close()
	peer := make(chan uint64, 1)
	var peerAt uint64 // read and written on the loop goroutine only
	waitForPeer := func(ctx context.Context, w *world.World) error {
		for peerAt <= w.Now() { // the peer has not finished the tick about to run
			select {
			case peerAt = <-peer:
			case <-ctx.Done():
				return fmt.Errorf("tick %d waits for the peer: %w", w.Now()+1, server.ErrTickNotReady)
			case <-time.After(20 * time.Millisecond):
				return fmt.Errorf("tick %d waits for the peer: %w", w.Now()+1, server.ErrTickNotReady)
			}
		}
		return nil
	}
	s, _ := server.New(w, server.Options{Ticks: 3, BeforeTick: waitForPeer})
	done := make(chan error)
	go func() { done <- s.Run(context.Background()) }()

	for range 2 { // the second Do is served after a BeforeTick has answered
		_ = s.Do(context.Background(), func(w *world.World) { fmt.Println("Do at tick", w.Now()) })
	}
	fmt.Printf("waiting: %q\n", s.Stats().Waiting)
	peer <- 3
	fmt.Println(<-done)
	st := s.Stats()
	fmt.Printf("ticks %d, waits %d, waiting %q\n", st.Ticks, st.TickWaits, st.Waiting)
	// Output:
	// Do at tick 0
	// Do at tick 0
	// waiting: "tick 1 waits for the peer: server: the tick is not ready"
	// <nil>
	// ticks 3, waits 1, waiting ""
}

// Stop ends Run at the next tick boundary (with the final save, given a SavePath), and ends
// the hooks' context at once, so a BeforeTick that waits returns.
func ExampleServer_Stop() {
	w, _ := world.New(world.Config{Seed: 1, Logger: quiet()})
	defer w.Close()
	waiting := make(chan struct{})
	s, _ := server.New(w, server.Options{
		BeforeTick: func(ctx context.Context, w *world.World) error {
			if w.Now() < 2 {
				return nil
			}
			close(waiting)
			<-ctx.Done() // a wait with no end of its own
			return fmt.Errorf("stopping: %w", server.ErrTickNotReady)
		}})
	done := make(chan error)
	go func() { done <- s.Run(context.Background()) }()
	<-waiting
	s.Stop()
	fmt.Println(<-done, w.Now())
	// Output:
	// <nil> 2
}
