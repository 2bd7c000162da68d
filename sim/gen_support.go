package sim

// Support for the frames that `stackworld gen` writes from plain Go functions marked
// //stackworld:tasklet (package sim/taskletgen). A generated frame's Catch stashes the error
// with StashError and runs Step, whose code at that resume point takes it back (ResumeErr,
// ResumeRecv, ResumeNext) exactly where the hard version's Wait, Receive or Next returned
// it, so the source's `if err != nil` branches serve both kinds.

// stashed is an error passed from a generated frame's Catch to its Step in the tempval.
type stashed struct{ err error }

// StashError leaves err for the resume point's ResumeErr, ResumeRecv or ResumeNext, which
// the generated frame's Step runs next in the same turn. It allocates one small object; it
// is for the error path only.
func (t *Tasklet) StashError(err error) {
	t.tempval = &stashed{err}
	t.flags &^= flagBomb
}

// ResumeErr returns the error stashed by StashError and clears it, or nil when the frame
// resumed normally. It does not allocate.
func (t *Tasklet) ResumeErr() error {
	if s, ok := t.tempval.(*stashed); ok {
		t.tempval = nil
		return s.err
	}
	return nil
}

// ResumeRecv returns what Receive returns in a hard tasklet, at the resume point of a
// generated frame's Recv: the value received, or the zero V and the stashed error.
func ResumeRecv[V any](t *T) (V, error) {
	if err := t.ResumeErr(); err != nil {
		var zero V
		return zero, err
	}
	v, _ := t.TempVal().(V)
	return v, nil
}

// ResumeNext returns what Next returns in a hard tasklet, at the resume point of a
// generated frame's Next: the value and true, the zero V and false at the end of the
// iteration, or the stashed error.
func ResumeNext[V any](t *T) (V, bool, error) {
	if err := t.ResumeErr(); err != nil {
		var zero V
		return zero, false, err
	}
	v, _ := t.TempVal().(V)
	return v, t.flags&flagNotOK == 0, nil
}

// ReturnError pops the top frame of a generated frame whose function returned err: a
// frame called by another returns normally (the caller reads err from its fields), but the
// bottom frame raises a non-nil err, which ends the tasklet with it, as a hard tasklet's
// function returning err does. A caller reads err with ResumeErr at its Call's resume point.
func (t *Tasklet) ReturnError(err error) Op {
	if err == nil {
		return Op{cg: uint32(opReturn)}
	}
	if t.Depth() == 1 {
		return t.Raise(err)
	}
	t.StashError(err) // the caller's ResumeErr takes it
	return Op{cg: uint32(opReturn)}
}
