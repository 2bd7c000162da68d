package server

import "time"

// A Clock is the wall time that paces ticks. It never decides what the world does, only when
// the next tick starts (and how long a tick or a save took, for metrics). Tests hand the
// server a clock they control, or run it inside a testing/synctest bubble with the default.
type Clock interface {
	// Now returns monotonic time since any fixed origin.
	Now() time.Duration
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// realClock is the process's monotonic clock.
type realClock struct{ start time.Time }

// SystemClock returns the process's monotonic clock, with its origin now.
func SystemClock() Clock { return realClock{start: time.Now()} }

func (c realClock) Now() time.Duration                     { return time.Since(c.start) }
func (c realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
