package persist_test

import (
	"fmt"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// Door has two resume points (closed, open) and says so, as frames from stackworld gen do.
type Door struct{ Opened int }

func (d *Door) Step(t *sim.T) sim.Op {
	if t.At() == 0 {
		d.Opened++
		return t.NextTick().Then(1)
	}
	return t.NextTick().Then(0)
}

func (*Door) ResumePoints() int { return 2 }

func init() { persist.Register[Door]("example.Door", "closed") } // "open" forgotten

// A frame that says how many resume points it has is checked against its registered names
// when it is spawned (world.Spawn calls CheckFrame), not when a save first finds it at the
// unnamed one.
func ExampleResumePointCounter() {
	fmt.Println(persist.CheckFrame(&Door{}))
	// Output:
	// persist: frame: type "example.Door" has 2 resume points but 1 named in persist.Register (name each one there, or run stackworld gen again)
}
