package world_test

import (
	"fmt"
	"slices"

	"github.com/stackworld/stackworld/world"
)

// A watcher with radius 30 sees the two entities within it and a walker that passes by
// (x = 80, 100, 120, 140, 160 after each tick). With Config.InterestCap 1 it sees only the
// nearest: the walker while it is on top of it.
func ExampleWorld_SetInterest() {
	for _, capN := range []int32{0, 1} {
		w, _ := world.New(world.Config{Width: 200, Height: 200, InterestCap: capN, Logger: quiet()})
		k := w.Kind("x")
		me := w.NewEntity(k, world.Vec{X: 100, Y: 100})
		w.NewEntity(k, world.Vec{X: 110, Y: 100})
		w.NewEntity(k, world.Vec{X: 100, Y: 125})
		walker := w.NewEntity(k, world.Vec{X: 60, Y: 100})
		w.SetVel(walker, world.Vec{X: 20})
		w.SetInterest(me, 30, world.Mailbox[world.AoIEvent]{})
		var seen []any
		for range 5 {
			w.Tick()
			seen = append(seen, slices.Clone(w.Visible(me))) // Visible is valid until the next tick
		}
		fmt.Println(seen...)
		w.Close()
	}
	// Output:
	// [2 3 4] [2 3 4] [2 3 4] [2 3] [2 3]
	// [2] [4] [2] [2] [2]
}
