package sim

import (
	"errors"
	"fmt"
)

// ChanID identifies a channel within its scheduler. IDs start at 1 and are never reused.
type ChanID uint32

// A Channel is the untyped core of Chan[V]: a FIFO queue of blocked tasklets, all waiting in
// the same direction, and a balance (+n senders or -n receivers waiting). Values pass
// directly from one tasklet to another; a channel buffers nothing.
type Channel struct {
	s     *Scheduler
	queue queue
	// biased is the balance, plus specialBias while the channel is special. runSoft's
	// hand-off fast paths test its sign alone (a send needs biased < 0, a receive
	// biased <= 0), so special channels take the general path. Read the balance with
	// balance().
	biased      int32
	id          ChanID
	preference  int8
	scheduleAll bool
	closing     bool
	special     bool // preference != -1 || scheduleAll || closing, kept by setSpecial
}

// specialBias is added to a special channel's biased balance: more than any balance can be.
const specialBias = 1 << 30

// balance returns the number of senders (> 0) or receivers (< 0) waiting.
func (ch *Channel) balance() int32 {
	if ch.special {
		return ch.biased - specialBias
	}
	return ch.biased
}

// setSpecial recomputes special, and biased with it; call it after changing what it reads.
func (ch *Channel) setSpecial() {
	b := ch.balance()
	ch.special = ch.preference != -1 || ch.scheduleAll || ch.closing
	if ch.biased = b; ch.special {
		ch.biased += specialBias
	}
}

// noChannel fills the channel table where no channel is: id 0 and dropped ids. It is
// special, so the fast paths in runSoft, which index the table without testing for nil,
// leave it to the general path, where Channel reports no channel. Nothing writes to it.
var noChannel = &Channel{preference: -1, special: true, biased: specialBias}

// NewChannel returns a new channel with preference -1 (prefer the receiver).
func (s *Scheduler) NewChannel() *Channel {
	ch := &Channel{s: s, id: ChanID(len(s.chans)), preference: -1}
	s.chans = append(s.chans, ch)
	return ch
}

// Channel returns the channel with the given id, or nil.
func (s *Scheduler) Channel(id ChanID) *Channel {
	if int(id) >= len(s.chans) || s.chans[id] == noChannel {
		return nil
	}
	return s.chans[id]
}

// DropChannel forgets an unused channel (no tasklet waiting on it), so that a world that
// makes and discards channels does not grow. Its id is not reused.
func (s *Scheduler) DropChannel(id ChanID) error {
	ch := s.Channel(id)
	if ch == nil {
		return fmt.Errorf("sim: drop channel %d: no such channel", id)
	}
	if ch.balance() != 0 {
		return fmt.Errorf("sim: drop channel %d: %d tasklets are waiting on it", id, abs32(ch.balance()))
	}
	s.chans[id] = noChannel
	s.forgetLastChan()
	return nil
}

// ID returns the channel's id.
func (ch *Channel) ID() ChanID { return ch.id }

// Handle returns an untyped handle for frames to hold.
func (ch *Channel) Handle() Chan[any] { return Chan[any]{id: ch.id} }

// Balance is the number of blocked senders minus the number of blocked receivers.
func (ch *Channel) Balance() int { return int(ch.balance()) }

// Preference returns -1 (a send switches to the receiver; default), 0 (nobody switches) or
// +1 (a receive switches to the sender).
func (ch *Channel) Preference() int { return int(ch.preference) }

// SetPreference sets the preference, clamped to its sign.
func (ch *Channel) SetPreference(p int) {
	switch {
	case p < 0:
		ch.preference = -1
	case p > 0:
		ch.preference = 1
	default:
		ch.preference = 0
	}
	ch.setSpecial()
}

// ScheduleAll reports the schedule-all flag.
func (ch *Channel) ScheduleAll() bool { return ch.scheduleAll }

// SetScheduleAll makes every transfer append the unblocked partner to the ring and switch to
// the caller's successor, overriding the preference.
func (ch *Channel) SetScheduleAll(on bool) { ch.scheduleAll = on; ch.setSpecial() }

// Close marks the channel closing: operations that would block fail with ErrClosed, waiting
// tasklets stay queued and can still be served. It wakes nobody (Stackless semantics).
func (ch *Channel) Close() { ch.closing = true; ch.setSpecial() }

// Open clears the closing flag.
func (ch *Channel) Open() { ch.closing = false; ch.setSpecial() }

// Closing reports whether Close was called (and Open was not).
func (ch *Channel) Closing() bool { return ch.closing }

// Closed reports whether the channel is closing and its queue has drained.
func (ch *Channel) Closed() bool { return ch.closing && ch.balance() == 0 }

// Len returns the number of tasklets waiting.
func (ch *Channel) Len() int { return ch.queue.len() }

// Queue calls f for each waiting tasklet, first to last, until f returns false. A waiting
// sender's value is its TempVal.
func (ch *Channel) Queue(f func(*Tasklet) bool) { ch.queue.each(f) }

// Head returns the first waiting tasklet, or nil.
func (ch *Channel) Head() *Tasklet { return ch.queue.front() }

func (ch *Channel) String() string {
	return fmt.Sprintf("channel %d (balance %d, preference %d)", ch.id, ch.balance(), ch.preference)
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// awaitChannel returns the channel that a, a send or receive, acts on (nil if there is none)
// and its id. RecvFor's Await holds the channel itself: its arg holds the ticks.
func (s *Scheduler) awaitChannel(a Await) (*Channel, ChanID) {
	if a.kind != awRecvFor {
		return s.Channel(ChanID(a.arg)), ChanID(a.arg)
	}
	switch v := a.v.(type) {
	case *Channel:
		return s.Channel(v.id), v.id // dropped since RecvFor: nil
	case *recvForRef:
		return s.Channel(v.id), v.id
	}
	return nil, 0
}

// chanOp performs a send or receive Await.
func (s *Scheduler) chanOp(a Await) error {
	t := a.t
	ch, id := s.awaitChannel(a)
	dir := int8(-1)
	name := "receive"
	var v any // what a send offers
	if a.kind == awSend || a.kind == awSendErr {
		dir, name, v = 1, "send", a.v
	}
	if ch == nil {
		return &ChannelError{Op: name, Channel: id, Tasklet: t.ID(), Reason: errNoChannel}
	}
	t.flags &^= flagNotOK | flagIter
	if a.kind == awNext {
		if ch.closing && ch.balance() <= 0 {
			t.tempval = nil
			t.flags |= flagNotOK
			return nil
		}
		t.flags |= flagIter
	}
	if a.kind == awRecvFor && a.ticks() == 0 && ch.balance() <= 0 {
		t.tempval = nil
		t.flags |= flagNotOK // a zero timeout never blocks
		return nil
	}
	err := s.transfer(t, ch, dir, v, a.kind == awSendErr)
	if err != nil {
		t.flags &^= flagIter
		return &ChannelError{Op: name, Channel: ch.id, Tasklet: t.ID(), Reason: err}
	}
	if a.kind == awRecvFor && t.state == StateBlocked {
		s.addDeadline(t, s.now+a.ticks())
	}
	return nil
}

var errNoChannel = errors.New("sim: no such channel")
var errRecursiveCallback = errors.New("sim: recursive channel call due to callbacks")

// transfer is Stackless's generic_channel_action for the current tasklet t.
func (s *Scheduler) transfer(t *Tasklet, ch *Channel, dir int8, v any, isErr bool) error {
	cando := int32(dir)*ch.balance() < 0
	if s.chanCB != nil {
		if s.inChanCB {
			return errRecursiveCallback
		}
		s.inChanCB = true
		s.chanCB(ch, t, dir > 0, !cando)
		s.inChanCB = false
	}
	if cando {
		switches := ch.scheduleAll || ch.preference == -dir
		if switches && s.switchTrap > 0 {
			return ErrSwitchTrap
		}
		p := ch.queue.popFront()
		ch.biased += int32(dir)
		p.dir = 0
		s.cancelDeadline(p)
		if dir > 0 {
			deliver(p, v, isErr)
			t.tempval = nil
		} else {
			t.tempval, t.flags = p.tempval, t.flags|(p.flags&flagBomb)
			p.tempval, p.flags = nil, p.flags&^flagBomb
			iterEnd(t)
		}
		p.state = StateRunnable
		switch {
		case ch.scheduleAll:
			s.ring.pushBack(p)
			s.ring.rotate()
			s.setCurrent(t, s.ring.front())
		case ch.preference == -dir:
			s.ring.replace(t, p) // t is the ring's front
			s.ring.pushBack(t)
			s.setCurrent(t, p)
		default:
			s.ring.pushBack(p)
		}
		return nil
	}
	switch {
	case t.flags&flagBlockTrap != 0:
		return ErrBlockTrap
	case ch.closing:
		return ErrClosed
	case s.switchTrap > 0:
		return ErrSwitchTrap
	case s.ring.len() <= 1 && len(s.watchdogs) == 0:
		return ErrDeadlock
	}
	if dir > 0 {
		t.tempval, t.flags = v, t.flags&^flagBomb
		if isErr {
			t.setBomb(v.(error))
		}
	}
	s.ring.popFront()
	ch.queue.pushBack(t)
	ch.biased += int32(dir)
	t.state, t.dir, t.waitRef = StateBlocked, dir, uint32(ch.id)
	s.next(t)
	return nil
}

// deliver hands a sent value (or error) to receiver p.
func deliver(p *Tasklet, v any, isErr bool) {
	if isErr {
		p.setBomb(v.(error))
	} else {
		p.tempval, p.flags = v, p.flags&^flagBomb
	}
	if p.flags&flagIter != 0 {
		iterEnd(p)
	}
}

// iterEnd turns ErrStopIteration received by Next into ok == false.
func iterEnd(t *Tasklet) {
	if t.flags&flagIter == 0 {
		return
	}
	t.flags &^= flagIter
	if t.flags&flagBomb != 0 && errors.Is(t.tempval.(*bomb).err, ErrStopIteration) {
		t.tempval, t.flags = nil, (t.flags&^flagBomb)|flagNotOK
	}
}

// trySend hands v to a waiting receiver without blocking or switching.
func (s *Scheduler) trySend(t *Tasklet, ch *Channel, v any, isErr bool) bool {
	if ch == nil || ch.balance() >= 0 {
		return false
	}
	if s.chanCB != nil && !s.inChanCB {
		s.inChanCB = true
		s.chanCB(ch, t, true, false)
		s.inChanCB = false
	}
	p := ch.queue.popFront()
	ch.biased++
	p.dir = 0
	s.cancelDeadline(p)
	deliver(p, v, isErr)
	s.makeRunnable(p)
	return true
}

// tryRecv takes the value of a waiting sender without blocking or switching.
func (s *Scheduler) tryRecv(t *Tasklet, ch *Channel) (any, error, bool) {
	if ch == nil || ch.balance() <= 0 {
		return nil, nil, false
	}
	if s.chanCB != nil && !s.inChanCB {
		s.inChanCB = true
		s.chanCB(ch, t, false, false)
		s.inChanCB = false
	}
	p := ch.queue.popFront()
	ch.biased--
	p.dir = 0
	s.cancelDeadline(p)
	v := p.tempval
	var err error
	if p.flags&flagBomb != 0 {
		err, v = v.(*bomb).err, nil
	}
	p.tempval, p.flags = nil, p.flags&^flagBomb
	s.makeRunnable(p)
	return v, err, true
}

// fastChan returns the channel of id for runSoft's fast paths: lastChan if id is its, or
// noChannel (special: it fails their tests) where there is none.
func (s *Scheduler) fastChan(id uint64) *Channel {
	if id == s.lastChanID {
		return s.lastChan
	}
	if id >= uint64(len(s.chans)) {
		return noChannel
	}
	ch := s.chans[id]
	s.lastChanID, s.lastChan = id, ch
	return ch
}

// forgetLastChan points lastChan at noChannel (id 0), which no fast path takes.
func (s *Scheduler) forgetLastChan() { s.lastChanID, s.lastChan = 0, noChannel }
