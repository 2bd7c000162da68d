package world

import "github.com/stackworld/stackworld/sim"

// PostAny appends msg to mailbox id whatever its message type, converting msg as a load
// does (CBOR integers to the mailbox's integer type, values to pointers and back), and
// wakes a tasklet waiting on it, as Post does. It reports false, dropping msg, if id is
// not a mailbox, is full, or msg does not fit its type. It is for messages that arrive
// untyped (from another zone). Call it from the main program between ticks or from a Step.
func PostAny(w *World, id sim.ChanID, msg any) bool {
	if q := w.mail[id]; q == nil || q.Len() >= MaxMailboxLen {
		return false
	}
	switch q := w.mail[id].(type) {
	case *loaded:
		q.vals = append(q.vals, msg)
	case anyPusher:
		if err := q.pushAny(msg); err != nil {
			w.cfg.Logger.Error("world: message does not fit its mailbox", "mailbox", id, "err", err)
			return false
		}
	default:
		return false
	}
	if ch := w.s.Channel(id); ch != nil && ch.Balance() < 0 {
		sim.ChanOf[any](id).TrySend(w.s.Current(), nil)
	}
	return true
}

type anyPusher interface{ pushAny(v any) error }

func (q *queue[M]) pushAny(v any) error {
	m, err := convert[M](v)
	if err != nil {
		return err
	}
	q.push(m)
	return nil
}
