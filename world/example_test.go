package world_test

import (
	"fmt"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/world"
)

// Three wandering sheep, a hundred ticks, a save and a load: the copy goes on exactly as the
// original.
func Example() {
	w, _ := world.New(world.Config{Seed: 1, Width: 256, Height: 256, Logger: quiet()})
	defer w.Close()
	sheep := w.Kind("sheep")
	for i := range 3 {
		w.SpawnEntity(sheep, world.Vec{X: int32(10 + 40*i), Y: 20}, actors.Wander{Speed: 2}.New)
	}
	for range 100 {
		w.Tick()
	}
	for _, e := range w.Entities() {
		fmt.Println(e.ID, w.KindName(e.Kind), e.Pos, actors.StateName(e.State))
	}
	codec := world.DefaultCodec()
	data, _ := w.Save(codec)
	twin, _ := world.Load(codec, data, world.Config{Logger: quiet()})
	defer twin.Close()
	w.Tick()
	twin.Tick()
	fmt.Printf("tick %d: %016x %016x\n", w.Now(), w.Checksum(), twin.Checksum())
	// Output:
	// 1 sheep {137 124} wander
	// 2 sheep {51 45} wander
	// 3 sheep {232 55} wander
	// tick 101: 34547b77d5c6d365 34547b77d5c6d365
}

// A mailbox buffers messages for a tasklet; the main program delivers inputs by posting
// between ticks.
func ExampleMailbox() {
	// echo keeps its log in the program (a pointer no snapshot could hold): a world that is
	// never saved may run such frames
	w, _ := world.New(world.Config{Logger: quiet(), UnsavedFrames: true})
	defer w.Close()
	var log []string
	inbox := world.NewMailbox[string](w, 0, "echo")
	w.Spawn(&echo{log: &log, Inbox: inbox})
	inbox.Post(w, "hello")
	w.Tick()
	inbox.Post(w, "again")
	inbox.Post(w, "and again")
	w.Tick()
	fmt.Println(log)
	// Output:
	// [tick 1: hello tick 2: again tick 2: and again]
}

// Two worlds whose entities agree but whose tasklets do not: Checksum cannot tell them
// apart, DeepChecksum can.
func ExampleWorld_DeepChecksum() {
	mk := func(speed int32) *world.World {
		w, _ := world.New(world.Config{Seed: 1, Width: 256, Height: 256, Logger: quiet()})
		w.SpawnEntity(w.Kind("sheep"), world.Vec{X: 10, Y: 20}, actors.Wander{Speed: speed}.New)
		return w
	}
	a, b := mk(2), mk(3) // the speed is a frame field; no tick has run
	defer a.Close()
	defer b.Close()
	da, _ := a.DeepChecksum()
	db, _ := b.DeepChecksum()
	fmt.Println("checksums agree:", a.Checksum() == b.Checksum())
	fmt.Println("deep checksums agree:", da == db)
	// Output:
	// checksums agree: true
	// deep checksums agree: false
}
