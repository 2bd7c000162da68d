// Package wallclock reads the wall clock in every way the checker knows.
package wallclock

import (
	"time"
	tm "time"
)

// Clock is a clock func, set from a wall-clock function value.
var Clock = time.Now // want "wall-clock"

// Wait uses every wall-clock function.
func Wait() {
	start := tm.Now()                   // want "wall-clock"
	_ = time.Since(start)               // want "wall-clock"
	_ = time.Until(start)               // want "wall-clock"
	time.Sleep(time.Millisecond)        // want "wall-clock"
	<-time.After(time.Millisecond)      // want "wall-clock"
	time.AfterFunc(0, func() {}).Stop() // want "wall-clock"
	_ = time.Tick(time.Second)          // want "wall-clock"
	time.NewTimer(0).Stop()             // want "wall-clock"
	time.NewTicker(1).Stop()            // want "wall-clock"
	_ = start.Add(time.Second).Unix()   // methods and durations are pure
}
