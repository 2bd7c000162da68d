package actors

//go:generate go run github.com/stackworld/stackworld/sim/taskletgen/cmd/taskletgen

import (
	"fmt"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// ShopInbox is the component that holds a trader's inbox (a Mailbox[ShopRequest] id), so
// that customers find it from the trader's entity.
var ShopInbox = world.RegisterComponent[sim.ChanID]("actors.ShopInbox")

// PriceQuery asks a trader for the price of an item.
type PriceQuery struct{ Item uint32 }

// Quote is a trader's answer.
type Quote struct {
	Item  uint32
	Price uint32
}

// ShopRequest is what a trader's inbox holds.
type ShopRequest = Request[PriceQuery, Quote]

// openShop gives trader entity id its inbox.
func openShop(w *world.World, id world.EntityID) error {
	if _, ok := ShopInbox.Get(w, id); ok {
		return nil
	}
	mb := world.NewMailbox[ShopRequest](w, id, fmt.Sprintf("shop %d", id))
	ShopInbox.Set(w, id, mb.ID)
	return nil
}

// ShopOf returns trader id's inbox (the zero Mailbox if it has none).
func ShopOf(w *world.World, id world.EntityID) world.Mailbox[ShopRequest] {
	ch, _ := ShopInbox.Get(w, id)
	return world.Mailbox[ShopRequest]{ID: ch}
}

// A FlakyError is what a trader fails with now and then (Trader.FailOneIn), to exercise
// supervision.
type FlakyError struct {
	Trader world.EntityID
	Corr   uint64
}

func (e *FlakyError) Error() string {
	return fmt.Sprintf("actors: trader %d dropped request %d (a planned failure: fail_one_in in the scenario)", e.Trader, e.Corr)
}

// trader is a mailbox actor: it answers the price queries queued in its entity's inbox
// (ShopOf), one at a time, oldest first, then waits for more, and ends when the entity or
// its inbox is gone. With failOneIn > 0 it fails on one request in failOneIn (the request
// is lost; the customer times out), which its supervisor handles. Its frame is Trader.
//
//stackworld:tasklet frame=Trader name=actors.Trader
func trader(h *sim.Tasklet, self world.EntityID, failOneIn uint32) error {
	var served uint64
	for {
		w := world.Of(h)
		inbox := ShopOf(w, self)
		if inbox.IsZero() || !w.Alive(self) {
			return nil
		}
		w.SetState(self, StateTrade)
		for {
			req, ok := inbox.TryTake(w)
			if !ok {
				break
			}
			if failOneIn > 0 && w.Rand().Uint32N(failOneIn) == 0 {
				return &FlakyError{Trader: self, Corr: req.Corr}
			}
			price := 10 + req.Body.Item%7 + w.Rand().Uint32N(5)
			req.Respond(w, Quote{Item: req.Body.Item, Price: price})
			served++
		}
		if err := inbox.Wait(h).Wait(); err != nil { //stackworld:resume take
			return err
		}
	}
}

// New returns a Trader for self with f's settings (FailOneIn: fail on one request in N).
// Served counts the requests answered.
func (f Trader) New(self world.EntityID) sim.Frame {
	g := f // every setting, the ones added later too
	g.Self, g.Served = self, 0
	return &g
}

// Customer wanders and, every AskEvery ticks, asks the nearest trader within Sight for a
// price (request/reply with a timeout of Timeout ticks), counting what it bought and the
// requests that timed out.
type Customer struct {
	Self     world.EntityID
	Trader   world.Kind
	Speed    int32
	Sight    int32
	AskEvery int
	Timeout  int
	Replies  world.Mailbox[Reply[Quote]]
	Bought   uint64
	Spent    uint64
	TimedOut uint64
}

const (
	customerStart sim.PC = 0
	customerWalk  sim.PC = 1
	customerAsked sim.PC = 2
)

// New returns a Customer for self with f's settings.
func (f Customer) New(self world.EntityID) sim.Frame {
	g := f // every setting, the ones added later too
	g.Self, g.Replies, g.Bought, g.Spent, g.TimedOut = self, world.Mailbox[Reply[Quote]]{}, 0, 0, 0
	return &g
}

// Step wanders and shops.
func (f *Customer) Step(t *sim.T) sim.Op {
	w, e := driven(t, f.Self)
	if e == nil {
		return t.Exit() // the entity is gone
	}
	switch t.At() {
	case customerStart:
		f.Replies = world.NewMailbox[Reply[Quote]](w, f.Self, "replies")
		return t.Sleep(1 + int(w.Rand().UintN(uint(max(f.AskEvery, 1))))).Then(customerWalk)
	case customerAsked:
		if a := sim.Child[*Ask[PriceQuery, Quote]](t); a != nil {
			if a.OK {
				f.Bought++
				f.Spent += uint64(a.Reply.Price)
			} else {
				f.TimedOut++
			}
		}
		return t.NextTick().Then(customerWalk) // one request per turn of AskEvery
	case customerWalk:
		e.State = StateWander
		wander(w, e, f.Speed, 0)
		if w.Now()%uint64(max(f.AskEvery, 1)) == uint64(f.Self)%uint64(max(f.AskEvery, 1)) {
			if id, _, ok := w.Nearest(e.Pos, f.Sight, f.Trader, f.Self); ok {
				if shop := ShopOf(w, id); !shop.IsZero() {
					return t.Call(&Ask[PriceQuery, Quote]{To: shop, ReplyTo: f.Replies,
						Body: PriceQuery{Item: w.Rand().Uint32N(100)}, Timeout: f.Timeout}).Then(customerAsked)
				}
			}
		}
		return t.NextTick().Then(customerWalk)
	}
	return t.Raise(sim.ErrBadPC)
}
