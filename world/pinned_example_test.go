package world_test

import (
	"errors"
	"fmt"

	"github.com/stackworld/stackworld/world"
)

// An entity whose tasklet waits on a channel that is not its own cannot move: the error
// matches ErrPinned and, as a *PinnedError, names the tasklet and the channel.
func ExamplePinnedError() {
	w, _ := world.New(world.Config{Seed: 1, Logger: quiet()})
	defer w.Close()
	market := world.Chan[int](w, "market")
	buyer := w.NewEntity(w.Kind("buyer"), world.Vec{})
	w.Attach(buyer, &waiter{Ch: market}) // waits to receive on market
	w.Tick()
	err := w.CanExport(buyer)
	var pe *world.PinnedError
	fmt.Println(errors.Is(err, world.ErrPinned), errors.As(err, &pe), pe.Entity, pe.Tasklet, pe.Channel == market.ID())
	fmt.Println(err)
	// Output:
	// true true 1 2 true
	// world: export entity 1: entity is pinned to its world: tasklet 2 waits on channel 1 "market", which is not the entity's own
}
