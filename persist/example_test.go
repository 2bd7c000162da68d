package persist_test

import (
	"fmt"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// Countdown counts N down to zero, one tick at a time.
type Countdown struct{ N int }

func (f *Countdown) Step(t *sim.T) sim.Op {
	if f.N == 0 {
		return t.Return()
	}
	fmt.Println("countdown", f.N)
	f.N--
	return t.NextTick().Then(0)
}

func init() { persist.Register[Countdown]("example.Countdown", "tick") }

// ExampleCodec_Save saves a scheduler and shows the start of the document (magic, format,
// the schemas {"": 2}, tick, the type table), its checksum (the last five bytes: a CRC-32C) and its
// size: a change of the format shows here.
func ExampleCodec_Save() {
	s := sim.NewScheduler(sim.Options{})
	s.Spawn(&Countdown{N: 3})
	if err := s.Tick(); err != nil {
		panic(err)
	}
	codec, err := persist.DefaultOptions().Codec()
	if err != nil {
		panic(err)
	}
	data, rep, err := codec.Save(s)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", data[:18])
	fmt.Printf("%q\n", data[18:56])
	fmt.Printf("checksum % x\n", data[len(data)-5:])
	fmt.Println(len(data), "bytes,", rep.Tasklets, "tasklet,", rep.Frames, "frame, types", rep.Types)
	// Output:
	// countdown 3
	// 8b 6a 73 74 61 63 6b 77 6f 72 6c 64 03 a1 60 02 01 81
	// "\x83r*example.Countdowng{N int}\x81dtick\x86\x03\x01\x01"
	// checksum 44 0d af 12 e8
	// 90 bytes, 1 tasklet, 1 frame, types [*example.Countdown]
}

// ExampleCodec_Load loads a snapshot in a fresh scheduler, as another process would, and
// resumes it where it was.
func ExampleCodec_Load() {
	s := sim.NewScheduler(sim.Options{})
	s.Spawn(&Countdown{N: 2})
	if err := s.Tick(); err != nil {
		panic(err)
	}
	codec, _ := persist.DefaultOptions().Codec()
	data, _, _ := codec.Save(s)

	s2, snap, err := codec.Load(data, sim.RestoreOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println("loaded at tick", snap.Tick)
	for range 3 {
		if err := s2.Tick(); err != nil {
			panic(err)
		}
	}
	// Output:
	// countdown 2
	// loaded at tick 1
	// countdown 1
}
