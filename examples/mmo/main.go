// Command mmo is a small Stackworld village: a baker who answers price requests (a mailbox
// actor), shoppers who ask her (request/reply with a timeout), a town bell (a timer), a
// wolf hunting sheep (chase using areas of interest), a patrolling guard, and a blacksmith
// who breaks now and then and is restarted by his supervisor. Halfway through, the whole
// village is saved and loaded back, and the story goes on from the copy.
//
// Everything is deterministic: the output is the same on every run and every machine.
package main

//go:generate go run github.com/stackworld/stackworld/cmd/stackworld gen

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// ---- the baker: a mailbox actor ----

type Order struct {
	Customer string
	Item     string
}

type Price struct {
	Item  string
	Coins int
}

type BakerRequest = actors.Request[Order, Price]

// Baker is the baker's state; actors.Actor feeds her the requests of her inbox.
type Baker struct{ Served int }

func (b *Baker) Handle(w *world.World, t *sim.T, req BakerRequest) sim.Frame {
	b.Served++
	coins := 8 + w.Rand().IntN(5)
	fmt.Printf("tick %2d  baker: %s asks for %s: %d coins\n", w.Now(), req.Body.Customer, req.Body.Item, coins)
	req.Respond(w, Price{Item: req.Body.Item, Coins: coins})
	return nil
}

// ---- shoppers: request/reply with a timeout ----

type Shopper struct {
	Name    string
	Item    string
	Every   int
	Shop    world.Mailbox[BakerRequest]
	Replies world.Mailbox[actors.Reply[Price]]
	Spent   int
}

func (f *Shopper) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	switch t.At() {
	case 0: // wait, then ask
		return t.Sleep(f.Every).Then(1)
	case 1:
		return t.Call(&actors.Ask[Order, Price]{To: f.Shop, ReplyTo: f.Replies,
			Body: Order{Customer: f.Name, Item: f.Item}, Timeout: 3}).Then(2)
	case 2:
		if a := sim.Child[*actors.Ask[Order, Price]](t); a.OK {
			f.Spent += a.Reply.Coins
			fmt.Printf("tick %2d  %s: bought %s, %d coins spent so far\n", w.Now(), f.Name, f.Item, f.Spent)
		} else {
			fmt.Printf("tick %2d  %s: the baker did not answer\n", w.Now(), f.Name)
		}
		return t.Goto(0)
	}
	return t.Raise(sim.ErrBadPC)
}

// ---- the town crier: a mailbox actor fed by a timer ----

type Crier struct{ Rung int }

func (c *Crier) Handle(w *world.World, t *sim.T, msg string) sim.Frame {
	c.Rung++
	fmt.Printf("tick %2d  bell: %s (%d)\n", w.Now(), msg, c.Rung)
	return nil
}

// ---- the blacksmith: fails now and then, supervised ----

// smith hammers once a tick until his hammer breaks at the twelfth blow: his tasklet fails,
// and his supervisor restarts him (a fresh Smith from the template). It is a plain
// function; stackworld gen writes its soft frame, Smith (main_frame.go).
//
//stackworld:tasklet frame=Smith name=mmo.Smith
func smith(h *sim.Tasklet, self world.EntityID) error {
	hammered := 0
	for {
		hammered++
		if hammered == 12 {
			return fmt.Errorf("the blacksmith's hammer broke after %d blows", hammered)
		}
		if err := h.Sleep(1).Wait(); err != nil { //stackworld:resume hammer
			return err
		}
	}
}

func (f Smith) New(self world.EntityID) sim.Frame { return &Smith{Self: self} }

func init() {
	persist.Register[Order]("mmo.Order")
	persist.Register[Price]("mmo.Price")
	persist.Register[BakerRequest]("mmo.BakerRequest")
	persist.Register[actors.Reply[Price]]("mmo.Reply")
	persist.Register[actors.Ask[Order, Price]]("mmo.Ask", "send", "wait")
	persist.Register[actors.Actor[BakerRequest, Baker, *Baker]]("mmo.Baker", "take", "done", "wait")
	persist.Register[actors.Actor[string, Crier, *Crier]]("mmo.Crier", "take", "done", "wait")
	persist.Register[actors.Timer[string]]("mmo.Bell", "start", "fire")
	persist.Register[Shopper]("mmo.Shopper", "wait", "ask", "asked")
}

func main() {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil)) // failures are printed from the world's view below
	w, err := world.New(world.Config{Seed: 42, Width: 200, Height: 200, CellSize: 20, Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	person, sheep, wolf := w.Kind("person"), w.Kind("sheep"), w.Kind("wolf")

	baker := w.NewEntity(person, world.Vec{X: 100, Y: 100})
	shop := world.NewMailbox[BakerRequest](w, baker, "bakery")
	w.Attach(baker, &actors.Actor[BakerRequest, Baker, *Baker]{Inbox: shop})
	for i, name := range []string{"alice", "bob"} {
		id := w.NewEntity(person, world.Vec{X: 90 + int32(i)*20, Y: 110})
		w.Attach(id, &Shopper{Name: name, Item: []string{"bread", "pie"}[i], Every: 6 + 3*i, Shop: shop,
			Replies: world.NewMailbox[actors.Reply[Price]](w, id, name+"'s replies")})
	}

	bell := world.NewMailbox[string](w, 0, "bell")
	w.Spawn(&actors.Actor[string, Crier, *Crier]{Inbox: bell})
	actors.Every(w, 10, 0, bell, "dong")

	for i := range 4 {
		w.SpawnEntity(sheep, world.Vec{X: 40 + int32(i)*12, Y: 50}, (&actors.Wander{Speed: 1}).New)
	}
	w.SpawnEntity(wolf, world.Vec{X: 20, Y: 20}, (&actors.Chase{Prey: sheep, Speed: 3, Sight: 60, Reach: 3, Eat: true}).New)
	guard := w.NewEntity(person, world.Vec{X: 150, Y: 150})
	w.Attach(guard, &actors.Patrol{Self: guard, Speed: 4, Points: []world.Vec{{X: 150, Y: 150}, {X: 180, Y: 150}, {X: 180, Y: 180}}})

	smith := w.NewEntity(person, world.Vec{X: 120, Y: 90})
	w.Spawn(actors.NewSupervisor(w, "smithy", actors.Policy{MaxRestarts: 3, WindowTicks: 50},
		actors.Child{Name: "blacksmith", Entity: smith, Start: Smith{}}))

	codec := world.DefaultCodec()
	for w.Now() < 60 {
		if err := w.Tick(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		report(w)
		if w.Now() == 30 {
			data, err := w.Save(codec)
			if err == nil {
				w.Close()
				w, err = world.Load(codec, data, world.Config{Logger: quiet})
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			fmt.Printf("tick %2d  -- the village was saved and loaded back; the story goes on from the copy --\n", w.Now())
		}
	}
	st := w.Stats()
	fmt.Printf("tick %2d  %d entities, %d tasklets, %d failures, checksum %016x\n",
		st.Tick, st.Entities, st.Tasklets.Total()-1, st.Failures, w.Checksum())
}

// report prints what the main program sees in the world's events: sheep eaten, tasklets
// that failed (the supervisor restarts the blacksmith; when he breaks too often, the
// supervisor gives up and fails itself, and the world reports that too).
func report(w *world.World) {
	for _, ev := range w.Events() {
		switch ev.Type {
		case world.EventDespawn:
			fmt.Printf("tick %2d  the wolf ate sheep %d\n", w.Now(), ev.Entity)
		case world.EventFailure:
			for _, f := range w.Failures() {
				if f.Tasklet == ev.Tasklet {
					fmt.Printf("tick %2d  tasklet %d failed: %s\n", w.Now(), f.Tasklet, f.Err)
				}
			}
		}
	}
}
