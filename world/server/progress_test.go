package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

func TestProgress(t *testing.T) {
	st := world.Stats{Tick: 42, Entities: 7, Dilation: 0.5, Preempted: 3, Failures: 2}
	st.Tasklets.Runnable, st.Tasklets.Blocked, st.Tasklets.Sleeping = 2, 3, 4
	var ts []world.TickTiming
	for _, ms := range []int{4, 1, 100, 3, 2} {
		ts = append(ts, world.TickTiming{Wall: time.Duration(ms) * time.Millisecond})
	}
	p := server.ProgressOf(st, ts)
	require.Equal(t, [2]float64{3, 100}, [2]float64{p.P50, p.P99})
	require.Equal(t, "tick 42  entities 7  tasklets run 1 blk 3 slp 4  ms/tick p50 3.00 p99 100.00  dilation 0.50  preempted 3  failures 2", p.String())
	require.Equal(t, time.Duration(4)*time.Millisecond, ts[0].Wall, "the timings are not sorted in place")

	st.Tasklets.Runnable = 0 // a frame from a debug endpoint may count no main tasklet
	require.Equal(t, "tasklets run 0 blk 3 slp 4", server.ProgressOf(st, nil).Tasklets())
	require.Equal(t, "ms/tick p50 0.00 p99 0.00  dilation 0.50  preempted 3  failures 2", server.ProgressOf(st, nil).Timing())
}

// ExampleProgressOf prints the progress line `stackworld run` shows.
func ExampleProgressOf() {
	w, _ := world.New(world.Config{Seed: 1, Width: 64, Height: 64})
	defer w.Close()
	w.NewEntity(w.Kind("sheep"), world.Vec{X: 1, Y: 2})
	_ = w.Tick()
	p := server.ProgressOf(w.Stats(), nil) // w.Timings(nil) in a real run: wall times vary
	fmt.Println(p)
	// Output:
	// tick 1  entities 1  tasklets run 0 blk 0 slp 0  ms/tick p50 0.00 p99 0.00  dilation 1.00  preempted 0  failures 0
}
