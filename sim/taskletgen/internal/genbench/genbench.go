// Package genbench measures generated frames beside hand-written ones in the same run:
// the P1 turn (a frame that yields forever), the P2 hand-off (send → receive between two
// soft tasklets) and the snapshot bytes per parked tasklet.
package genbench

import (
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

//go:generate go run github.com/stackworld/stackworld/cmd/stackworld gen

// Counter is what the hand-off passes (by pointer, so that sending allocates nothing).
type Counter struct{ N int }

func init() {
	persist.Register[Counter]("genbench.Counter")
	persist.Register[handSpinner]("genbench.handSpinner", "loop")
	persist.Register[handReceiver]("genbench.handReceiver", "recv", "got")
}

// ---- the plain functions ----

// spin yields forever, counting its turns.
//
//stackworld:tasklet
func spin(h *sim.Tasklet, turns int) {
	for {
		turns++
		h.Schedule().Wait()
	}
}

// send sends c on ch left times (counting in c.N), then pauses itself; the benchmark
// inserts it again with a new left.
//
//stackworld:tasklet
func send(h *sim.Tasklet, ch sim.Chan[*Counter], c *Counter, left int) {
	for {
		if left == 0 {
			h.ScheduleRemove(nil).Wait()
			continue
		}
		left--
		c.N++
		sim.Send(h, ch, c)
	}
}

// receive receives forever, counting what it got and what was not want.
//
//stackworld:tasklet
func receive(h *sim.Tasklet, ch sim.Chan[*Counter], want *Counter, got, bad int) {
	for {
		c, err := sim.Receive(h, ch)
		if err != nil {
			return
		}
		got++
		if c != want || c.N != got {
			bad++
		}
	}
}

// ---- the same, hand-written (as sim/simbench's frames) ----

type handSpinner struct{ Turns int }

func (f *handSpinner) Step(t *sim.T) sim.Op {
	f.Turns++
	return t.Schedule().Then(0)
}

type handSender struct {
	Ch   sim.Chan[*Counter]
	C    *Counter
	Left int
}

func (f *handSender) Step(t *sim.T) sim.Op {
	if f.Left == 0 {
		return t.ScheduleRemove(nil).Then(0)
	}
	f.Left--
	f.C.N++
	return f.Ch.Send(t, f.C).Then(0)
}

type handReceiver struct {
	Ch   sim.Chan[*Counter]
	Want *Counter
	Got  int
	Bad  int
}

const (
	pcRecv sim.PC = iota
	pcGot
)

func (f *handReceiver) Step(t *sim.T) sim.Op {
	if t.At() == pcGot {
		f.Got++
		if c := f.Ch.Got(t); c != f.Want || c.N != f.Got {
			f.Bad++
		}
	}
	return f.Ch.Recv(t).Then(pcGot)
}
