package sim

// Copy-on-first-step for saves taken off the tick goroutine (persist.Codec.Capture).
//
// Freeze marks every soft tasklet but main by setting flagFresh, which already sends a
// tasklet's next step to runSoft's general path: the fast paths pay nothing. firstOrCatch
// (and dropFrames) calls thaw first, which lets the Freezer copy the tasklet's frames
// before they can change, then restores the flag as it was. While a tasklet is frozen,
// flagFresh alone no longer says "not started": Started and Saved ask the Freezer.

// A Freezer is told before the frames of a tasklet marked by Scheduler.Freeze can change.
// Its methods run on the scheduler's thread of control.
type Freezer interface {
	// Frozen reports whether t was marked by Freeze and not yet thawed, and if so whether
	// it had started when marked. It changes nothing.
	Frozen(t *Tasklet) (frozen, started bool)
	// Thaw is called once for each marked tasklet, before its frames change or are
	// dropped, or by ThawAll; it reports what Frozen reported.
	Thaw(t *Tasklet) (frozen, started bool)
}

// Freeze marks every soft tasklet but main so that f.Thaw(t) runs once before t's next
// step, before its frames are dropped, or at the next ThawAll; in the same walk it thaws
// each tasklet of an earlier Freeze first (as ThawAll would). Freeze(nil) is ThawAll. Steps
// of unmarked tasklets cost nothing more. The precondition that makes a frozen frame
// stable is the one saves already have: a frame changes only in its own tasklet's steps.
// Until Freeze, the earlier Freezer still answers for its tasklets, so a walk of the
// tasklets (Saved, Started, Frames) before Freeze sees them as they are. FreezeTable is
// Freeze that also records the tasklets. Call it between
// ticks, on the main program. Cost: one walk of the tasklets, one byte store each (and one
// Thaw call each while an earlier Freezer is set).
func (s *Scheduler) Freeze(f Freezer) {
	if f == nil {
		s.ThawAll()
		return
	}
	s.freezeWalk(f)
}

// freezeWalk is Freeze(f): each tasklet is thawed for the earlier Freezer just before f
// marks it, so no Started or Saved in the walk needs to ask the earlier Freezer.
func (s *Scheduler) freezeWalk(f Freezer) {
	earlier := s.freezer
	s.freezer = nil
	s.Each(func(t *Tasklet) bool {
		if t.kind == Soft {
			if earlier != nil {
				thawBy(earlier, t)
			}
			t.flags |= flagFresh
		}
		return true
	})
	s.freezer = f
}

// Freezer returns the Freezer of the last Freeze or FreezeTable, or nil after
// ThawAll (or before any): the one the scheduler asks before a frozen tasklet's frames
// change. Constant time.
func (s *Scheduler) Freezer() Freezer { return s.freezer }

// ThawAll thaws every tasklet still frozen (calling the Freezer's Thaw for each) and
// forgets the Freezer. Cost: one walk of the tasklets, one Frozen call each.
func (s *Scheduler) ThawAll() {
	if s.freezer == nil {
		return
	}
	s.Each(func(t *Tasklet) bool {
		if t.kind == Soft {
			s.thaw(t)
		}
		return true
	})
	s.freezer = nil
}

// thaw lets the Freezer copy t's frames if t is frozen, and clears the borrowed flagFresh.
func (s *Scheduler) thaw(t *Tasklet) { thawBy(s.freezer, t) }

// thawBy is thaw with Freezer f.
func thawBy(f Freezer, t *Tasklet) {
	if frozen, started := f.Thaw(t); frozen && started {
		t.flags &^= flagFresh
	}
}

// frozenStarted reports whether t is frozen and had started when it was marked.
func (s *Scheduler) frozenStarted(t *Tasklet) bool {
	if s.freezer == nil {
		return false
	}
	frozen, started := s.freezer.Frozen(t)
	return frozen && started
}
