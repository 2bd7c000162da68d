package world_test

import (
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/world"
)

// FuzzImport feeds Import a mutated real migration payload (a diver three frames deep,
// exported at several points of its life, with mail queued): a refused payload must leave
// the target world exactly as it was (same deep checksum), an accepted one must leave a
// scheduler whose invariants hold, whose entities can leave again and which ticks.
func FuzzImport(f *testing.F) {
	for _, at := range []int{0, 3, 7} {
		f.Add(exportAt(f, at))
	}
	c, err := persist.DefaultOptions().Codec()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := newWorld(t, world.Config{Seed: 2, Zone: 2})
		b.NewEntity(b.Kind("tree"), world.Vec{X: 5, Y: 5})
		tick(t, b, 2)
		before, err := b.DeepChecksum()
		if err != nil {
			t.Fatal(err)
		}
		ids, err := b.Import(c, data)
		if err != nil {
			after, err2 := b.DeepChecksum()
			if err2 != nil {
				t.Fatalf("refused (%v), then no deep checksum: %v", err, err2)
			}
			if after != before {
				t.Fatalf("refused (%v) but the world changed: deep checksum %x, was %x", err, after, before)
			}
			return
		}
		if err := b.Scheduler().CheckInvariants(); err != nil {
			t.Fatalf("accepted %v, invariants broken: %v", ids, err)
		}
		tick(t, b, 3)
		for _, id := range ids {
			if !b.Alive(id) {
				continue // it may have finished
			}
			if _, err := b.Export(c, []world.EntityID{id}); err != nil {
				t.Fatalf("accepted entity %d cannot leave: %v", id, err)
			}
		}
	})
}

// exportAt is the payload of a diver exported after n ticks, with one message queued.
func exportAt(tb testing.TB, n int) []byte {
	a, err := world.New(world.Config{Seed: 1, Zone: 1, Logger: quiet(), UnsavedFrames: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer a.Close()
	rock := a.Kind("rock")
	a.NewEntity(rock, world.Vec{X: 1, Y: 1})
	id := a.NewEntity(a.Kind("diver"), world.Vec{X: 10, Y: 20})
	in := world.NewMailbox[string](a, id, "inbox")
	Home.Set(a, id, in.ID)
	if _, err := a.Attach(id, &diver{Self: id, Inbox: in, Depth: 3}); err != nil {
		tb.Fatal(err)
	}
	for range n {
		if err := a.Tick(); err != nil {
			tb.Fatal(err)
		}
	}
	in.Post(a, "hello")
	c, err := persist.DefaultOptions().Codec()
	if err != nil {
		tb.Fatal(err)
	}
	data, err := a.Export(c, []world.EntityID{id})
	if err != nil {
		tb.Fatal(err)
	}
	return data
}
