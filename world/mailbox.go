package world

import (
	"fmt"
	"reflect"

	"github.com/stackworld/stackworld/sim"
)

// A Mailbox is a buffered, typed inbox: a handle that frames hold as plain data. sim
// channels buffer nothing (a send waits for a receiver), so the messages of a mailbox live
// in a queue owned by the world, saved with it; a channel of the scheduler (whose id is the
// mailbox's id) wakes a tasklet that waits for mail. The zero Mailbox refers to none.
//
// The receiving side, from a Step:
//
//	case wait:
//		if m, ok := f.Inbox.TryTake(w); ok { ... handle m ...; return t.Goto(wait) }
//		return f.Inbox.Wait(t).Then(wait)
//
// Any tasklet, or the main program between ticks (to deliver inputs), posts with Post.
type Mailbox[M any] struct{ ID sim.ChanID }

// mailQueue is a mailbox's queue, typed (queue[M]) or as loaded (loaded).
type mailQueue interface {
	Len() int
	Owner() EntityID
	Name() string
	each(f func(v any) bool)
	values() []any
	info() *mailInfo
}

// mailInfo is what a mailbox's queue holds beside its messages: its owner and name, fixed
// when it is made, and its place in the world's lists of mailboxes (World.mailIDs and
// mailQs, in creation order), which lets the lists be walked without map lookups.
type mailInfo struct {
	owner EntityID
	name  string
	slot  int // w.mailIDs[slot] is its id, w.mailQs[slot] the queue
}

func (m *mailInfo) Owner() EntityID { return m.owner }
func (m *mailInfo) Name() string    { return m.name }
func (m *mailInfo) info() *mailInfo { return m }

// queue is a FIFO of M: items[head:] are queued.
type queue[M any] struct {
	items []M
	head  int
	mailInfo
}

func (q *queue[M]) Len() int { return len(q.items) - q.head }
func (q *queue[M]) each(f func(v any) bool) {
	for _, v := range q.items[q.head:] {
		if !f(v) {
			return
		}
	}
}
func (q *queue[M]) values() []any {
	out := make([]any, 0, q.Len())
	for _, v := range q.items[q.head:] {
		out = append(out, v)
	}
	return out
}

func (q *queue[M]) push(v M) { q.items = append(q.items, v) }

func (q *queue[M]) pop() (M, bool) {
	var zero M
	if q.head == len(q.items) {
		return zero, false
	}
	v := q.items[q.head]
	q.items[q.head] = zero
	q.head++
	switch {
	case q.head == len(q.items) && cap(q.items) > mailKeptCap:
		q.items, q.head = nil, 0 // a burst's capacity is given back once it is read
	case q.head == len(q.items):
		q.items, q.head = q.items[:0], 0
	case q.head > 32 && q.head*2 > len(q.items):
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return v, true
}

// mailKeptCap is the most messages' room an empty mailbox keeps: a burst up to
// MaxMailboxLen grows its queue, and the room beyond this is given back when it is empty, so
// that a world's mailboxes hold memory for their messages, not for their past peaks.
const mailKeptCap = 256

// loaded is a queue as decoded from a snapshot, converted to queue[M] on first typed use.
type loaded struct {
	vals []any
	mailInfo
}

func (q *loaded) Len() int { return len(q.vals) }
func (q *loaded) each(f func(v any) bool) {
	for _, v := range q.vals {
		if !f(v) {
			return
		}
	}
}
func (q *loaded) values() []any { return q.vals }

// NewMailbox returns a new, empty mailbox owned by entity owner (0: none), named for views.
// A mailbox whose owner despawns is dropped, with the messages still queued, at the end of
// the tick in which the owner despawned (or, while some tasklet still waits on it, at the
// end of the first tick after it stops waiting): Post to it then reports false.
func NewMailbox[M any](w *World, owner EntityID, name string) Mailbox[M] {
	id := w.s.NewChannel().ID()
	w.setMail(id, &queue[M]{mailInfo: mailInfo{owner: owner, name: name}})
	return Mailbox[M]{ID: id}
}

// setMail makes q mailbox id's queue: a new mailbox goes at the end of the lists, a
// replaced queue takes its place.
func (w *World) setMail(id sim.ChanID, q mailQueue) {
	if old := w.mail[id]; old != nil {
		q.info().slot = old.info().slot
		w.mailQs[q.info().slot] = q
	} else {
		q.info().slot = len(w.mailIDs)
		w.mailIDs, w.mailQs = append(w.mailIDs, id), append(w.mailQs, q)
	}
	w.mail[id] = q
}

// dropOrphanMail drops the mailboxes whose owner has despawned and on which no tasklet
// waits, with their channels and queued messages; the rest keep their creation order. It
// reports whether an orphan had to stay because a tasklet waits on it.
func (w *World) dropOrphanMail() (waiting bool) {
	keep := func(id sim.ChanID, q mailQueue) bool {
		orphan := q.Owner() != 0 && !w.Alive(q.Owner())
		if ch := w.s.Channel(id); orphan && ch != nil && ch.Balance() != 0 {
			orphan, waiting = false, true
		}
		if orphan {
			_ = w.s.DropChannel(id) // no tasklet waits (checked above); already gone is fine
			delete(w.mail, id)
		}
		return !orphan
	}
	w.filterMail(keep)
	return waiting
}

// filterMail keeps the mailboxes for which keep reports true, in their order, and forgets
// the others from the lists (keep drops them from w.mail). The lists are copied only when
// one is dropped, so that a slice Mailboxes returned earlier stays as it was.
func (w *World) filterMail(keep func(id sim.ChanID, q mailQueue) bool) {
	var ids []sim.ChanID // nil until a mailbox is dropped
	var qs []mailQueue
	for i, id := range w.mailIDs {
		q := w.mailQs[i]
		switch {
		case !keep(id, q):
			if ids == nil {
				ids = append(make([]sim.ChanID, 0, len(w.mailIDs)-1), w.mailIDs[:i]...)
				qs = append(make([]mailQueue, 0, len(w.mailIDs)-1), w.mailQs[:i]...)
			}
		case ids != nil:
			q.info().slot = len(ids)
			ids, qs = append(ids, id), append(qs, q)
		}
	}
	if ids != nil {
		w.mailIDs, w.mailQs = ids, qs
	}
}

// q returns the typed queue of mb, converting a loaded one; nil if mb is not a mailbox of
// w or holds another type of message.
func (mb Mailbox[M]) q(w *World) *queue[M] {
	switch q := w.mail[mb.ID].(type) {
	case *queue[M]:
		return q
	case *loaded:
		tq := &queue[M]{mailInfo: q.mailInfo, items: make([]M, 0, len(q.vals))}
		for _, v := range q.vals {
			m, err := convert[M](v)
			if err != nil {
				// Bad snapshot data must not panic: the mailbox stays as loaded and reads as
				// not holding M (Post reports false, TryTake nothing); the log says why.
				w.cfg.Logger.Error("world: loaded mailbox holds a message of another type",
					"mailbox", mb.ID, "name", q.name, "err", err)
				return nil
			}
			tq.items = append(tq.items, m)
		}
		w.mail[mb.ID], w.mailQs[tq.slot] = tq, tq
		return tq
	}
	return nil
}

// convert turns a decoded value into M: directly, or by a numeric or string conversion of
// the decoder's generic types (CBOR integers decode as int64 or uint64 inside any).
func convert[M any](v any) (M, error) {
	var zero M
	if v == nil {
		return zero, nil
	}
	if m, ok := v.(M); ok {
		return m, nil
	}
	rv, mt := reflect.ValueOf(v), reflect.TypeFor[M]()
	if rv.CanConvert(mt) && rv.Kind() != reflect.Struct && rv.Kind() != reflect.Pointer && !isNumberToString(rv.Kind(), mt.Kind()) {
		return rv.Convert(mt).Interface().(M), nil
	}
	if rv.Kind() == reflect.Pointer && rv.Elem().Type() == mt {
		return rv.Elem().Interface().(M), nil
	}
	if mt.Kind() == reflect.Pointer && rv.Type() == mt.Elem() {
		p := reflect.New(mt.Elem())
		p.Elem().Set(rv)
		return p.Interface().(M), nil
	}
	return zero, fmt.Errorf("saved message of type %T does not fit %v", v, mt)
}

// isNumberToString reports a conversion Go allows but a message never means: an integer to
// a string (the rune with that code: a saved or mailed 5 became "\x05").
func isNumberToString(from, to reflect.Kind) bool {
	return to == reflect.String && from != reflect.String && from != reflect.Slice
}

// Post appends msg to the mailbox and wakes a tasklet waiting in Wait or WaitFor (it goes to
// the end of the ring; nothing switches). It reports false, dropping msg, if the mailbox is
// unknown or holds MaxMailboxLen messages. Call it from a Step or from the main program
// between ticks (inputs). Post does not allocate once the queue has grown.
func (mb Mailbox[M]) Post(w *World, msg M) bool {
	q := mb.q(w)
	if q == nil || q.Len() >= MaxMailboxLen {
		return false
	}
	q.push(msg)
	if ch := w.s.Channel(mb.ID); ch != nil && ch.Balance() < 0 {
		mb.wake().TrySend(w.s.Current(), nil) // nil: nothing to box, nothing to save
	}
	return true
}

// TryTake removes and returns the oldest message; ok is false if there is none.
func (mb Mailbox[M]) TryTake(w *World) (msg M, ok bool) {
	if q := mb.q(w); q != nil {
		return q.pop()
	}
	return msg, false
}

// Peek returns the oldest message without removing it.
func (mb Mailbox[M]) Peek(w *World) (msg M, ok bool) {
	if q := mb.q(w); q != nil && q.Len() > 0 {
		return q.items[q.head], true
	}
	return msg, false
}

// Len returns the number of queued messages.
func (mb Mailbox[M]) Len(w *World) int {
	if q := w.mail[mb.ID]; q != nil {
		return q.Len()
	}
	return 0
}

// wake is the channel a waiting tasklet blocks on; Post sends nil on it.
func (mb Mailbox[M]) wake() sim.Chan[any] { return sim.ChanOf[any](mb.ID) }

// Wait blocks t until the next Post. Take what is queued first (TryTake): Wait does not
// look at the queue.
func (mb Mailbox[M]) Wait(t *sim.T) sim.Await { return mb.wake().Recv(t) }

// WaitFor is Wait with a timeout in ticks: t resumes after the next Post or at tick
// Now()+ticks, whichever comes first (TimedOut tells which). Either way, look at the queue
// again.
func (mb Mailbox[M]) WaitFor(t *sim.T, ticks int) sim.Await { return mb.wake().RecvFor(t, ticks) }

// TimedOut reports, after a WaitFor, whether t was resumed by the timeout (no Post came).
func (mb Mailbox[M]) TimedOut(t *sim.T) bool {
	_, ok := mb.wake().GotOK(t)
	return !ok
}

// IsZero reports whether mb refers to no mailbox.
func (mb Mailbox[M]) IsZero() bool { return mb.ID == 0 }
