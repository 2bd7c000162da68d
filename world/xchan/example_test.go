package xchan_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/xchan"
)

// Master sends commands on a cross-zone channel (spec case 20's master_func).
type Master struct {
	Cmd sim.Chan[string]
	I   int
}

func (f *Master) Step(t *sim.T) sim.Op {
	cmds := []string{"ECHO 1", "ECHO 2", "ECHO 3", "QUIT"}
	if t.At() == 1 {
		f.I++
	}
	if f.I == len(cmds) {
		return t.Return()
	}
	return f.Cmd.Send(t, cmds[f.I]).Then(1)
}

// Slave prints what it receives until QUIT (spec case 20's slave_func).
type Slave struct{ Cmd sim.Chan[string] }

func (f *Slave) Step(t *sim.T) sim.Op {
	if t.At() == 0 {
		fmt.Println("SLAVE STARTING")
		return f.Cmd.Recv(t).Then(1)
	}
	cmd := f.Cmd.Got(t)
	fmt.Println("SLAVE:", cmd)
	if cmd == "QUIT" {
		fmt.Println("SLAVE ENDING")
		return t.Return()
	}
	return f.Cmd.Recv(t).Then(1)
}

// Pinger sends "ping <i>" on a two-way channel and waits for the reply on the same
// channel, Rounds times.
type Pinger struct {
	Ch        sim.Chan[string]
	Rounds, I int
}

func (f *Pinger) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		if f.I == f.Rounds {
			return t.Return()
		}
		return f.Ch.Send(t, fmt.Sprint("ping ", f.I)).Then(1)
	case 1:
		return f.Ch.Recv(t).Then(2)
	}
	fmt.Printf("tick %d, a got %q\n", world.Of(t).Now(), f.Ch.Got(t))
	f.I++
	return t.Goto(0)
}

// Ponger answers each value it receives on a two-way channel on the same channel.
type Ponger struct{ Ch sim.Chan[string] }

func (f *Ponger) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return f.Ch.Recv(t).Then(1)
	case 1:
		fmt.Printf("tick %d, b got %q\n", world.Of(t).Now(), f.Ch.Got(t))
		return f.Ch.Send(t, "pong").Then(0)
	}
	return t.Raise(sim.ErrBadPC)
}

// A two-way channel: zone a's Pinger and zone b's Ponger send and receive on the one
// channel "ping", declared with Both on both sides. A receiver that waits before the
// peer's sender blocks has its claim there already: "pong" takes 2 ticks.
func ExampleBoth() {
	ns, _ := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	go ns.Start()
	ns.ReadyForConnections(10 * time.Second)
	defer ns.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var worlds []*world.World
	var links []*xchan.Link
	for _, z := range [][2]string{{"a", "b"}, {"b", "a"}} {
		nc, _ := nats.Connect(ns.ClientURL())
		w, _ := world.New(world.Config{UnsavedFrames: true})
		l, err := xchan.Open(w, xchan.Config{Conn: nc, Local: z[0], Peer: z[1], LockStep: true})
		if err != nil {
			panic(err)
		}
		worlds, links = append(worlds, w), append(links, l)
	}
	ca, _ := xchan.Both[string](links[0], "ping")
	cb, _ := xchan.Both[string](links[1], "ping")
	p := worlds[0].Spawn(&Pinger{Ch: ca, Rounds: 2})
	worlds[1].Spawn(&Ponger{Ch: cb})

	for p.Alive() {
		for i, w := range worlds {
			if err := w.Tick(); err != nil {
				panic(err)
			}
			if err := links[i].Boundary(ctx); err != nil {
				panic(err)
			}
		}
	}
	// Output:
	// tick 4, b got "ping 0"
	// tick 6, a got "pong"
	// tick 8, b got "ping 1"
	// tick 10, a got "pong"
}

// Spec case 20 across two worlds: the master runs in zone a, the slave in zone b, each
// world with its own NATS connection (here to one embedded server), stepped in lock step.
func Example() {
	ns, _ := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	go ns.Start()
	ns.ReadyForConnections(10 * time.Second)
	defer ns.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	zone := func(local, peer string) (*world.World, *xchan.Link) {
		nc, _ := nats.Connect(ns.ClientURL())
		w, _ := world.New(world.Config{UnsavedFrames: true})
		l, err := xchan.Open(w, xchan.Config{Conn: nc, Local: local, Peer: peer, LockStep: true})
		if err != nil {
			panic(err)
		}
		return w, l
	}
	wa, la := zone("a", "b")
	wb, lb := zone("b", "a")
	send, _ := xchan.Out[string](la, "cmd")
	recv, _ := xchan.In[string](lb, "cmd")
	m := wa.Spawn(&Master{Cmd: send})
	s := wb.Spawn(&Slave{Cmd: recv})

	for m.Alive() || s.Alive() {
		for _, z := range []struct {
			w *world.World
			l *xchan.Link
		}{{wa, la}, {wb, lb}} {
			if err := z.w.Tick(); err != nil {
				panic(err)
			}
			if err := z.l.Boundary(ctx); err != nil {
				panic(err)
			}
		}
	}
	fmt.Println("main tasklets differ per world; runcount here:", wb.Scheduler().RunCount())
	fmt.Printf("ticks: %d; messages a→b: %d (%d values)\n", wb.Now(), la.Stats().Messages, la.Stats().Offered)
	// Output:
	// SLAVE STARTING
	// SLAVE: ECHO 1
	// SLAVE: ECHO 2
	// SLAVE: ECHO 3
	// SLAVE: QUIT
	// SLAVE ENDING
	// main tasklets differ per world; runcount here: 1
	// ticks: 13; messages a→b: 14 (4 values)
}
