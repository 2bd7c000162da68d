package xchan

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
)

// onMsg runs on NATS's goroutine: it queues the message for the next Boundary and, if it
// is the peer's Hello, repeats the last message published (the peer may have missed it).
func (l *Link) onMsg(m *nats.Msg) {
	l.mu.Lock()
	l.stats.BytesIn += uint64(len(m.Data))
	if len(l.inbox) >= maxInbox {
		l.stats.Dropped++
		l.mu.Unlock()
		return
	}
	l.inbox = append(l.inbox, m.Data)
	last := l.last
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
	var h struct {
		Hello bool `cbor:"3,keyasint"`
		Reply bool `cbor:"4,keyasint"`
	}
	if last == nil || decMode.Unmarshal(m.Data, &h) != nil || !h.Hello || h.Reply {
		return
	}
	r := *last
	r.Reply = true
	if data, err := encMode.Marshal(&r); err == nil {
		_ = l.cfg.Conn.Publish(Subject(l.cfg.Peer, l.cfg.Local), data) // best effort: the next message repeats the state
	}
}

// collect takes in the queued messages; with LockStep it waits until the peer's message
// of tick now-1 is among them.
func (l *Link) collect(ctx context.Context, now uint64) error {
	for {
		l.mu.Lock()
		in := l.inbox
		l.inbox = nil
		l.mu.Unlock()
		for _, data := range in {
			l.take(data)
		}
		if !l.cfg.LockStep || l.havePeer && l.peerMax+1 >= now {
			return nil
		}
		select {
		case <-l.notify:
		case <-ctx.Done():
			return fmt.Errorf("xchan: link %s to %s: tick %d: waiting for zone %s's message of tick %d: %w",
				l.cfg.Local, l.cfg.Peer, now, l.cfg.Peer, now-1, ctx.Err())
		}
	}
}

// take decodes and checks one message and holds it until it is due.
func (l *Link) take(data []byte) {
	m, err := decodeMessage(data)
	if err == nil {
		err = l.check(m)
	}
	if err != nil {
		l.count(func(s *Stats) { s.Refused++ })
		l.log.Warn("xchan: refused a message from the peer", "peer", l.cfg.Peer, "bytes", len(data), "reason", err)
		return
	}
	l.count(func(s *Stats) { s.Received++ })
	switch {
	case m.Reply && l.havePeer && m.Tick <= l.peerMax:
		return // a repeat of a message taken already
	case !m.Reply && (m.Hello || l.havePeer && m.Tick < l.peerMax):
		// The peer (re)started (its Hello may be lost; its ticks then go back): what it
		// sent before is superseded.
		l.held = l.held[:0]
		l.peerMax = m.Tick
	}
	if !l.havePeer || m.Tick > l.peerMax {
		l.peerMax = m.Tick
	}
	l.havePeer = true
	l.held = append(l.held, m)
}

// check checks what a message means for this link: who sent it and which channels it
// names.
func (l *Link) check(m *message) error {
	if m.From != l.cfg.Peer {
		return fmt.Errorf("sent by %q on the subject of zone %q", m.From, l.cfg.Peer)
	}
	for i := range m.Chans {
		wc := &m.Chans[i]
		for j := range i {
			if m.Chans[j].Name == wc.Name {
				return fmt.Errorf("channel %q appears twice", wc.Name)
			}
		}
		c := l.channel(wc.Name)
		if c == nil {
			continue // not declared here (yet): applyDue skips it and logs
		}
		if (c.st.Dir == DirBoth) != (wc.Dir == DirBoth) {
			return fmt.Errorf("channel %q: declared %s here and %s there", wc.Name, c.st.Dir, wc.Dir)
		}
		if c.st.Dir != DirBoth && c.st.Dir == wc.Dir {
			return fmt.Errorf("channel %q: both sides declared it %s", wc.Name, wc.Dir)
		}
	}
	return nil
}

// applyDue applies the held messages that are due at tick now, oldest first.
func (l *Link) applyDue(now uint64) {
	n := 0
	for _, m := range l.held {
		if l.cfg.LockStep && m.Tick+1 > now {
			break
		}
		l.apply(m)
		n++
	}
	l.held = append(l.held[:0], l.held[n:]...)
}

func (l *Link) apply(m *message) {
	for i := range m.Chans {
		wc := &m.Chans[i]
		c := l.channel(wc.Name)
		if c == nil || !c.declared {
			if !l.unknown[wc.Name] && len(l.unknown) < MaxChannels {
				l.unknown[wc.Name] = true
				l.log.Warn("xchan: peer speaks of a channel not declared here; ignored until it is", "channel", wc.Name, "peer", l.cfg.Peer)
			}
			continue
		}
		c.peerBalance = wc.Balance
		switch c.st.Dir {
		case DirOut:
			c.st.PeerClosing = c.st.PeerClosing || wc.Closing
			l.applyAccepted(c, wc)
		case DirIn:
			c.st.PeerClosing = c.st.PeerClosing || wc.Closing
			l.applyOffers(c, wc)
		default:
			// Closing is the peer's as of this message: it says so only once every value
			// it handed over is on the wire.
			c.st.PeerClosing = wc.Closing
			l.applyAccepted(c, wc)
			l.applyOffers(c, wc)
			c.st.PeerClaimed = wc.Claimed
		}
	}
}

// publish sends this side's message: every declared channel's state and new values.
func (l *Link) publish() error {
	m := &message{From: l.cfg.Local, Tick: l.w.Now(), Hello: l.hello}
	budget := valueBudget
	for _, c := range l.chans {
		if c.declared {
			m.Chans = append(m.Chans, l.wire(c, &budget))
		}
	}
	data, err := encMode.Marshal(m)
	if err != nil {
		return fmt.Errorf("xchan: link %s to %s: encode: %w", l.cfg.Local, l.cfg.Peer, err)
	}
	if err := l.cfg.Conn.Publish(Subject(l.cfg.Peer, l.cfg.Local), data); err != nil {
		return fmt.Errorf("xchan: link %s to %s: publish: %w", l.cfg.Local, l.cfg.Peer, err)
	}
	l.hello = false
	l.mu.Lock()
	l.last = m
	l.stats.Messages++
	l.stats.Bytes += uint64(len(data))
	l.mu.Unlock()
	return nil
}

// valueBudget bounds the value bytes of one message, so that a message stays under
// MaxMessageBytes (and NATS's default payload limit) with every channel's state beside
// them; the values left out go in the next messages.
const valueBudget = MaxMessageBytes / 2

// wire returns channel c's part of the next message, with new values up to *budget bytes
// (which it decreases).
func (l *Link) wire(c *channel, budget *int) wireChan {
	st := &c.st
	wc := wireChan{Name: st.Name, Dir: st.Dir, Balance: int32(l.localBalance(c))}
	if st.Dir == DirBoth {
		wc.Accepted, wc.Durable, wc.Want, wc.Claimed = st.Accepted, min(c.durable, st.Accepted), c.want, st.Claimed
		c.want = 0
		l.fill(c, &wc, budget)
		wc.Last = c.sent
		wc.Closing = st.Closing && c.sent >= st.Last
		return wc
	}
	if st.Dir == DirIn {
		wc.Closing = st.Closing
		wc.Accepted, wc.Durable, wc.Want = st.Accepted, min(c.durable, st.Accepted), c.want
		c.want = 0
		return wc
	}
	l.fill(c, &wc, budget)
	// The peer learns of a value only with the value, so that a Last beyond what it holds
	// means a message lost; it closes its end once it has taken every value up to Last.
	wc.Last = c.sent
	wc.Closing = (st.Closing || st.PeerClosing) && c.allOffered && c.sent >= st.Last
	return wc
}

// fill adds to wc the values not yet sent, up to MaxOffersPerMessage and *budget bytes.
func (l *Link) fill(c *channel, wc *wireChan, budget *int) {
	for _, list := range [][]entry{c.st.Retained, c.st.Offered} {
		for _, e := range list {
			if e.Seq <= c.sent {
				continue
			}
			if len(wc.Offers) >= MaxOffersPerMessage || len(e.Value) > *budget {
				return
			}
			wc.Offers = append(wc.Offers, entry{Seq: e.Seq, Value: e.Value, Err: e.Err})
			*budget -= len(e.Value)
			c.sent = e.Seq
		}
	}
}
