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

// customer wanders and, every askEvery ticks, asks the nearest trader within sight for a
// price (request/reply with a timeout of timeout ticks), counting what it bought and the
// requests that timed out (its frame's Bought, Spent and TimedOut). It ends when its entity
// is gone. Its frame is Customer; the resume points keep the hand-written frame's names
// (walk: the next tick's turn; asked: waiting for the trader).
//
//stackworld:tasklet frame=Customer name=actors.Customer
func customer(h *sim.Tasklet, self world.EntityID, trader world.Kind, speed, sight int32, askEvery, timeout int) error {
	var replies world.Mailbox[Reply[Quote]]
	var bought, spent, timedOut uint64
	w := world.Of(h)
	if w.Entity(self) == nil {
		return nil // the entity is gone
	}
	replies = world.NewMailbox[Reply[Quote]](w, self, "replies")
	if err := h.Sleep(1 + int(w.Rand().UintN(uint(max(askEvery, 1))))).Wait(); err != nil {
		return err
	}
	for {
		w := world.Of(h)
		e := w.Entity(self)
		if e == nil {
			return nil
		}
		e.State = StateWander
		wander(w, e, speed, 0)
		if shop, ok := shopToAsk(w, e, self, trader, sight, askEvery); ok {
			quote, ok, err := ask(h, shop, replies, PriceQuery{Item: w.Rand().Uint32N(100)}, timeout) //stackworld:resume asked
			if err != nil {
				return err
			}
			if world.Of(h).Entity(self) == nil {
				return nil
			}
			if ok {
				bought++
				spent += uint64(quote.Price)
			} else {
				timedOut++
			}
		}
		if err := h.NextTick().Wait(); err != nil { //stackworld:resume walk
			return err
		}
	}
}

// shopToAsk returns the inbox of the nearest trader (of kind trader, within sight of e)
// when it is self's turn to ask (one tick in askEvery).
func shopToAsk(w *world.World, e *world.Entity, self world.EntityID, trader world.Kind, sight int32, askEvery int) (world.Mailbox[ShopRequest], bool) {
	every := uint64(max(askEvery, 1))
	if w.Now()%every != uint64(self)%every {
		return world.Mailbox[ShopRequest]{}, false
	}
	id, _, ok := w.Nearest(e.Pos, sight, trader, self)
	if !ok {
		return world.Mailbox[ShopRequest]{}, false
	}
	shop := ShopOf(w, id)
	return shop, !shop.IsZero()
}

// New returns a Customer for self with f's settings.
func (f Customer) New(self world.EntityID) sim.Frame {
	g := f // every setting, the ones added later too
	g.Self, g.Replies, g.Bought, g.Spent, g.TimedOut = self, world.Mailbox[Reply[Quote]]{}, 0, 0, 0
	return &g
}
