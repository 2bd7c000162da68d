package xchan

import (
	"fmt"

	"github.com/stackworld/stackworld/sim"
)

// ---- the sending side ----

// offer gives a sequence number to each sender newly blocked on c's local end and keeps
// its value to send; it closes the local end if the peer closed the channel.
func (l *Link) offer(c *channel) {
	st := &c.st
	ch := l.w.Scheduler().Channel(c.id)
	if ch == nil {
		return
	}
	if st.PeerClosing && c.peerBalance >= 0 && !ch.Closing() {
		// A send to a receiver waiting there does not block, even on a closing channel:
		// the end here closes once no receiver waits there.
		ch.Close()
	}
	offered := make(map[sim.ID]bool, len(st.Offered))
	for _, e := range st.Offered {
		offered[e.Tasklet] = true
	}
	c.allOffered = true
	ch.Queue(func(t *sim.Tasklet) bool {
		switch {
		case t.BlockedDir() < 0:
			l.misuse(c, "a tasklet receives on the sending end; it takes values the peer will also be told about", t.ID())
		case offered[t.ID()] || c.refused[t.ID()]:
		case len(st.Offered) >= MaxPending:
			c.allOffered = false
		default:
			e, err := l.encodeValue(t, st.Name)
			if err != nil {
				c.refused[t.ID()] = true
				l.log.Error("xchan: a sender's value cannot cross zones; the sender stays blocked",
					"channel", st.Name, "tasklet", t.ID(), "err", err)
				return true
			}
			st.Last++
			e.Seq, e.Tasklet = st.Last, t.ID()
			st.Offered = append(st.Offered, e)
			l.count(func(s *Stats) { s.Offered++ })
		}
		return true
	})
}

// encodeValue encodes what blocked sender t offers: its value, or the error it sends.
func (l *Link) encodeValue(t *sim.Tasklet, name string) (entry, error) {
	if err := t.PendingError(); err != nil {
		w, ok := toWire(err)
		if !ok {
			l.log.Warn("xchan: a sender sends an error not registered with persist.RegisterError; the receiver raises xchan.ErrRemote",
				"channel", name, "tasklet", t.ID(), "err", err)
		}
		return entry{Err: w}, nil
	}
	data, err := encMode.Marshal(t.TempVal())
	if err != nil {
		return entry{}, err
	}
	if len(data) > MaxValueBytes {
		return entry{}, fmt.Errorf("%d bytes, more than MaxValueBytes (%d)", len(data), MaxValueBytes)
	}
	return entry{Value: data}, nil
}

// applyAccepted takes in what the receiving side reports: it releases the senders whose
// values were taken, forgets the values the peer's save covers, and sends again what the
// peer lost.
func (l *Link) applyAccepted(c *channel, wc *wireChan) {
	st := &c.st
	if wc.Accepted < st.PeerAccepted { // the peer went back to a save
		l.resend(c, wc.Accepted+1)
	}
	if wc.Want != 0 {
		l.resend(c, wc.Want)
	}
	for len(st.Offered) > 0 && st.Offered[0].Seq <= wc.Accepted {
		e := st.Offered[0]
		st.Offered = st.Offered[1:]
		l.release(c, e)
		e.Tasklet = 0
		st.Retained = append(st.Retained, e)
	}
	st.PeerAccepted, st.PeerDurable = wc.Accepted, wc.Durable
	n := 0
	for n < len(st.Retained) && (st.Retained[n].Seq <= st.PeerDurable || overRetained(st, n)) {
		if st.Retained[n].Seq > st.PeerDurable {
			l.log.Error("xchan: peer never saves; dropping a delivered value it could not get again",
				"channel", st.Name, "seq", st.Retained[n].Seq)
		}
		n++
	}
	st.Retained = append(st.Retained[:0], st.Retained[n:]...)
}

// overRetained reports whether the kept values from the n-th on are MaxRetained or more
// and the n-th was taken by the peer, so that it may be forgotten before the peer's save
// covers it (leaving room below MaxRetained, where a two-way channel hands over more). A
// value the peer has not taken (a two-way channel's, handed over and not yet
// acknowledged) is never dropped: grant stops handing over instead.
func overRetained(st *chanState, n int) bool {
	return len(st.Retained)-n >= MaxRetained && st.Retained[n].Seq <= st.PeerAccepted
}

// release lets the sender of e go on: its value was taken by a receiver of the peer.
func (l *Link) release(c *channel, e entry) {
	s := l.w.Scheduler()
	if ch := s.Channel(c.id); ch != nil && ch.Head() != nil && ch.Head().ID() == e.Tasklet && ch.Head().BlockedDir() > 0 {
		sim.ChanOf[any](c.id).TryRecv(s.Current())
		l.count(func(s *Stats) { s.Released++ })
		return
	}
	l.log.Warn("xchan: a sender left the channel before the peer took its value (killed, or served here); the peer got the value",
		"channel", c.st.Name, "tasklet", e.Tasklet, "seq", e.Seq)
}

// resend makes the next message carry every value kept from sequence number from on.
func (l *Link) resend(c *channel, from uint64) {
	from = min(from, c.st.Last+1)
	oldest := c.st.Last + 1
	switch {
	case len(c.st.Retained) > 0:
		oldest = c.st.Retained[0].Seq
	case len(c.st.Offered) > 0:
		oldest = c.st.Offered[0].Seq
	}
	if from < oldest && from <= c.st.PeerDurable {
		l.log.Error("xchan: peer asks again for values it had saved as taken; they are gone (did it restart from an older save?)",
			"channel", c.st.Name, "from", from, "oldest kept", oldest)
	}
	if from > 0 && from-1 < c.sent {
		c.sent = from - 1
	}
}

// ---- the receiving side ----

// applyOffers keeps the values the peer offers, in sequence, and notes a gap to ask for.
func (l *Link) applyOffers(c *channel, wc *wireChan) {
	st := &c.st
	st.PeerLast = wc.Last
	next := st.Accepted + uint64(len(st.Pending)) + 1
	for _, o := range wc.Offers {
		if o.Seq < next {
			continue // had it already
		}
		if o.Seq > next || len(st.Pending) >= MaxPending {
			break
		}
		st.Pending = append(st.Pending, entry{Seq: o.Seq, Value: o.Value, Err: o.Err})
		next++
	}
	if wc.Last >= next && len(st.Pending) < MaxPending {
		c.want = next
	}
}

// deliver serves the receivers waiting on c's local end (a one-way In channel) and closes
// the local end once the peer closed and everything it offered is delivered.
func (l *Link) deliver(c *channel) {
	st := &c.st
	ch := l.w.Scheduler().Channel(c.id)
	if ch == nil {
		return
	}
	if st.Closing && !ch.Closing() {
		ch.Close()
	}
	l.handOver(c, ch)
	if ch.Balance() > 0 {
		l.misuse(c, "a tasklet sends on the receiving end; only the peer's senders are served here", 0)
	}
	if st.PeerClosing && len(st.Pending) == 0 && st.Accepted >= st.PeerLast && !ch.Closing() {
		ch.Close()
	}
}

// handOver hands the values received to the receivers waiting on ch, oldest first: a
// value to receive, or an error to raise (a RemoteError, or the sentinel it stands for).
func (l *Link) handOver(c *channel, ch *sim.Channel) {
	st := &c.st
	s := l.w.Scheduler()
	for len(st.Pending) > 0 && ch.Balance() < 0 {
		e := st.Pending[0]
		st.Pending = st.Pending[1:]
		st.Accepted = e.Seq
		if e.Err != nil {
			err, ok := e.Err.local()
			if !ok {
				l.log.Warn("xchan: the peer sent an error not registered here; the receiver raises xchan.ErrRemote",
					"channel", st.Name, "seq", e.Seq, "error", e.Err.Name)
			}
			sendErrorNow(s, ch, err)
			l.count(func(s *Stats) { s.Delivered++; s.Errors++ })
			continue
		}
		v, err := c.decode(e.Value)
		if err != nil {
			l.count(func(s *Stats) { s.Undecodable++ })
			l.log.Warn("xchan: refused a value that does not decode; its sender is released",
				"channel", st.Name, "seq", e.Seq, "err", err)
			continue
		}
		sim.ChanOf[any](c.id).TrySend(s.Current(), v)
		l.count(func(s *Stats) { s.Delivered++ })
	}
}

// misuse logs a misuse of channel c once per Open.
func (l *Link) misuse(c *channel, what string, t sim.ID) {
	if !c.warned {
		c.warned = true
		l.log.Error("xchan: "+what, "channel", c.st.Name, "tasklet", t)
	}
}
