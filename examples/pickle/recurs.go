package main

import (
	"fmt"
	"strings"

	"github.com/stackworld/stackworld/sim"
)

//go:generate go run github.com/stackworld/stackworld/cmd/stackworld gen

// recurs is the talk's recurs(depth, level): plain Go that runs as a hard tasklet as it
// is, and, generated into RecursFrame (recurs_frame.go), as a soft one that can be saved
// nine levels deep.
//
//stackworld:tasklet
func recurs(h *sim.Tasklet, ch sim.Chan[string], depth, level int) {
	fmt.Printf("enter level %s%d\n", strings.Repeat("  ", level), level)
	if level >= depth {
		sim.Send(h, ch, "hi")
	}
	if level < depth {
		recurs(h, ch, depth, level+1)
	}
	fmt.Printf("leave level %s%d\n", strings.Repeat("  ", level), level)
}

// demo is the talk's demo(depth): it spawns recurs(depth) as a soft tasklet, receives 'hi',
// prints it and has the recursing tasklet saved (it sends its id to the main program, which
// saves the whole scheduler between two steps: the running tasklet cannot be saved).
//
//stackworld:tasklet
func demo(h *sim.Tasklet, depth int, save sim.Chan[sim.ID]) error {
	ch := sim.NewChan[string](h.Scheduler())
	id := h.Scheduler().Spawn(&RecursFrame{Ch: ch, Depth: depth, Level: 1}).ID()
	v, err := sim.Receive(h, ch)
	if err != nil {
		return err
	}
	fmt.Println(v)
	return sim.Send(h, save, id)
}
