package sim

import (
	"errors"
	"math"
)

// PC is a resume point inside a frame, like Stackless's f_lasti. A frame's resume points
// are part of the save format: number them explicitly and never reuse a number.
type PC uint32

// A Frame is one activation record of a soft tasklet: a plain struct whose exported fields
// are all the state that must survive a suspension. Step runs the frame from t.At() to its
// next suspension point and says what happens next.
//
// A Step must return an Op: t.Goto(pc) to continue at another resume point, an Await's
// Then(pc) to suspend (schedule, sleep, call a child, send, receive, switch, ...), or
// t.Return(), t.ReturnValue(v), t.Exit(), t.Raise(err) to finish. Non-blocking calls
// (TrySend, TryRecv, Spawn, Insert, queries) may be made freely inside a step.
type Frame interface {
	Step(t *T) Op
}

// A Catcher is a Frame that handles errors raised at its resume point: a failed operation,
// a Kill or Throw, an error from a child frame. Catch returns the next Op like Step does
// (t.Raise(err) passes the error on). Frames that are not Catchers are popped and the error
// goes to the frame below, as in Python where most functions have no try.
type Catcher interface {
	Frame
	Catch(t *T, err error) Op
}

// An Op is what a step returns: the scheduler's next move for the tasklet. Making an Op
// changes nothing; the scheduler carries it out when the step returns it. The zero Op is
// invalid (the tasklet fails with ErrZeroOp).
//
// An Op made by Await.Then carries the whole operation, in at most 32 bytes and four
// fields: the most the compiler keeps in registers. So the common moves (yield, send,
// receive) cost no call and no memory traffic until the scheduler acts on them.
type Op struct {
	v  any    // Then: the Await's value
	w  uint64 // Then: resume point (low 32 bits) and the Await's 32-bit argument (high)
	id uint32 // Then: the low 32 bits of the ID of the tasklet the Await was made for (the stepping one)
	c  opCode
}

type opCode uint8

const (
	opNone   opCode = iota
	opStep          // run the same tasklet's top frame again (Goto, Call, failed op)
	opReturn        // pop the top frame
	opExit          // end the tasklet
	opRaise         // pop the top frame and raise the pending error below it
	opAwait         // opAwait + awaitKind: an Await's Then
)

// Op codes of the awaits that runSoft carries out on its fast paths.
const (
	opSchedule = opAwait + opCode(awSchedule)
	opSend     = opAwait + opCode(awSend)
	opRecv     = opAwait + opCode(awRecv)
)

// Goto continues the frame at pc in the same turn (a loop or a jump). It counts as a step
// for budgets and timeouts.
func (t *Tasklet) Goto(pc PC) Op {
	t.pc = pc
	return Op{c: opStep}
}

// Return pops the top frame; the frame below resumes where its Call said. Returning from
// the bottom frame ends the tasklet.
func (t *Tasklet) Return() Op { return Op{c: opReturn} }

// ReturnValue pops the top frame and leaves v in the tempval, where the caller reads it
// with t.Value().
func (t *Tasklet) ReturnValue(v any) Op {
	t.tempval = v
	t.flags &^= flagBomb
	return Op{c: opReturn}
}

// Exit ends the tasklet at once, whatever frames are below.
func (t *Tasklet) Exit() Op { return Op{c: opExit} }

// Raise pops the top frame and raises err at the resume point of the frame below (its
// Catch, if it has one). Raising from the bottom frame ends the tasklet with err.
func (t *Tasklet) Raise(err error) Op {
	if err == nil {
		err = ErrNilError
	}
	t.setBomb(err)
	return Op{c: opRaise}
}

// Child returns the frame that returned to the running frame last, as its concrete type
// (its fields are the results), or the zero F if it is of another type.
func Child[F Frame](t *T) F {
	var f F
	f, _ = t.x.child.(F)
	return f
}

func (t *Tasklet) setBomb(err error) {
	t.tempval = &bomb{err}
	t.flags |= flagBomb
}

func (t *Tasklet) takeBomb() error {
	if t.flags&flagBomb == 0 {
		return nil
	}
	b := t.tempval.(*bomb)
	t.tempval = nil
	t.flags &^= flagBomb
	return b.err
}

// An Await is a suspending operation that has not happened yet. In a soft tasklet's Step,
// Then(pc) turns it into the Op to return (the scheduler performs it when the step returns)
// and names the resume point; in the main tasklet or a hard tasklet, Wait performs it and
// blocks until the tasklet runs again. Dropping an Await does nothing.
//
// An Await is 32 bytes in four fields, so that the compiler keeps it in registers.
type Await struct {
	t    *Tasklet
	v    any    // value, child frame, target tasklet, error, options; RecvFor's ticks
	arg  uint32 // channel id, or the ticks of a Sleep
	kind awaitKind
}

// ticks returns the ticks of a Sleep or a RecvFor.
func (a Await) ticks() uint64 {
	if r, ok := a.v.(*recvForRef); ok && a.kind == awRecvFor {
		return r.ticks
	}
	return uint64(a.arg)
}

type awaitKind uint8

const (
	awNone awaitKind = iota
	awFail
	awSchedule
	awScheduleRemove
	awSleep
	awCall
	awSend
	awSendErr
	awRecv
	awNext
	awRecvFor
	awRun
	awSwitch
	awThrow
	awWatch
	awScheduleValue
)

var awaitNames = [...]string{"none", "fail", "schedule", "schedule-remove", "sleep", "call", "send", "send", "receive", "receive", "receive", "run", "switch", "throw", "run", "schedule"}

// Then returns the Op that performs the operation when the step returns it, on behalf of
// the stepping soft tasklet, and makes pc the frame's resume point. If the operation fails,
// the error is raised at pc (see Catcher). Return the Op at once: an Op that is not
// returned does nothing. An Await made for another tasklet raises ErrNotCurrent.
func (a Await) Then(pc PC) Op {
	op := Op{v: a.v, w: uint64(pc) | uint64(a.arg)<<32, c: opAwait + opCode(a.kind)}
	if a.t != nil {
		op.id = a.t.id
	}
	return op
}

// await turns an Op made by Then back into its Await for t.
func (op Op) await(t *Tasklet) Await {
	return Await{t: t, v: op.v, arg: uint32(op.w >> 32), kind: awaitKind(op.c - opAwait)}
}

// pc returns the resume point an Op made by Then names.
func (op Op) pc() PC { return PC(op.w) }

// Wait performs the operation on behalf of the main tasklet or a hard tasklet and returns
// when that tasklet runs again, with the error raised at its resumption (nil normally). The
// main tasklet's Wait runs the other tasklets until it is resumed.
func (a Await) Wait() error {
	// Wait is small enough to be inlined: a hard tasklet's Wait is then no frame of its own
	// between the tasklet's code and its coroutine's yield. A coroutine switch is followed by
	// returns that are all mispredicted, one per frame there (see coroutine; guarded by
	// BenchmarkHardSwitch). The tasklet's wait function does the work: see extra.wait.
	if a.t == nil {
		return errWaitZero
	}
	if !a.t.x.wait(a) {
		panic(unwind{}) // the scheduler was closed: the hard tasklet's function unwinds
	}
	return a.t.x.werr
}

var errWaitZero = errors.New("sim: Wait on the zero Await")

// waitOther is the wait function of soft tasklets (and of hard ones that ended): they cannot
// Wait.
func waitOther(a Await) bool {
	a.t.x.werr = a.waitErr()
	return true
}

// waitErr says why Wait cannot perform a.
func (a Await) waitErr() error {
	t := a.t
	s := t.x.s
	switch {
	case s.closed:
		return ErrClosedScheduler
	case t.kind == Soft:
		return wrapf(ErrWrongKind, "%s.Wait by soft tasklet %d (use .Then(pc) in its Step)", awaitNames[a.kind], t.ID())
	case s.current != t:
		return wrapf(ErrNotCurrent, "%s.Wait by tasklet %d while tasklet %d runs", awaitNames[a.kind], t.ID(), s.current.ID())
	case t.kind == Main && s.inLoop:
		return wrapf(ErrInLoop, "%s.Wait by the main tasklet (call it from plain Go code, not from a Step)", awaitNames[a.kind])
	}
	return wrapf(ErrWrongKind, "Call by tasklet %d (only soft tasklets have frames)", t.ID())
}

func failed(t *Tasklet, err error) Await { return Await{t: t, v: err, kind: awFail} }

// Schedule yields: the tasklet goes to the end of the ring and the next one runs.
// With nothing else runnable it continues at once.
func (t *Tasklet) Schedule() Await { return Await{t: t, kind: awSchedule} }

// ScheduleValue yields like Schedule but leaves v in the tasklet's value slot, where others
// may read it meanwhile (TempVal) and where the tasklet finds it when it resumes (Value; or
// what SetTempVal put there since): Stackless's schedule(retval). Schedule is
// ScheduleValue(nil), on a faster path. With nothing else runnable it continues at once,
// with v.
func (t *Tasklet) ScheduleValue(v any) Await { return Await{t: t, v: v, kind: awScheduleValue} }

// ScheduleRemove yields and pauses the tasklet, leaving v in its tempval; somebody must
// Insert it again. Resumed, it finds in Value() whatever the tempval holds then.
func (t *Tasklet) ScheduleRemove(v any) Await { return Await{t: t, v: v, kind: awScheduleRemove} }

// Sleep parks the tasklet until tick Now()+n. Sleep(0) is Schedule. n is capped at
// 2^32-1 ticks (over two years at 60 ticks a second).
func (t *Tasklet) Sleep(n int) Await {
	if n <= 0 {
		return t.Schedule()
	}
	return Await{t: t, arg: uint32(min(n, math.MaxUint32)), kind: awSleep}
}

// NextTick parks the tasklet until the next tick: Sleep(1).
func (t *Tasklet) NextTick() Await { return t.Sleep(1) }

// Call pushes child on the tasklet's frame stack and runs it; when it returns, the caller
// resumes at the pc given to Then and finds the child with sim.Child.
func (t *Tasklet) Call(child Frame) Await { return Await{t: t, v: child, kind: awCall} }

// Watch makes t a watchdog, like Stackless's run(): t leaves the ring and the other
// tasklets run until the ring is empty, a tasklet fails with an unhandled error (raised in
// t), or opts' timeout interrupts one (left in t's tempval as a *Tasklet).
func (t *Tasklet) Watch(opts RunOptions) Await { return Await{t: t, v: opts, kind: awWatch} }

// Run switches to t at once (inserting it at the end of the ring if it was paused); the
// caller stays runnable and resumes after t's ring successors.
func (t *Tasklet) Run(caller *T) Await { return Await{t: caller, v: t, kind: awRun} }

// Switch is Run, but the caller is paused (removed from the ring) in the same move.
func (t *Tasklet) Switch(caller *T) Await { return Await{t: caller, v: t, kind: awSwitch} }

// Kill raises ErrTaskletExit in t and switches to it at once: a blocked t leaves its
// channel, a paused one is inserted. Killing a dead tasklet does nothing; a tasklet that
// never started dies without running.
func (t *Tasklet) Kill(caller *T) Await { return t.Throw(caller, ErrTaskletExit) }

// Throw raises err in t and switches to it at once (Stackless: throw and
// raise_exception). Throwing to the caller itself raises err at its resume point.
func (t *Tasklet) Throw(caller *T, err error) Await {
	return Await{t: caller, v: throwArgs{t, err}, kind: awThrow}
}

type throwArgs struct {
	target *Tasklet
	err    error
}
