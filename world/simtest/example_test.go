package simtest_test

import (
	"fmt"

	"github.com/stackworld/stackworld/world/simtest"
)

// Run builds seed 42's world and runs it for 50 ticks, reloading a copy at random ticks
// and checking both after every tick. A failure would be a *simtest.Failure with the
// command that repeats it.
func ExampleRun() {
	res, err := simtest.Run(simtest.Options{Seed: 42, Ticks: 50})
	if f, ok := err.(*simtest.Failure); ok {
		fmt.Println(f, "\nreproduce:", f.Repro())
		return
	}
	fmt.Println(res.Seed, res.Ticks, err)
	// Output: 42 50 <nil>
}
