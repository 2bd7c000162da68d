package sim

import "iter"

// HardFunc is the body of a hard tasklet. It blocks with the package's blocking calls
// (Receive, Send, h.Schedule().Wait(), ...), each given h. Returning nil or ErrTaskletExit
// ends the tasklet silently; another error goes to the error handler or the watchdog, as a
// panic does (as a *PanicError).
type HardFunc func(h *Tasklet) error

// coroutine runs a hard tasklet with strict hand-off: exactly one of the loop and the
// tasklet runs at a time, and the order comes from the ring, never from the Go scheduler.
type coroutine struct {
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool
}

type unwind struct{}

// SpawnHard creates a hard tasklet running fn and appends it to the ring.
func (s *Scheduler) SpawnHard(fn HardFunc) *Tasklet {
	t := s.newHard(fn)
	s.makeRunnable(t)
	return t
}

// NewHard creates a hard tasklet running fn, alive but paused (Insert it to start).
func (s *Scheduler) NewHard(fn HardFunc) *Tasklet {
	t := s.newHard(fn)
	s.pause(t)
	return t
}

func (s *Scheduler) newHard(fn HardFunc) *Tasklet {
	t := s.alloc()
	t.kind = Hard
	c := &coroutine{}
	t.ext().hard = c
	s.hardLive++
	c.next, c.stop = iter.Pull(func(yield func(struct{}) bool) {
		c.yield = yield
		if t.flags&flagBomb != 0 { // killed before it started: its code never runs
			s.finish(t, t.takeBomb())
			return
		}
		t.flags |= flagStarted
		err, unwound := runHard(t, fn)
		if unwound {
			return // the scheduler was closed: leave its state alone
		}
		s.finish(t, err)
	})
	return t
}

func runHard(t *Tasklet, fn HardFunc) (err error, unwound bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(unwind); ok {
				unwound = true
				return
			}
			err = &PanicError{Tasklet: t.id, Value: r}
		}
	}()
	return fn(t), false
}

// resume runs the hard tasklet until it blocks, yields or ends.
func (c *coroutine) resume() { c.next() }

// yieldToLoop gives control back to the loop until the tasklet is resumed.
func (c *coroutine) yieldToLoop() {
	if !c.yield(struct{}{}) {
		panic(unwind{})
	}
}
