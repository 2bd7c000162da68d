package actors

import (
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// A Handler handles the messages of an Actor. Handle runs inside the actor's step; it may
// change the handler's fields (the actor's state, saved with it) and make non-blocking calls.
// To block while handling (a request to another actor, a sleep), it returns a frame: the
// actor runs it to completion before taking the next message. nil: next message.
type Handler[M any] interface {
	Handle(w *world.World, t *sim.T, msg M) sim.Frame
}

// An Idler is a Handler that wants to know when no message came for Actor.IdleTicks ticks.
type Idler interface {
	Idle(w *world.World, t *sim.T) sim.Frame
}

// Actor is a mailbox actor: it takes the messages of Inbox one at a time, oldest first, and
// hands each to its state H (through *H, which implements Handler[M]). The state is a plain
// struct stored in the frame, so the actor, its state and its queued mail are saved with
// the world. Write the type once:
//
//	type Shop struct{ Stock int }
//	func (s *Shop) Handle(w *world.World, t *sim.T, m Order) sim.Frame { s.Stock--; return nil }
//
//	w.Spawn(&actors.Actor[Order, Shop, *Shop]{Inbox: inbox, State: Shop{Stock: 10}})
//
// and register that instantiation with persist.
type Actor[M any, H any, P interface {
	*H
	Handler[M]
}] struct {
	Inbox     world.Mailbox[M]
	State     H
	IdleTicks int    // >0: call State's Idle after this many ticks without mail
	Handled   uint64 // messages handled
}

// Actor's resume points.
const (
	actorTake sim.PC = 0 // take the next message or wait
	actorDone sim.PC = 1 // a handler's frame returned
	actorWait sim.PC = 2 // woken by mail or the idle timeout
)

// Step takes and handles messages until the inbox is empty, then waits.
func (f *Actor[M, H, P]) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	switch t.At() {
	case actorWait:
		if f.Inbox.TimedOut(t) && f.Inbox.Len(w) == 0 {
			if idler, is := any(P(&f.State)).(Idler); is {
				if fr := idler.Idle(w, t); fr != nil {
					return t.Call(fr).Then(actorDone)
				}
			}
		}
		fallthrough
	case actorTake, actorDone:
		msg, ok := f.Inbox.TryTake(w)
		if !ok {
			if f.IdleTicks > 0 {
				return f.Inbox.WaitFor(t, f.IdleTicks).Then(actorWait)
			}
			return f.Inbox.Wait(t).Then(actorWait)
		}
		f.Handled++
		if fr := P(&f.State).Handle(w, t, msg); fr != nil {
			return t.Call(fr).Then(actorDone)
		}
		return t.Goto(actorTake)
	}
	return t.Raise(sim.ErrBadPC)
}

// Receive is a child frame that returns the next message of From: at once if one is
// queued, else after waiting at most Timeout ticks (0: forever). Its results are Msg and OK
// (false: timed out).
//
//	return t.Call(&actors.Receive[Order]{From: f.Inbox, Timeout: 10}).Then(got)
//	...
//	r := sim.Child[*actors.Receive[Order]](t)
type Receive[M any] struct {
	From     world.Mailbox[M]
	Timeout  int
	Deadline uint64
	Msg      M
	OK       bool
}

const (
	receiveStart sim.PC = 0
	receiveWait  sim.PC = 1
)

// Step takes a message or waits for one.
func (f *Receive[M]) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	switch t.At() {
	case receiveStart:
		if f.Timeout > 0 {
			f.Deadline = w.Now() + uint64(f.Timeout)
		}
		fallthrough
	case receiveWait:
		if m, ok := f.From.TryTake(w); ok {
			f.Msg, f.OK = m, true
			return t.Return()
		}
		if f.Timeout <= 0 {
			return f.From.Wait(t).Then(receiveWait)
		}
		if w.Now() >= f.Deadline {
			return t.Return()
		}
		return f.From.WaitFor(t, int(f.Deadline-w.Now())).Then(receiveWait)
	}
	return t.Raise(sim.ErrBadPC)
}

// ---- request/reply ----

// A Request is a message asking for a reply of type R: the server answers it with Respond.
type Request[Q, R any] struct {
	Corr    uint64
	ReplyTo world.Mailbox[Reply[R]]
	Body    Q
}

// A Reply answers the request with the same Corr.
type Reply[R any] struct {
	Corr uint64
	Body R
}

// Respond posts body as the reply to q; false if the reply mailbox is gone or full.
func (q Request[Q, R]) Respond(w *world.World, body R) bool {
	return q.ReplyTo.Post(w, Reply[R]{Corr: q.Corr, Body: body})
}

// ---- timers ----

// Timer posts Msg to To at tick At, then every Every ticks (0: once), Count times in all
// (0: forever if Every > 0). After and Every make one.
type Timer[M any] struct {
	To    world.Mailbox[M]
	Msg   M
	At    uint64 // tick of the first post
	Every int
	Count int
	Fired int
}

const (
	timerStart sim.PC = 0
	timerFire  sim.PC = 1
)

// Step sleeps and fires.
func (f *Timer[M]) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	switch t.At() {
	case timerStart:
		if now := w.Now(); f.At > now {
			return t.Sleep(int(f.At - now)).Then(timerFire)
		}
		fallthrough
	case timerFire:
		f.To.Post(w, f.Msg)
		f.Fired++
		if f.Every <= 0 || (f.Count > 0 && f.Fired >= f.Count) {
			return t.Exit()
		}
		return t.Sleep(f.Every).Then(timerFire)
	}
	return t.Raise(sim.ErrBadPC)
}

// After starts a Timer tasklet that posts msg to mb at tick Now()+ticks (ticks >= 1).
func After[M any](w *world.World, ticks int, mb world.Mailbox[M], msg M) *sim.Tasklet {
	return w.Spawn(&Timer[M]{To: mb, Msg: msg, At: w.Now() + uint64(max(ticks, 1))})
}

// Every starts a Timer tasklet that posts msg to mb every ticks ticks from Now(), count
// times (0: forever).
func Every[M any](w *world.World, ticks, count int, mb world.Mailbox[M], msg M) *sim.Tasklet {
	ticks = max(ticks, 1)
	return w.Spawn(&Timer[M]{To: mb, Msg: msg, At: w.Now() + uint64(ticks), Every: ticks, Count: count})
}
