// Command pickle is the persistence demo of the Stackless talk ("Pickling Program State")
// with soft frames: a recursion is saved to a file while it is nine levels deep, and a new
// process resumes it from the file.
//
//	$ pickle                 # prints the enter lines, hi, the leave lines; writes tasklet.cbor
//	$ pickle tasklet.cbor    # a new process prints only the leave lines
//
// In Stackless, demo pickles the recursing tasklet while it is itself running. Here the
// running tasklet cannot be saved, so Demo asks the main program to save (a send on a
// channel the main program receives from) and the main program saves the whole scheduler,
// with the recursion nine frames deep, between two steps.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// Recurs is the talk's recurs(depth, level) as a frame.
type Recurs struct {
	Ch           sim.Chan[string]
	Depth, Level int
}

// Recurs's resume points.
const (
	enter sim.PC = iota
	descend
	leave
)

func (f *Recurs) Step(t *sim.T) sim.Op {
	switch t.At() {
	case enter:
		fmt.Printf("enter level %s%d\n", strings.Repeat("  ", f.Level), f.Level)
		if f.Level >= f.Depth {
			return f.Ch.Send(t, "hi").Then(descend)
		}
		fallthrough
	case descend:
		if f.Level < f.Depth {
			return t.Call(&Recurs{Ch: f.Ch, Depth: f.Depth, Level: f.Level + 1}).Then(leave)
		}
		fallthrough
	case leave:
		fmt.Printf("leave level %s%d\n", strings.Repeat("  ", f.Level), f.Level)
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// Demo is the talk's demo(depth): it spawns recurs(depth), receives 'hi', prints it and
// has the recursing tasklet saved.
type Demo struct {
	Ch     sim.Chan[string]
	Save   sim.Chan[sim.ID] // the main program saves when it receives a tasklet id here
	Depth  int
	Recurs sim.ID
}

// Demo's resume points.
const (
	spawn sim.PC = iota
	received
	saved
)

func (f *Demo) Step(t *sim.T) sim.Op {
	switch t.At() {
	case spawn:
		f.Recurs = t.Scheduler().Spawn(&Recurs{Ch: f.Ch, Depth: f.Depth, Level: 1}).ID()
		return f.Ch.Recv(t).Then(received)
	case received:
		fmt.Println(f.Ch.Got(t))
		return f.Save.Send(t, f.Recurs).Then(saved)
	case saved:
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

func init() {
	persist.Register[Recurs]("pickle.Recurs", "enter", "descend", "leave")
	persist.Register[Demo]("pickle.Demo", "spawn", "received", "saved")
}

// file is where the first run saves.
const file = "tasklet.cbor"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pickle:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	codec, err := persist.DefaultOptions().Codec()
	if err != nil {
		return err
	}
	if len(args) > 0 {
		// t = pickle.load(file(sys.argv[1])); t.insert(); stackless.run()
		s, _, err := codec.LoadFile(args[0], sim.RestoreOptions{Paused: true})
		if err != nil {
			return err
		}
		var paused []*sim.Tasklet
		s.Each(func(t *sim.Tasklet) bool {
			if t.State() == sim.StatePaused {
				paused = append(paused, t)
			}
			return true
		})
		for _, t := range paused {
			if err := t.Insert(); err != nil {
				return err
			}
		}
		return s.Run()
	}
	// t = stackless.tasklet(demo)(9); stackless.run()
	s := sim.NewScheduler(sim.Options{})
	save := sim.NewChan[sim.ID](s)
	s.Spawn(&Demo{Ch: sim.NewChan[string](s), Save: save, Depth: 9})
	// Runs the tasklets until Demo asks for the save: recurs is then nine levels deep.
	if _, err := sim.Receive(s.Main(), save); err != nil {
		return err
	}
	if _, err := codec.SaveFile(file, s); err != nil {
		return err
	}
	return s.Run()
}
