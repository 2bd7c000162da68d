// Command pickle is the persistence demo of the Stackless talk ("Pickling Program State")
// written as plain Go functions (recurs.go) and generated into soft frames (recurs_frame.go,
// by `go generate`): a recursion is saved to a file while it is nine levels deep, and a new
// process resumes it from the file.
//
//	$ pickle                 # prints the enter lines, hi, the leave lines; writes tasklet.cbor
//	$ pickle tasklet.cbor    # a new process prints only the leave lines
//	$ pickle -hard           # the same recurs as a hard tasklet: same lines, no save
//
// In Stackless, demo pickles the recursing tasklet while it is itself running. Here the
// running tasklet cannot be saved, so demo asks the main program to save (a send on a
// channel the main program receives from) and the main program saves the whole scheduler,
// with the recursion nine frames deep, between two steps.
package main

import (
	"fmt"
	"os"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

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
	if len(args) > 0 && args[0] == "-hard" {
		return runHard(codec)
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
	s.Spawn(&DemoFrame{Depth: 9, Save: save})
	// Runs the tasklets until demo asks for the save: recurs is then nine levels deep.
	if _, err := sim.Receive(s.Main(), save); err != nil {
		return err
	}
	if _, err := codec.SaveFile(file, s); err != nil {
		return err
	}
	return s.Run()
}

// runHard runs the same recurs as a hard tasklet (the function as written): the same
// lines, but the tasklet's state is on a goroutine stack, so the save is refused.
func runHard(codec *persist.Codec) error {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	ch := sim.NewChan[string](s)
	s.SpawnHard(func(h *sim.Tasklet) error { recurs(h, ch, 9, 1); return nil })
	v, err := sim.Receive(s.Main(), ch)
	if err != nil {
		return err
	}
	fmt.Println(v)
	if _, _, err := codec.Save(s); err != nil {
		fmt.Println("save refused:", err)
	}
	return s.Run()
}
