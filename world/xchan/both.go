package xchan

import "github.com/stackworld/stackworld/sim"

// A two-way channel (Both): each side sends and receives; the sender's side decides who
// takes a value (see the package documentation, "Two-way channels").

// exchange does a two-way channel's work at a boundary: it serves the receivers waiting
// here with the values the peer handed over, hands the values of senders blocked here
// over to the peer's receivers as far as the peer's claim allows, claims values for the
// receivers still waiting here, and closes the local end when it is time.
func (l *Link) exchange(c *channel) {
	ch := l.w.Scheduler().Channel(c.id)
	if ch == nil {
		return
	}
	l.handOver(c, ch)
	l.grant(c, ch)
	l.claim(c, ch)
	l.closeEnd(c, ch)
}

// grant takes the values of the senders blocked on ch, oldest first, while the peer has
// claimed more values than this side has handed over: each sender is released now (its
// value is taken, as by a receiver waiting here) and its value goes to the peer in the
// next message, with the next sequence number. A sender whose value cannot cross zones
// raises ErrValue instead. At most MaxRetained values are kept (handed over, until the
// peer's save covers them): past that, senders wait. Only here does a value leave its zone, so a value is taken
// either by a receiver of its own zone (during a tick) or by the peer (granted here),
// never both.
func (l *Link) grant(c *channel, ch *sim.Channel) {
	st := &c.st
	s := l.w.Scheduler()
	for st.Last < st.PeerClaimed && ch.Balance() > 0 && len(st.Retained) < MaxRetained {
		t := ch.Head()
		e, err := l.encodeValue(t, st.Name)
		if err != nil {
			l.log.Error("xchan: a sender's value cannot cross zones; it raises xchan.ErrValue",
				"channel", st.Name, "tasklet", t.ID(), "err", err)
			_ = t.ThrowPending(ErrValue) // t is alive: it is blocked
			continue
		}
		sim.ChanOf[any](c.id).TryRecv(s.Current())
		st.Last++
		e.Seq = st.Last
		st.Retained = append(st.Retained, e)
		l.count(func(s *Stats) { s.Offered++; s.Released++ })
	}
}

// claim asks the peer for a value for each receiver waiting on ch that no value handed
// over (received here, or on its way) will serve: Claimed is cumulative, a sequence
// number of the peer's, so a claim repeated in every message is counted once.
func (l *Link) claim(c *channel, ch *sim.Channel) {
	st := &c.st
	if b := ch.Balance(); b < 0 {
		received := st.Accepted + uint64(len(st.Pending))
		st.Claimed = max(st.Claimed, received+uint64(-b))
	}
}

// closeEnd closes a two-way channel's local end once either side closed it and nothing
// of the peer's can serve an operation here without blocking: no tasklet queued there (as
// of its last message) and every value it handed over delivered.
func (l *Link) closeEnd(c *channel, ch *sim.Channel) {
	st := &c.st
	if (st.Closing || st.PeerClosing) && c.peerBalance == 0 && len(st.Pending) == 0 &&
		st.Accepted >= st.PeerLast && !ch.Closing() {
		ch.Close()
	}
}
