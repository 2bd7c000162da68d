// Package sim is the Stackless core of Stackworld: tasklets that run one at a time in a
// ring, talk over channels, and — for soft tasklets — can be saved while they are paused in
// the middle of their work.
//
// # The model
//
// A Scheduler holds a ring of runnable tasklets and a cursor, the current tasklet. "Append"
// means "insert just before the current tasklet": a tasklet that yields with Schedule runs
// again after everybody else. The program that created the scheduler is the main tasklet
// (Scheduler.Main); when it calls Run it becomes a watchdog: it leaves the ring, the ring
// runs until it is empty, and Run returns. Run nests, reports tasklets that die with
// unhandled errors, and can pre-empt with a step timeout (RunWith). Tick does the same
// once per tick of a lock-step clock, after waking the tasklets that slept until then.
//
// A Channel has a FIFO queue of blocked tasklets, all waiting in one direction, and a
// balance (+senders, -receivers). A send to a waiting receiver hands the value over and the
// channel's preference decides who runs next: -1 (default) the receiver, +1 the sender's
// partner on a receive, 0 nobody switches. Blocking when nobody else can run is a deadlock
// error, exactly as in Stackless. Chan[V] is the typed handle frames hold (an id).
//
// # Two kinds of tasklets
//
// Soft tasklets keep their execution state in a stack of frames: plain structs whose
// Step method runs from a resume point (t.At()) to the next suspension and returns an Op.
// Suspending operations return an Await that becomes an Op only with Then(pc), so every
// suspension names where the frame resumes:
//
//	func (f *Pinger) Step(t *sim.T) sim.Op {
//		switch t.At() {
//		case 0:
//			return f.Out.Send(t, "ping").Then(1)
//		case 1:
//			return t.Sleep(10).Then(0)
//		}
//		return t.Raise(sim.ErrBadPC)
//	}
//
// Recursion is t.Call(child).Then(pc); errors reach a frame's Catch at its resume point.
// Because a soft tasklet is data, Scheduler.Snapshot can save it anywhere it is paused —
// the persist package turns the Image into CBOR.
//
// Hard tasklets (SpawnHard) are plain Go functions that block with Wait and the package
// functions Send, Receive, Next: convenient for scripts and tests, but their state lives
// on a goroutine stack, so they are not Restorable. They run as coroutines with strict
// hand-off: exactly one tasklet runs at a time, in ring order.
//
// # Determinism
//
// The scheduler reads no clock, starts no goroutines (hard tasklets' coroutines hand off
// strictly), walks no map where order matters and uses no randomness. Ids are counters. The
// same calls in the same order give the same interleaving, the same Image and, through
// persist, the same bytes. A source check (package detcheck) keeps it so.
//
// # Errors
//
// Misuse returns errors, never panics: *StateError (an operation the tasklet's state
// forbids, e.g. inserting a blocked tasklet), *ChannelError (a failed send or receive), and
// sentinels such as ErrDeadlock, ErrTaskletExit, ErrSwitchTrap, matched with errors.Is.
// A panic in a Step or a hard tasklet ends that tasklet with a *PanicError.
package sim
