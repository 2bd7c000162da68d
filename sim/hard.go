package sim

import "iter"

// HardFunc is the body of a hard tasklet. It blocks with the package's blocking calls
// (Receive, Send, h.Schedule().Wait(), ...), each given h. Returning nil or ErrTaskletExit
// ends the tasklet silently; another error goes to the error handler or the watchdog, as a
// panic does (as a *PanicError).
type HardFunc func(h *Tasklet) error

// coroutine runs a hard tasklet with strict hand-off: exactly one of the loop and the
// tasklet runs at a time, and the order comes from the ring, never from the Go scheduler.
//
// Each side of a switch hands the other what it would otherwise test on resuming: a test
// there of a value loaded after the switch delays the returns that follow it, all of
// them mispredicted (see Await.Wait). So the loop in the main tasklet's Wait resumes a
// hard tasklet h with
//
//	c := h.x.hard
//	c.err = h.takeBomb()
//	if back, _ := c.next(); back {
//		// the main tasklet is current with no error pending: its Wait returns nil
//	}
//
// (written out there: it is over the inlining budget, and a frame between the switch and
// Wait would cost one more mispredicted return), and the tasklet suspends with
// c.suspend(s.mainBack()), which returns c.err.
type coroutine struct {
	next  func() (bool, bool) // resumes the tasklet; true: what the tasklet yields, mainBack
	stop  func()
	yield func(bool) bool
	err   error // the error raised in the tasklet when it resumes: its bomb, taken by the loop
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
	c.next, c.stop = iter.Pull(func(yield func(bool) bool) {
		c.yield = yield
		if err := c.err; err != nil { // killed before it started: its code never runs
			c.err = nil
			s.finish(t, err)
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

// suspend gives control back to the loop until the tasklet is resumed and returns the
// error raised at its resumption. back is what the loop's next() returns: s.mainBack(),
// once the tasklet's operation has made another tasklet current.
func (c *coroutine) suspend(back bool) error {
	if !c.yield(back) {
		panic(unwind{})
	}
	return c.err
}

// mainBack reports whether the main tasklet is current with no error pending: the loop in
// its Wait, given back control, can then return nil at once.
func (s *Scheduler) mainBack() bool {
	return s.current == s.main && s.main.flags&flagBomb == 0
}
