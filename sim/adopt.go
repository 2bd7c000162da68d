package sim

import (
	"errors"
	"fmt"
)

// A Transfer is a soft tasklet taken out of its scheduler by Release, to be adopted by
// another scheduler (Adopt): what a migration carries from zone to zone. Times are relative
// to the tick at which it left, so that schedulers whose clocks differ agree on how long it
// still waits. Channel ids are the releasing scheduler's: the caller maps them to the
// adopting scheduler's ids before Adopt.
type Transfer struct {
	Frames  []FrameState // bottom first; at least one
	TempVal any          // the value slot (nil when Err is set)
	Err     error        // an error pending at the resume point
	Flags   TaskletFlags
	State   State  // StateRunnable, StatePaused, StateBlocked or StateSleeping
	Dir     int8   // blocked: +1 sending, -1 receiving
	Channel ChanID // blocked: the channel
	// Ticks is, for a sleeping tasklet, the ticks until it wakes (at least 1); for a blocked
	// receive with a deadline, the ticks until it gives up; else 0.
	Ticks uint64
}

// MaxTransferTicks bounds Transfer.Ticks, so that no wake tick can overflow.
const MaxTransferTicks = 1 << 48

// ErrNotTransferable: Release or Adopt was asked for something a move cannot carry.
var ErrNotTransferable = errors.New("sim: tasklet cannot be transferred")

// Release takes soft tasklet t out of s without running any of its code, as if it had
// never been there, and returns it as a Transfer. t reports dead afterwards; no end
// handler or error handler is called (the tasklet did not end: it moved). Call it from the
// main program between ticks (CanSnapshot), for an alive soft tasklet that is runnable,
// paused, blocked or sleeping. The Transfer holds t's live frames. Cost: O(depth), plus
// O(queue length) for a blocked tasklet taken out of its channel queue.
func (s *Scheduler) Release(t *Tasklet) (Transfer, error) {
	if err := s.CanSnapshot(); err != nil {
		return Transfer{}, fmt.Errorf("sim: release: %w", err)
	}
	switch {
	case t == nil || t.x == nil || t.x.s != s:
		return Transfer{}, fmt.Errorf("%w: release: the tasklet does not belong to this scheduler", ErrNotTransferable)
	case t.kind != Soft:
		return Transfer{}, fmt.Errorf("%w: release tasklet %d: it is a %s tasklet", ErrNotTransferable, t.id, t.kind)
	case t.state != StateRunnable && t.state != StatePaused && t.state != StateBlocked && t.state != StateSleeping:
		return Transfer{}, fmt.Errorf("%w: release tasklet %d: it is %s", ErrNotTransferable, t.id, t.state)
	}
	ts := t.Saved()
	tr := Transfer{TempVal: ts.TempVal, Err: ts.Err, Flags: ts.Flags, State: ts.State, Dir: ts.Dir, Channel: ts.Channel}
	if ts.Wake != 0 {
		tr.Ticks = ts.Wake - s.now
	}
	tr.Frames = make([]FrameState, 0, t.Depth())
	t.Frames(func(f Frame, pc PC) bool {
		tr.Frames = append(tr.Frames, FrameState{f, pc})
		return true
	})
	if t.state == StateRunnable {
		s.ring.remove(t)
	} else {
		s.detach(t)
	}
	t.state = StateDead
	s.alive--
	t.dropFrames()
	return tr, nil
}

// Adopt makes a new soft tasklet of s from tr, with a new id, and puts it where tr says:
// at the end of the ring, paused, at the end of channel tr.Channel's queue (with its
// receive deadline Ticks from now) or asleep until Ticks from now. It checks tr first and
// changes nothing when it is inconsistent: no frames or a nil one, an unknown state or
// flag, both a value and an error, a blocked tasklet on an unknown channel or against the
// direction of those already waiting there, a deadline on a send. Call it from the main
// program between ticks. Cost: O(depth); the tasklet's frames are tr's, not copies.
func (s *Scheduler) Adopt(tr Transfer) (*Tasklet, error) {
	if err := s.CanSnapshot(); err != nil {
		return nil, fmt.Errorf("sim: adopt: %w", err)
	}
	if err := s.checkTransfer(&tr); err != nil {
		return nil, fmt.Errorf("%w: adopt: %s", ErrNotTransferable, err)
	}
	t := s.alloc()
	t.kind = Soft
	t.flags = taskletFlags(tr.Flags) ^ flagFresh
	t.tempval = tr.TempVal
	if tr.Err != nil {
		t.setBomb(tr.Err)
	}
	top := tr.Frames[len(tr.Frames)-1]
	t.frame, t.pc = top.Frame, top.PC
	if n := len(tr.Frames) - 1; n > 0 {
		x := t.ext()
		x.callers = make([]frameRec, n)
		for i, f := range tr.Frames[:n] {
			x.callers[i] = frameRec{f.Frame, f.PC}
		}
	}
	s.alive++
	switch tr.State {
	case StateRunnable:
		s.makeRunnable(t)
	case StatePaused:
		s.pause(t)
	case StateSleeping:
		s.timers.addSleep(s, t, s.now+tr.Ticks)
	case StateBlocked:
		ch := s.Channel(tr.Channel) // checked by checkTransfer
		ch.queue.pushBack(t)
		ch.biased += int32(tr.Dir)
		t.state, t.dir, t.waitRef = StateBlocked, tr.Dir, tr.Channel.Slot()
		if tr.Ticks != 0 {
			s.addDeadline(t, s.now+tr.Ticks)
		}
	}
	return t, nil
}

// checkTransfer reports what makes tr impossible to adopt into s.
func (s *Scheduler) checkTransfer(tr *Transfer) error {
	if len(tr.Frames) == 0 {
		return errors.New("no frames")
	}
	for i, f := range tr.Frames {
		if f.Frame == nil {
			return fmt.Errorf("frame %d is nil", i)
		}
	}
	if tr.Flags&^savedFlags != 0 {
		return fmt.Errorf("unknown flags %#x", uint8(tr.Flags&^savedFlags))
	}
	if tr.Err != nil && tr.TempVal != nil {
		return errors.New("both a value and a pending error")
	}
	if tr.Ticks > MaxTransferTicks {
		return fmt.Errorf("%d ticks to wait, more than %d", tr.Ticks, uint64(MaxTransferTicks))
	}
	switch tr.State {
	case StateRunnable, StatePaused:
		if tr.Ticks != 0 || tr.Channel != 0 || tr.Dir != 0 {
			return fmt.Errorf("%s tasklet with a channel or ticks to wait", tr.State)
		}
	case StateSleeping:
		if tr.Ticks == 0 || tr.Channel != 0 || tr.Dir != 0 {
			return errors.New("sleeping tasklet without ticks to wait, or with a channel")
		}
	case StateBlocked:
		ch := s.Channel(tr.Channel)
		switch {
		case ch == nil:
			return fmt.Errorf("blocked on unknown channel %d", tr.Channel)
		case tr.Dir != 1 && tr.Dir != -1:
			return fmt.Errorf("blocked direction %d", tr.Dir)
		case int32(tr.Dir)*ch.balance() < 0:
			return fmt.Errorf("channel %d has tasklets waiting in the other direction", tr.Channel)
		case tr.Ticks != 0 && tr.Dir != -1:
			return errors.New("a deadline on a blocked send")
		}
	default:
		return fmt.Errorf("state %s cannot be adopted", tr.State)
	}
	return nil
}
