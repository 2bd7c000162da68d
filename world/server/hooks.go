package server

import (
	"context"
	"errors"
	"fmt"
)

// Hooks for a world that shares its entities with other processes: a world/cluster zone
// takes in the entities and letters sent to it for a tick in BeforeTick, sends those that
// left in EndTick, and keeps a save from being written while entities it exported exist
// only in its memory (SaveGate). OnSave then tells it which tick the written save covers,
// so it can settle what it had journaled up to that tick. All run on the loop goroutine,
// in this order around one tick:
//
//	boundary: Do calls, SaveGate + the save's copy (if a save is due), Pause, Stop
//	BeforeTick, Deliver (inputs), World.Tick, EndTick, AfterTick
//	... OnSave when the save's file is written (at a later boundary)
//
// BeforeTick may say that the tick may not run yet (ErrTickNotReady: a LockStep zone
// waiting for a peer zone to finish the tick): the loop then goes back to the boundary and
// asks again, so Do, SaveNow, Pause and Stop are served while it waits. The hooks' context
// ends when Run is stopping, so that a hook's wait ends at once. A stop while BeforeTick
// says not ready is a stop at the boundary, with the final save: the hook changed nothing,
// and the world is what the last tick left, as at any boundary where an autosave is taken.

// ErrTickNotReady is what BeforeTick returns, wrapped with what the tick waits for, when
// the next tick may not run yet and the hook has changed nothing. The loop then serves the
// tick boundary (Do calls, saves, Pause, Stop, the end of Run's context) and calls
// BeforeTick again; Stats.Waiting shows the error meanwhile. A hook returns it after a
// short bounded wait for what it waits for (or at once when its context ends); to one that
// returns it sooner, the loop asks again after a backoff (1 ms doubling to 16 ms, served
// controls meanwhile), not in a busy loop.
var ErrTickNotReady = errors.New("server: the tick is not ready")

// ErrSaveLater is what a SaveGate returns to put a save off to the next tick boundary.
var ErrSaveLater = errors.New("server: save put off by the save gate")

// hookFailed is an error from BeforeTick or EndTick: like a failed tick, it stops Run
// without the final save (the hook may have left its own state half-way).
func (s *Server) hookFailed(hook string, err error) error {
	return tickFailed{fmt.Errorf("server: %s at tick %d: %w", hook, s.w.Now(), err)}
}

// beforeTick calls Options.BeforeTick and reports whether the tick may run; on
// ErrTickNotReady it notes the wait (Stats.Waiting) and the tick does not run.
func (s *Server) beforeTick(ctx context.Context) (bool, error) {
	if s.opts.BeforeTick == nil {
		return true, nil
	}
	err := s.opts.BeforeTick(ctx, s.w)
	switch {
	case err == nil:
		s.noteWait("")
		return true, nil
	case errors.Is(err, ErrTickNotReady):
		s.noteWait(err.Error())
		return false, nil
	}
	return false, s.hookFailed("before tick", err)
}

// noteWait records why the next tick waits ("": it does not), counting each wait once.
// A tick that did not wait takes no lock here.
func (s *Server) noteWait(reason string) {
	if reason == "" && !s.waiting {
		return
	}
	s.waiting = reason != ""
	s.mu.Lock()
	defer s.mu.Unlock()
	if reason != "" && s.stats.Waiting == "" {
		s.stats.TickWaits++
		s.opts.Logger.Debug("tick waits", "tick", s.w.Now()+1, "reason", reason)
	}
	s.stats.Waiting = reason
}

// endTick calls Options.EndTick.
func (s *Server) endTick(ctx context.Context) error {
	if s.opts.EndTick == nil {
		return nil
	}
	if err := s.opts.EndTick(ctx, s.w); err != nil {
		return s.hookFailed("end of tick", err)
	}
	return nil
}

// gate asks Options.SaveGate whether the save due now may be taken. On ErrSaveLater the
// save stays due (and its SaveNow callers waiting) for the next boundary; on another error
// the save fails as a write would.
func (sv *saver) gate() bool {
	g := sv.s.opts.SaveGate
	if g == nil {
		return true
	}
	err := g(sv.s.w)
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrSaveLater):
		sv.s.opts.Logger.Debug("save put off to the next tick boundary", "tick", sv.s.w.Now(), "reason", err)
		return false
	}
	sv.due = false
	sv.inFlight, sv.waiting = sv.waiting, nil
	sv.finished(SaveResult{Path: sv.s.opts.SavePath, Tick: sv.s.w.Now(),
		Err: fmt.Errorf("server: save at tick %d refused by the save gate: %w", sv.s.w.Now(), err)})
	return false
}

// finalGate asks Options.SaveGate about the final save; any error means no final save.
func (sv *saver) finalGate() error {
	g := sv.s.opts.SaveGate
	if g == nil {
		return nil
	}
	if err := g(sv.s.w); err != nil {
		return fmt.Errorf("server: final save at tick %d not written: the save gate refused it (the last save stays): %w", sv.s.w.Now(), err)
	}
	return nil
}
