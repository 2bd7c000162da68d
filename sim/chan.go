package sim

import (
	"iter"
	"math"
)

// Chan is a typed handle to a channel: a channel id that frames hold as plain data and that
// snapshots save as a number. The zero Chan refers to no channel.
type Chan[V any] struct{ id ChanID }

// NewChan returns a handle to a new channel of s.
func NewChan[V any](s *Scheduler) Chan[V] { return Chan[V]{id: s.NewChannel().id} }

// ChanOf returns a typed handle for the channel with the given id (for loaders and tools).
func ChanOf[V any](id ChanID) Chan[V] { return Chan[V]{id: id} }

// ID returns the channel id.
func (c Chan[V]) ID() ChanID { return c.id }

// IsZero reports whether c refers to no channel.
func (c Chan[V]) IsZero() bool { return c.id == 0 }

// In returns the channel of s that c refers to, or nil.
func (c Chan[V]) In(s *Scheduler) *Channel { return s.Channel(c.id) }

// Send sends v to a receiver, blocking until one takes it. If a receiver waits, the channel's
// preference decides who runs next. Fails with ErrDeadlock if t is the last runnable tasklet
// and no watchdog waits, with ErrClosed on a closing channel.
func (c Chan[V]) Send(t *T, v V) Await {
	return Await{t: t, v: v, arg: uint32(c.id), kg: uint32(awSend) | uint32(c.id>>32)<<8}
}

// SendError sends err to a receiver, which raises it at its resume point (Stackless:
// send_exception, send_throw). Sending ErrStopIteration ends a receiver's Next loop.
func (c Chan[V]) SendError(t *T, err error) Await {
	if err == nil {
		return failed(t, ErrNilError)
	}
	return Await{t: t, v: err, arg: uint32(c.id), kg: uint32(awSendErr) | uint32(c.id>>32)<<8}
}

// Recv receives a value, blocking until a sender offers one; read it with Got.
func (c Chan[V]) Recv(t *T) Await {
	return Await{t: t, arg: uint32(c.id), kg: uint32(awRecv) | uint32(c.id>>32)<<8}
}

// Next receives the next value of an iteration: GotOK reports false, without an error, when
// the channel is closing with no sender queued, or a sender sent ErrStopIteration.
func (c Chan[V]) Next(t *T) Await {
	return Await{t: t, arg: uint32(c.id), kg: uint32(awNext) | uint32(c.id>>32)<<8}
}

// RecvFor receives with a timeout: if no sender has come by tick Now()+ticks, the tasklet
// resumes and GotOK reports false. ticks <= 0 never blocks.
func (c Chan[V]) RecvFor(t *T, ticks int) Await {
	ticks = max(ticks, 0)
	if t != nil && t.x != nil && uint64(ticks) <= math.MaxUint32 {
		// The channel itself and 32 bits of ticks: no allocation, as for the other awaits.
		if ch := t.x.s.Channel(c.id); ch != nil {
			return Await{t: t, v: ch, arg: uint32(ticks), kg: uint32(awRecvFor)}
		}
	}
	return Await{t: t, v: &recvForRef{c.id, uint64(ticks)}, kg: uint32(awRecvFor)}
}

// recvForRef is RecvFor's value when the channel and 32 bits of ticks do not say it all:
// more ticks, or no such channel (for the error).
type recvForRef struct {
	id    ChanID
	ticks uint64
}

// Got returns the value the tasklet received last (the zero V if none, or after a timeout).
func (c Chan[V]) Got(t *T) V {
	v, _ := t.TempVal().(V)
	return v
}

// GotOK returns the value received last and false if Next or RecvFor found nothing.
func (c Chan[V]) GotOK(t *T) (V, bool) {
	v, _ := t.TempVal().(V)
	return v, t.flags&flagNotOK == 0
}

// TrySend hands v to a waiting receiver without blocking or switching (the receiver goes to
// the end of the ring) and reports whether one was waiting. t is the acting tasklet.
func (c Chan[V]) TrySend(t *T, v V) bool { return t.x.s.trySend(t, t.x.s.Channel(c.id), v, false) }

// TryRecv takes the value of a waiting sender without blocking or switching (the sender goes
// to the end of the ring). ok is false if no sender waits; err is an error sent with SendError.
func (c Chan[V]) TryRecv(t *T) (v V, ok bool, err error) {
	x, err, ok := t.x.s.tryRecv(t, t.x.s.Channel(c.id))
	v, _ = x.(V)
	return v, ok, err
}

// Send sends v on c from h, the main tasklet or a hard tasklet, and returns when h runs
// again. From main it runs the other tasklets meanwhile.
func Send[V any](h *Tasklet, c Chan[V], v V) error { return c.Send(h, v).Wait() }

// SendError sends err on c from h (main or hard).
func SendError[V any](h *Tasklet, c Chan[V], err error) error { return c.SendError(h, err).Wait() }

// Receive receives from c on behalf of h (main or hard).
func Receive[V any](h *Tasklet, c Chan[V]) (V, error) {
	if err := c.Recv(h).Wait(); err != nil {
		var zero V
		return zero, err
	}
	return c.Got(h), nil
}

// Next receives the next value of an iteration on behalf of h (see Chan.Next).
func Next[V any](h *Tasklet, c Chan[V]) (V, bool, error) {
	if err := c.Next(h).Wait(); err != nil {
		var zero V
		return zero, false, err
	}
	v, ok := c.GotOK(h)
	return v, ok, nil
}

// Values iterates over c on behalf of h until the iteration ends (see Chan.Next) or an
// error is raised; *errp receives that error (nil for a normal end).
func Values[V any](h *Tasklet, c Chan[V], errp *error) iter.Seq[V] {
	return func(yield func(V) bool) {
		for {
			v, ok, err := Next(h, c)
			if err != nil {
				if errp != nil {
					*errp = err
				}
				return
			}
			if !ok || !yield(v) {
				return
			}
		}
	}
}

// SendSequence sends every value of seq on c from h and returns how many were sent
// (Stackless: send_sequence).
func SendSequence[V any](h *Tasklet, c Chan[V], seq iter.Seq[V]) (int, error) {
	n := 0
	for v := range seq {
		if err := Send(h, c, v); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
