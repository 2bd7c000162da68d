package sim_test

import (
	"fmt"

	"github.com/stackworld/stackworld/sim"
)

// countdown is a soft tasklet's frame: it prints, then yields to the others, N times.
// Everything that survives a suspension is a field; the resume point is explicit.
type countdown struct {
	Name string
	N    int
}

func (f *countdown) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		if f.N == 0 {
			fmt.Println(f.Name, "done")
			return t.Return()
		}
		fmt.Println(f.Name, f.N)
		f.N--
		return t.Schedule().Then(0) // resume at 0 after the others had their turn
	}
	return t.Raise(sim.ErrBadPC)
}

// Run makes the main tasklet the watchdog: the ring runs in order until it is empty. Each
// Schedule moves the caller behind every other runnable tasklet.
func ExampleScheduler_Run() {
	s := sim.NewScheduler(sim.Options{})
	s.Spawn(&countdown{Name: "A", N: 2})
	s.Spawn(&countdown{Name: "B", N: 1})
	fmt.Println("runnable:", s.RunCount()) // main, A and B
	if err := s.Run(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("runnable:", s.RunCount())
	// Output:
	// runnable: 3
	// A 2
	// B 1
	// A 1
	// B done
	// A done
	// runnable: 1
}

// printReceiver receives one string and prints it.
type printReceiver struct{ Ch sim.Chan[string] }

func (f *printReceiver) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return f.Ch.Recv(t).Then(1)
	case 1:
		fmt.Println("  receiver got", f.Ch.Got(t))
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// A channel's preference decides who runs when a send finds a receiver waiting: with -1
// (the default) the receiver runs at once; with 1 the sender continues and the receiver
// only becomes runnable.
func ExampleChannel_preference() {
	for _, pref := range []int{-1, 1} {
		fmt.Println("preference", pref)
		s := sim.NewScheduler(sim.Options{})
		ch := sim.NewChan[string](s)
		ch.In(s).SetPreference(pref)
		s.Spawn(&printReceiver{Ch: ch})
		_ = s.Run() // the receiver blocks: balance -1
		fmt.Println("  balance", ch.In(s).Balance())
		if err := sim.Send(s.Main(), ch, "hello"); err != nil {
			fmt.Println(err)
		}
		fmt.Println("  main: send returned")
		_ = s.Run()
	}
	// Output:
	// preference -1
	//   balance -1
	//   receiver got hello
	//   main: send returned
	// preference 1
	//   balance -1
	//   main: send returned
	//   receiver got hello
}

// A hard tasklet is a plain Go function with blocking calls. It runs as a coroutine with
// strict hand-off, so the order still comes from the ring; it cannot be saved.
func ExampleScheduler_SpawnHard() {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close() // stops the coroutines of hard tasklets still alive
	ch := sim.NewChan[int](s)
	producer := s.SpawnHard(func(h *sim.Tasklet) error {
		for i := 1; i <= 3; i++ {
			if err := sim.Send(h, ch, i*i); err != nil {
				return err
			}
		}
		return sim.SendError(h, ch, sim.ErrStopIteration) // ends the receiver's loop
	})
	fmt.Println("restorable:", producer.Restorable())
	var err error
	for v := range sim.Values(s.Main(), ch, &err) {
		fmt.Println("main got", v)
	}
	fmt.Println("loop ended, err:", err)
	// Output:
	// restorable: false
	// main got 1
	// main got 4
	// main got 9
	// loop ended, err: <nil>
}

// blinker prints at every Every-th tick, Times times.
type blinker struct {
	Name         string
	Every, Times int
}

func (f *blinker) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		fmt.Printf("tick %d: %s\n", t.Scheduler().Now(), f.Name)
		if f.Times--; f.Times == 0 {
			return t.Return()
		}
		return t.Sleep(f.Every).Then(0)
	}
	return t.Raise(sim.ErrBadPC)
}

// Tick advances the clock and runs the tasklets due until the ring is empty. Sleepers due
// at the same tick wake in the order they went to sleep.
func ExampleScheduler_Tick() {
	s := sim.NewScheduler(sim.Options{})
	s.Spawn(&blinker{Name: "fast", Every: 1, Times: 3})
	s.Spawn(&blinker{Name: "slow", Every: 2, Times: 2})
	for range 4 {
		if err := s.Tick(); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println("alive:", s.Counts().Total()) // main only
	// Output:
	// tick 1: fast
	// tick 1: slow
	// tick 2: fast
	// tick 3: slow
	// tick 3: fast
	// alive: 1
}

// gossip yields forever, printing which tick it runs in: a tasklet that never sleeps.
type gossip struct{ Name string }

func (f *gossip) Step(t *sim.T) sim.Op {
	fmt.Printf("tick %d: %s\n", t.Scheduler().Now(), f.Name)
	return t.Schedule().Then(0)
}

// The tick budget bounds the steps each tasklet runs in one tick, so a tick ends even when
// tasklets never sleep: each is pre-empted to the next tick once its budget is used up.
func ExampleOptions_tickBudget() {
	s := sim.NewScheduler(sim.Options{TickBudget: 2})
	s.Spawn(&gossip{Name: "a"})
	s.Spawn(&gossip{Name: "b"})
	for range 2 {
		if err := s.Tick(); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println("pre-empted:", s.Stats().Preempted)
	// Output:
	// tick 1: a
	// tick 1: b
	// tick 1: a
	// tick 1: b
	// tick 2: a
	// tick 2: b
	// tick 2: a
	// tick 2: b
	// pre-empted: 4
}

// ExampleParseState reads a state name, as a tool's flag would, and selects tasklets by
// state with a StateFilter.
func ExampleParseState() {
	st, err := sim.ParseState("sleeping")
	fmt.Println(st, err)
	_, err = sim.ParseState("asleep")
	fmt.Println(err)
	waiting := sim.States(sim.StateBlocked, sim.StateSleeping)
	fmt.Println(waiting.Has(st), waiting.Has(sim.StateRunnable), sim.AllStates.Has(sim.StateDead))
	// Output:
	// sleeping <nil>
	// sim: unknown tasklet state "asleep" (want one of [new paused runnable blocked sleeping watching dead])
	// true false true
}

// ExampleTasklet_ScheduleValue: a hard tasklet yields with a value that another reads
// meanwhile (the generator idiom of Stackless's schedule(retval)).
func ExampleTasklet_ScheduleValue() {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	gen := s.SpawnHard(func(h *sim.Tasklet) error {
		for i := 1; i <= 3; i++ {
			if err := h.ScheduleValue(i * i).Wait(); err != nil {
				return err
			}
		}
		return nil
	})
	for range 3 {
		if err := s.Schedule(); err != nil {
			fmt.Println(err)
		}
		fmt.Println(gen.TempVal())
	}
	// Output:
	// 1
	// 4
	// 9
}

// ExampleScheduler_SpawnHardValue: a hard tasklet returns a value, which the end handler
// reads.
func ExampleScheduler_SpawnHardValue() {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	s.SetEndHandler(func(t *sim.Tasklet) { fmt.Println("tasklet", t.ID(), "returned", t.TempVal()) })
	s.SpawnHardValue(func(h *sim.Tasklet) (any, error) { return 6 * 7, nil })
	if err := s.Run(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// tasklet 2 returned 42
}
