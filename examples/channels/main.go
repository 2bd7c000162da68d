// Command channels is the channel demo of the Stackless talk ("Cooperative Multitasking")
// with soft tasklets: three tasklets, one channel, and the order the ring gives them.
//
//	Receiving tasklet started
//	Sending tasklet started
//	send from sending_tasklet
//	Receiving tasklet finished
//	Just another tasklet in the scheduler
//	sending tasklet finished
//
// The sender hands its value to the waiting receiver, which runs at once (the channel
// prefers the receiver); the sender goes behind the tasklets already in the ring, so
// another_tasklet runs before the sender finishes.
package main

import (
	"fmt"
	"os"

	"github.com/stackworld/stackworld/sim"
)

// receivingTasklet is
//
//	def receiving_tasklet():
//	    print "Receiving tasklet started"
//	    print channel.receive()
//	    print "Receiving tasklet finished"
type receivingTasklet struct{ Channel sim.Chan[string] }

func (f *receivingTasklet) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		fmt.Println("Receiving tasklet started")
		return f.Channel.Recv(t).Then(1)
	case 1:
		fmt.Println(f.Channel.Got(t))
		fmt.Println("Receiving tasklet finished")
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// sendingTasklet is
//
//	def sending_tasklet():
//	    print "Sending tasklet started"
//	    channel.send("send from sending_tasklet")
//	    print "sending tasklet finished"
type sendingTasklet struct{ Channel sim.Chan[string] }

func (f *sendingTasklet) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		fmt.Println("Sending tasklet started")
		return f.Channel.Send(t, "send from sending_tasklet").Then(1)
	case 1:
		fmt.Println("sending tasklet finished")
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// anotherTasklet is
//
//	def another_tasklet():
//	    print "Just another tasklet in the scheduler"
type anotherTasklet struct{}

func (f *anotherTasklet) Step(t *sim.T) sim.Op {
	fmt.Println("Just another tasklet in the scheduler")
	return t.Return()
}

func main() {
	s := sim.NewScheduler(sim.Options{})
	channel := sim.NewChan[string](s)
	s.Spawn(&receivingTasklet{Channel: channel})
	s.Spawn(&sendingTasklet{Channel: channel})
	s.Spawn(&anotherTasklet{})
	if err := s.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
