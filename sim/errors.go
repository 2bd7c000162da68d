package sim

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Match them with errors.Is; the messages of wrapping errors name the
// tasklet or channel involved.
var (
	// ErrDeadlock is returned when the last runnable tasklet tries to block and no watchdog
	// (a Run or Tick caller) is waiting to take over. The caller is not queued.
	ErrDeadlock = errors.New("sim: deadlock: the last runnable tasklet cannot be blocked")

	// ErrMainReceiving is delivered to the main tasklet, blocked receiving, when the last
	// other runnable tasklet ends. It matches ErrDeadlock too.
	ErrMainReceiving error = deadlockError("sim: deadlock: the main tasklet is receiving without a sender available")

	// ErrMainSending is ErrMainReceiving's counterpart for a blocked send.
	ErrMainSending error = deadlockError("sim: deadlock: the main tasklet is sending without a receiver available")

	// ErrSystemExit is the parent of ErrTaskletExit, as SystemExit is TaskletExit's base in Python.
	ErrSystemExit = errors.New("sim: system exit")

	// ErrTaskletExit is raised in a tasklet by Kill. A tasklet that lets it escape ends
	// silently. errors.Is(ErrTaskletExit, ErrSystemExit) is true.
	ErrTaskletExit error = taskletExit{}

	// ErrStopIteration ends an iteration over a channel when sent with SendError; Next
	// reports it as ok == false instead of an error.
	ErrStopIteration = errors.New("sim: stop iteration")

	// ErrClosed: a send or receive would block on a closing channel.
	ErrClosed = errors.New("sim: send/receive operation on a closed channel")

	// ErrBlockTrap: the tasklet has BlockTrap set and the operation would block.
	ErrBlockTrap = errors.New("sim: this tasklet does not like to be blocked")

	// ErrSwitchTrap: the scheduler's switch trap is set and the operation would switch.
	ErrSwitchTrap = errors.New("sim: switch_trap: switching is forbidden")

	// ErrBadPC is what a frame raises when Step finds a resume point it does not know.
	ErrBadPC = errors.New("sim: frame resumed at an unknown resume point")

	// ErrNotCurrent: an operation was made on behalf of a tasklet that is not running.
	ErrNotCurrent = errors.New("sim: the tasklet is not the current tasklet")

	// ErrWrongKind: a soft tasklet called a blocking (Wait) operation, or a hard tasklet or
	// main returned an Await as an Op.
	ErrWrongKind = errors.New("sim: operation not available to this kind of tasklet")

	// ErrInLoop: the main tasklet's blocking API was called while the scheduler was already
	// running tasklets (for example from inside a Step).
	ErrInLoop = errors.New("sim: the scheduler is already running tasklets")

	// ErrClosedScheduler: the scheduler was closed.
	ErrClosedScheduler = errors.New("sim: scheduler is closed")

	// ErrZeroOp: a Step returned the zero Op.
	ErrZeroOp = errors.New("sim: step returned the zero Op (return t.Goto, t.Return, an Await's Then, ...)")
)

// errIDsExhausted is the panic of a spawn past MaxID, which no world lives to see.
var errIDsExhausted = errors.New("sim: tasklet ids exhausted (MaxID)")

// Reasons carried by StateError, one per Stackless RuntimeError message.
var (
	ErrRunBlocked       = errors.New("sim: you cannot run a blocked tasklet")
	ErrRunDead          = errors.New("sim: you cannot run an unbound(dead) tasklet")
	ErrRemoveBlocked    = errors.New("sim: you cannot remove a blocked tasklet")
	ErrRemoveCurrent    = errors.New("sim: the current tasklet cannot be removed")
	ErrBindCurrent      = errors.New("sim: can't (re)bind the current tasklet")
	ErrBindScheduled    = errors.New("sim: tasklet is scheduled")
	ErrBindMain         = errors.New("sim: can't unbind the main tasklet")
	ErrHasCState        = errors.New("sim: tasklet has C state on its stack (hard tasklets cannot be rebound)")
	ErrAlive            = errors.New("sim: tasklet is alive")
	ErrNotBound         = errors.New("sim: the tasklet was not bound to a function")
	ErrThrowDead        = errors.New("sim: you cannot throw to a dead tasklet")
	ErrNilError         = errors.New("sim: exceptions must be non-nil errors")
	ErrMainCannotSleep  = errors.New("sim: the main tasklet cannot sleep; call Tick instead")
	ErrForeignScheduler = errors.New("sim: the tasklet belongs to another scheduler")
	ErrNotRestorable    = errors.New("sim: tasklet is not restorable (hard tasklets keep their state on a goroutine stack)")
)

// A StateError reports an operation that a tasklet's state does not allow.
type StateError struct {
	Op      string // "insert", "remove", "run", "bind", ...
	Tasklet ID
	State   State
	Reason  error // one of the Err* reasons above
}

func (e *StateError) Error() string {
	return fmt.Sprintf("sim: %s tasklet %d (%s): %s", e.Op, e.Tasklet, e.State, reason(e.Reason))
}

// Unwrap returns the reason, so errors.Is(err, sim.ErrRunBlocked) works.
func (e *StateError) Unwrap() error { return e.Reason }

// A ChannelError reports a channel operation that failed.
type ChannelError struct {
	Op      string // "send" or "receive"
	Channel ChanID
	Tasklet ID
	Reason  error
}

func (e *ChannelError) Error() string {
	return fmt.Sprintf("sim: %s on channel %d by tasklet %d: %s", e.Op, e.Channel, e.Tasklet, reason(e.Reason))
}

// Unwrap returns the reason.
func (e *ChannelError) Unwrap() error { return e.Reason }

// A PanicError is what a hard tasklet or a step that panicked dies with.
type PanicError struct {
	Tasklet ID
	Value   any
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("sim: tasklet %d panicked: %v", e.Tasklet, e.Value)
}

// A TaskletError is an unhandled error that ended a tasklet, as Run, Tick or a blocking
// call of the main tasklet return it. It alone names the tasklet: "sim: tasklet 7: ...".
type TaskletError struct {
	Tasklet ID
	Err     error
}

func (e *TaskletError) Error() string {
	return fmt.Sprintf("sim: tasklet %d: %s", e.Tasklet, reason(e.Err))
}

// Unwrap returns the tasklet's error.
func (e *TaskletError) Unwrap() error { return e.Err }

type deadlockError string

func (e deadlockError) Error() string        { return string(e) }
func (e deadlockError) Is(target error) bool { return target == ErrDeadlock }

type taskletExit struct{}

func (taskletExit) Error() string        { return "sim: tasklet exit" }
func (taskletExit) Is(target error) bool { return target == ErrSystemExit }

func stateErr(op string, t *Tasklet, reason error) error {
	return &StateError{Op: op, Tasklet: t.ID(), State: t.state, Reason: reason}
}

// reason returns err's message without the package prefix, for errors that wrap it in a
// message of their own that has one ("sim: send on channel 3 by tasklet 7: deadlock: ...").
func reason(err error) string {
	if err == nil {
		return "<nil>"
	}
	return strings.TrimPrefix(err.Error(), "sim: ")
}

// wrapError is an error in the words of its context (what was done, by whom) followed by
// the reason it wraps, prefixed once: "sim: Call by tasklet 7: only soft tasklets ...".
type wrapError struct {
	context string
	err     error
}

// wrapf returns err with the context format, a... ahead of it (see wrapError).
func wrapf(err error, format string, a ...any) error {
	return &wrapError{fmt.Sprintf(format, a...), err}
}

func (e *wrapError) Error() string { return "sim: " + e.context + ": " + reason(e.err) }

// Unwrap returns the reason.
func (e *wrapError) Unwrap() error { return e.err }
