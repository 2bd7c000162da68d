package sim_test

// One test per behavioural case of /work/shared/spec/stackless-semantics.md §5. Each test is
// the case's Python program translated to the sim API; it records what the program prints in
// a []string and compares the whole output with the expected text of §5. Where the Go output
// must differ (Go error messages, a Python construct with no Go counterpart), a comment in
// the test says why.
//
// Cases run with soft tasklets (frames) and, where it makes sense, again with hard tasklets
// (Go funcs), as subtests "soft" and "hard" sharing the expected text.
//
// Translation rules: exceptions are error values (a *pyError stands for a Python exception
// instance); `try/except` in a frame is a Catch method; `finally` is a Catch that logs and
// re-raises with t.Raise(err) (in a hard tasklet: defer); stackless.run(n) is
// s.RunWith(sim.RunOptions{Timeout: n}) where one Step is one interpreter tick.

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// ---- helpers ----

// lines collects what a translated program prints.
type lines struct{ out []string }

func (l *lines) printf(format string, a ...any) { l.out = append(l.out, fmt.Sprintf(format, a...)) }

func (l *lines) text() string { return strings.Join(l.out, "\n") + "\n" }

// forKinds runs program once with soft tasklets and once with hard ones (subtests "soft" and
// "hard"); each run must print exactly want.
func forKinds(t *testing.T, want string, program func(t *testing.T, s *sim.Scheduler, k sim.Kind, l *lines)) {
	t.Helper()
	for _, k := range []sim.Kind{sim.Soft, sim.Hard} {
		t.Run(k.String(), func(t *testing.T) {
			s, l := newProgram(t)
			program(t, s, k, l)
			require.Equal(t, want, l.text())
		})
	}
}

// newProgram returns a fresh scheduler (closed when the test ends) and an empty output.
func newProgram(t *testing.T) (*sim.Scheduler, *lines) {
	t.Helper()
	s := sim.NewScheduler(sim.Options{})
	t.Cleanup(s.Close)
	return s, &lines{}
}

// spawn appends a soft tasklet running f or a hard one running fn to the ring, as k says:
// the two bodies are the same Python function written both ways.
func spawn(s *sim.Scheduler, k sim.Kind, f sim.Frame, fn sim.HardFunc) *sim.Tasklet {
	if k == sim.Hard {
		return s.SpawnHard(fn)
	}
	return s.Spawn(f)
}

// say is `lambda: print(msg)` (or `lambda: None` when msg is empty), soft or hard.
func say(s *sim.Scheduler, k sim.Kind, l *lines, msg string) *sim.Tasklet {
	return spawn(s, k, &sayFrame{l: l, Msg: msg}, func(*sim.Tasklet) error {
		if msg != "" {
			l.printf("%s", msg)
		}
		return nil
	})
}

type sayFrame struct {
	l   *lines
	Msg string
}

func (f *sayFrame) Step(t *sim.T) sim.Op {
	if f.Msg != "" {
		f.l.printf("%s", f.Msg)
	}
	return t.Return()
}

// raiser is `def f(): print(msg); raise err`, soft or hard.
func raiser(s *sim.Scheduler, k sim.Kind, l *lines, msg string, err error) *sim.Tasklet {
	return spawn(s, k, &raiseFrame{l: l, Msg: msg, Err: err}, func(*sim.Tasklet) error {
		if msg != "" {
			l.printf("%s", msg)
		}
		return err
	})
}

type raiseFrame struct {
	l   *lines
	Msg string
	Err error
}

func (f *raiseFrame) Step(t *sim.T) sim.Op {
	if f.Msg != "" {
		f.l.printf("%s", f.Msg)
	}
	return t.Raise(f.Err)
}

// pyError stands for a Python exception instance: its class name and its args.
type pyError struct {
	Class string
	Args  []any
}

func pyErr(class string, args ...any) *pyError { return &pyError{Class: class, Args: args} }

func (e *pyError) Error() string { return e.Class + ": " + e.str() }

// str is Python's str(e).
func (e *pyError) str() string {
	switch {
	case len(e.Args) == 0:
		return ""
	case len(e.Args) == 1 && e.Class == "KeyError":
		return pyRepr(e.Args[0])
	case len(e.Args) == 1:
		return fmt.Sprint(e.Args[0])
	}
	return e.args()
}

// repr is Python's repr(e).
func (e *pyError) repr() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = pyRepr(a)
	}
	return e.Class + "(" + strings.Join(parts, ", ") + ")"
}

// args is Python's repr(e.args).
func (e *pyError) args() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = pyRepr(a)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func pyRepr(v any) string {
	if s, ok := v.(string); ok {
		return "'" + s + "'"
	}
	return fmt.Sprint(v)
}

// asPy returns the *pyError in err's chain, or fails the test.
func asPy(t *testing.T, err error) *pyError {
	t.Helper()
	var e *pyError
	require.ErrorAs(t, err, &e)
	return e
}

// py formats a bool as Python prints it.
func py(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// none formats a Python value that is None when isNil, else some object.
func none(isNil bool) string {
	if isNil {
		return "None"
	}
	return "set"
}

// pyTasklet formats a tasklet that may be None.
func pyTasklet(x *sim.Tasklet) string {
	if x == nil {
		return "None"
	}
	return x.String()
}

// b01 formats a bool as Python's %d does.
func b01(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ---- case 1 ----

type c1Worker struct {
	l    *lines
	Name string
	N, I int
}

func (w *c1Worker) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0: // for i in range(n): print(name, i); stackless.schedule()
		if w.I < w.N {
			w.l.printf("%s %d", w.Name, w.I)
			w.I++
			return t.Schedule().Then(0)
		}
		w.l.printf("%s done", w.Name)
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// Spec: case 1, §0, §3.1 (schedule, getruncount)
func TestCase01ScheduleRoundRobin(t *testing.T) {
	const want = `runcount before run: 4
A 0
B 0
C 0
A 1
B 1
C done
A done
B 2
B done
runcount after run: 1
`
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind, l *lines) {
		worker := func(name string, n int) {
			spawn(s, k, &c1Worker{l: l, Name: name, N: n}, func(h *sim.Tasklet) error {
				for i := range n {
					l.printf("%s %d", name, i)
					if err := h.Schedule().Wait(); err != nil {
						return err
					}
				}
				l.printf("%s done", name)
				return nil
			})
		}
		worker("A", 2)
		worker("B", 3)
		worker("C", 1)
		l.printf("runcount before run: %d", s.RunCount())
		require.NoError(t, s.Run())
		l.printf("runcount after run: %d", s.RunCount())
	})
}

// ---- case 2 ----

type c2Receiver struct {
	l  *lines
	Ch sim.Chan[string]
}

func (f *c2Receiver) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		f.l.printf("  R: waiting")
		return f.Ch.Recv(t).Then(1)
	case 1:
		f.l.printf("  R: got %s", f.Ch.Got(t))
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

type c2Sender struct {
	l  *lines
	Ch sim.Chan[string]
}

func (f *c2Sender) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		f.l.printf("  S: sending")
		return f.Ch.Send(t, "v").Then(1)
	case 1:
		f.l.printf("  S: send returned")
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// Spec: case 2, §2.2 (preference -1/0/+1)
func TestCase02ChannelPreference(t *testing.T) {
	const want = `pref -1 - main sends to a blocked receiver
  R: waiting
  balance -1
  R: got v
  main: send returned
pref -1 - main receives from a blocked sender
  S: sending
  balance 1
  main: received v
  S: send returned
pref 0 - main sends to a blocked receiver
  R: waiting
  balance -1
  main: send returned
  R: got v
pref 0 - main receives from a blocked sender
  S: sending
  balance 1
  main: received v
  S: send returned
pref 1 - main sends to a blocked receiver
  R: waiting
  balance -1
  main: send returned
  R: got v
pref 1 - main receives from a blocked sender
  S: sending
  balance 1
  S: send returned
  main: received v
`
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind, l *lines) {
		m := s.Main()
		receiver := func(ch sim.Chan[string]) {
			spawn(s, k, &c2Receiver{l: l, Ch: ch}, func(h *sim.Tasklet) error {
				l.printf("  R: waiting")
				v, err := sim.Receive(h, ch)
				if err != nil {
					return err
				}
				l.printf("  R: got %s", v)
				return nil
			})
		}
		sender := func(ch sim.Chan[string]) {
			spawn(s, k, &c2Sender{l: l, Ch: ch}, func(h *sim.Tasklet) error {
				l.printf("  S: sending")
				if err := sim.Send(h, ch, "v"); err != nil {
					return err
				}
				l.printf("  S: send returned")
				return nil
			})
		}
		for _, pref := range []int{-1, 0, 1} {
			l.printf("pref %d - main sends to a blocked receiver", pref)
			ch := sim.NewChan[string](s)
			ch.In(s).SetPreference(pref)
			receiver(ch)
			require.NoError(t, s.Run()) // R blocks
			l.printf("  balance %d", ch.In(s).Balance())
			require.NoError(t, sim.Send(m, ch, "v"))
			l.printf("  main: send returned")
			require.NoError(t, s.Run()) // run whatever is still runnable
			l.printf("pref %d - main receives from a blocked sender", pref)
			sender(ch)
			require.NoError(t, s.Run()) // S blocks
			l.printf("  balance %d", ch.In(s).Balance())
			v, err := sim.Receive(m, ch)
			require.NoError(t, err)
			l.printf("  main: received %s", v)
			require.NoError(t, s.Run())
		}
	})
}

// ---- case 4 ----

type c4Sender struct {
	l  *lines
	Ch sim.Chan[string]
	V  string
}

func (f *c4Sender) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return f.Ch.Send(t, f.V).Then(1)
	case 1:
		f.l.printf("sender %s unblocked", f.V)
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

type c4Receiver struct {
	l  *lines
	Ch sim.Chan[string]
	N  int
}

func (f *c4Receiver) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return f.Ch.Recv(t).Then(1)
	case 1:
		f.l.printf("receiver %d got %s", f.N, f.Ch.Got(t))
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// Spec: case 4, §2.1–2.2 (balance, FIFO queue order)
func TestCase04BalanceFIFO(t *testing.T) {
	const want = `balance 3 queue head is first sender: True
main got a balance now 2
main got b balance now 1
main got c balance now 0
sender a unblocked
sender b unblocked
sender c unblocked
balance -2
receiver 1 got p
receiver 2 got q
balance 0 queue None
`
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind, l *lines) {
		m := s.Main()
		ch := sim.NewChan[string](s)
		c := ch.In(s)
		var senders []*sim.Tasklet
		for _, v := range []string{"a", "b", "c"} {
			senders = append(senders, spawn(s, k, &c4Sender{l: l, Ch: ch, V: v}, func(h *sim.Tasklet) error {
				if err := sim.Send(h, ch, v); err != nil {
					return err
				}
				l.printf("sender %s unblocked", v)
				return nil
			}))
		}
		require.NoError(t, s.Run())
		// Python only checks `ch.queue is not None`; the Go test checks the head is the first sender.
		l.printf("balance %d queue head is first sender: %s", c.Balance(), py(c.Head() == senders[0]))
		for range 3 {
			v, err := sim.Receive(m, ch)
			require.NoError(t, err)
			l.printf("main got %s balance now %d", v, c.Balance())
		}
		require.NoError(t, s.Run())

		for _, n := range []int{1, 2} {
			spawn(s, k, &c4Receiver{l: l, Ch: ch, N: n}, func(h *sim.Tasklet) error {
				v, err := sim.Receive(h, ch)
				if err != nil {
					return err
				}
				l.printf("receiver %d got %s", n, v)
				return nil
			})
		}
		require.NoError(t, s.Run())
		l.printf("balance %d", c.Balance())
		require.NoError(t, sim.Send(m, ch, "p"))
		require.NoError(t, sim.Send(m, ch, "q"))
		queue := "None"
		if c.Head() != nil {
			queue = c.Head().String()
		}
		l.printf("balance %d queue %s", c.Balance(), queue)
	})
}

// ---- case 5 ----

// c5Waiter is
//
//	def waiter():
//	    try:
//	        print("waiter: receiving"); ch.receive(); print("waiter: not reached")
//	    except TaskletExit as e:
//	        print("waiter: got", ...); raise
//	    finally:
//	        print("waiter: finally")
type c5Waiter struct {
	l  *lines
	Ch sim.Chan[any]
}

func (f *c5Waiter) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		f.l.printf("waiter: receiving")
		return f.Ch.Recv(t).Then(1)
	case 1:
		f.l.printf("waiter: not reached")
		f.l.printf("waiter: finally")
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

func (f *c5Waiter) Catch(t *sim.T, err error) sim.Op {
	if errors.Is(err, sim.ErrTaskletExit) {
		f.l.printf("waiter: got TaskletExit isinstance SystemExit: %s", py(errors.Is(err, sim.ErrSystemExit)))
	}
	f.l.printf("waiter: finally")
	return t.Raise(err)
}

// Spec: case 5, §1.3 (kill, operations on a dead tasklet)
func TestCase05KillBlocked(t *testing.T) {
	const want = `waiter: receiving
blocked True alive True scheduled True balance -1
waiter: got TaskletExit isinstance SystemExit: True
waiter: finally
after kill: blocked False alive False scheduled False balance 0
second kill ok
insert dead: sim: insert tasklet 2 (dead): you cannot run an unbound(dead) tasklet
run dead: sim: run tasklet 2 (dead): you cannot run an unbound(dead) tasklet
throw dead: sim: throw tasklet 2 (dead): you cannot throw to a dead tasklet
raise_exception dead: sim: throw tasklet 2 (dead): you cannot throw to a dead tasklet
`
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind, l *lines) {
		m := s.Main()
		ch := sim.NewChan[any](s)
		w := spawn(s, k, &c5Waiter{l: l, Ch: ch}, func(h *sim.Tasklet) error {
			defer l.printf("waiter: finally")
			l.printf("waiter: receiving")
			if _, err := sim.Receive(h, ch); err != nil {
				if errors.Is(err, sim.ErrTaskletExit) {
					l.printf("waiter: got TaskletExit isinstance SystemExit: %s", py(errors.Is(err, sim.ErrSystemExit)))
				}
				return err
			}
			l.printf("waiter: not reached")
			return nil
		})
		c := ch.In(s)
		require.NoError(t, s.Run())
		l.printf("blocked %s alive %s scheduled %s balance %d", py(w.Blocked()), py(w.Alive()), py(w.Scheduled()), c.Balance())
		require.NoError(t, w.Kill(m).Wait())
		l.printf("after kill: blocked %s alive %s scheduled %s balance %d", py(w.Blocked()), py(w.Alive()), py(w.Scheduled()), c.Balance())
		require.NoError(t, w.Kill(m).Wait()) // killing a dead tasklet is a no-op
		l.printf("second kill ok")
		require.Equal(t, sim.StateDead, w.State())

		// Python prints the RuntimeError's message; Go prints the whole *sim.StateError,
		// whose reason is the Stackless message.
		check := func(label string, err, reason error) {
			require.ErrorIs(t, err, reason, label)
			var se *sim.StateError
			require.ErrorAs(t, err, &se, label)
			require.Equal(t, w.ID(), se.Tasklet, label)
			l.printf("%s: %v", label, err)
		}
		check("insert dead", w.Insert(), sim.ErrRunDead)
		check("run dead", w.Run(m).Wait(), sim.ErrRunDead)
		check("throw dead", w.Throw(m, pyErr("ValueError")).Wait(), sim.ErrThrowDead)
		// raise_exception(cls, *args) is throw(cls(*args)) in Go.
		check("raise_exception dead", w.Throw(m, pyErr("ValueError", "x")).Wait(), sim.ErrThrowDead)
	})
}

// ---- case 7 ----

type c7Looper struct {
	l    *lines
	Name string
	I    int
}

func (f *c7Looper) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		if f.I < 3 {
			f.l.printf("%s %d", f.Name, f.I)
			f.I++
			return t.Schedule().Then(0)
		}
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// Spec: case 7, §1.5 (uncaught errors go to the watchdog or main; error handler)
func TestCase07UncaughtErrors(t *testing.T) {
	const want = `L 0
bad: raising
main: run() raised ValueError boom
bad alive False looper alive True runcount 2
L 1
L 2
looper alive False
main: schedule() raised KeyError 'k'
runcount 2
other runs
main: receive() raised ZeroDivisionError mumbai
TaskletExit was silent
previous handler: None
bad: raising
handler got ValueError boom in tasklet True
run() returned normally
`
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind, l *lines) {
		m := s.Main()
		looper := spawn(s, k, &c7Looper{l: l, Name: "L"}, func(h *sim.Tasklet) error {
			for i := range 3 {
				l.printf("L %d", i)
				if err := h.Schedule().Wait(); err != nil {
					return err
				}
			}
			return nil
		})
		bad := raiser(s, k, l, "bad: raising", pyErr("ValueError", "boom"))

		// The error reaches main as a *sim.TaskletError naming the tasklet that died.
		raisedBy := func(err error, who *sim.Tasklet) *pyError {
			var te *sim.TaskletError
			require.ErrorAs(t, err, &te)
			require.Equal(t, who.ID(), te.Tasklet)
			return asPy(t, err)
		}
		e := raisedBy(s.Run(), bad)
		l.printf("main: run() raised %s %s", e.Class, e.str())
		l.printf("bad alive %s looper alive %s runcount %d", py(bad.Alive()), py(looper.Alive()), s.RunCount())
		require.NoError(t, s.Run())
		l.printf("looper alive %s", py(looper.Alive()))

		// main is merely scheduled (calls schedule()): the error surfaces there at once,
		// before the next runnable tasklet gets its turn.
		bad2 := raiser(s, k, l, "", pyErr("KeyError", "k"))
		say(s, k, l, "other runs")
		e = raisedBy(s.Schedule(), bad2)
		l.printf("main: schedule() raised %s %s", e.Class, e.str())
		l.printf("runcount %d", s.RunCount())
		require.NoError(t, s.Run())

		// main is blocked on a channel: the error is raised by main's receive().
		bad3 := raiser(s, k, l, "", pyErr("ZeroDivisionError", "mumbai"))
		_, err := sim.Receive(m, sim.NewChan[any](s))
		e = raisedBy(err, bad3)
		l.printf("main: receive() raised %s %s", e.Class, e.str())

		// TaskletExit ends a tasklet silently.
		raiser(s, k, l, "", sim.ErrTaskletExit)
		require.NoError(t, s.Run())
		l.printf("TaskletExit was silent")

		// set_error_handler: uncaught tasklet errors go to the handler instead of main.
		var bad4 *sim.Tasklet
		old := s.SetErrorHandler(func(dying *sim.Tasklet, err error) error {
			require.Same(t, bad4, dying)
			e := asPy(t, err)
			l.printf("handler got %s %s in tasklet %s", e.Class, e.str(), py(s.Current() != s.Main()))
			return nil
		})
		l.printf("previous handler: %s", none(old == nil))
		bad4 = raiser(s, k, l, "bad: raising", pyErr("ValueError", "boom"))
		require.NoError(t, s.Run())
		l.printf("run() returned normally")
		s.SetErrorHandler(nil)
	})
}

// ---- case 8 ----

// c8Task is
//
//	def task():
//	    try: stackless.channel().receive()
//	    except RuntimeError as e: print("5 (in tasklet):", e)
//	    mc.send("done")
type c8Task struct {
	l     *lines
	Mc    sim.Chan[string]
	Inner sim.Chan[any]
}

func (f *c8Task) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		f.Inner = sim.NewChan[any](t.Scheduler())
		return f.Inner.Recv(t).Then(1)
	case 1:
		return t.Goto(2)
	case 2:
		return f.Mc.Send(t, "done").Then(3)
	case 3:
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

func (f *c8Task) Catch(t *sim.T, err error) sim.Op {
	if t.At() == 1 && errors.Is(err, sim.ErrDeadlock) {
		f.l.printf("5 (in tasklet): %v", err)
		return t.Goto(2)
	}
	return t.Raise(err)
}

type c8Lonely struct {
	l  *lines
	Ch sim.Chan[any]
}

func (f *c8Lonely) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		f.l.printf("lonely: blocking")
		return f.Ch.Recv(t).Then(1)
	case 1:
		f.l.printf("never")
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// Spec: case 8, §2.6 (the three deadlock errors; a lone blocker just leaves run())
func TestCase08Deadlock(t *testing.T) {
	// Python prints the RuntimeError messages; Go prints the whole Go errors: ErrDeadlock
	// wrapped in a *sim.ChannelError, and the bare ErrMainReceiving/ErrMainSending.
	const want = `1: sim: receive on channel 1 by tasklet 1: deadlock: the last runnable tasklet cannot be blocked
balance after 0
2: sim: send on channel 1 by tasklet 1: deadlock: the last runnable tasklet cannot be blocked
3: sim: deadlock: the main tasklet is receiving without a sender available
4: sim: deadlock: the main tasklet is sending without a receiver available
5 (in tasklet): sim: receive on channel 3 by tasklet 4: deadlock: the last runnable tasklet cannot be blocked
6: done
lonely: blocking
7: run returned; lonely blocked = True alive = True balance = -1
`
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind, l *lines) {
		m := s.Main()
		c := sim.NewChan[any](s)
		var ce *sim.ChannelError

		_, err := sim.Receive(m, c)
		require.ErrorIs(t, err, sim.ErrDeadlock)
		require.ErrorAs(t, err, &ce)
		l.printf("1: %v", err)
		l.printf("balance after %d", c.In(s).Balance())
		require.Equal(t, 1, s.RunCount()) // main was not left in the queue

		err = sim.Send(m, c, any(1))
		require.ErrorIs(t, err, sim.ErrDeadlock)
		require.ErrorAs(t, err, &ce)
		l.printf("2: %v", err)

		// main blocks, the only tasklet ends without sending
		say(s, k, l, "")
		_, err = sim.Receive(m, c)
		require.ErrorIs(t, err, sim.ErrMainReceiving)
		require.ErrorIs(t, err, sim.ErrDeadlock)
		l.printf("3: %v", err)

		say(s, k, l, "")
		err = sim.Send(m, c, nil)
		require.ErrorIs(t, err, sim.ErrMainSending)
		require.ErrorIs(t, err, sim.ErrDeadlock)
		l.printf("4: %v", err)
		require.Equal(t, 0, c.In(s).Balance())

		// a non-main tasklet trying to block when it is the last runnable one
		mc := sim.NewChan[string](s)
		spawn(s, k, &c8Task{l: l, Mc: mc}, func(h *sim.Tasklet) error {
			if _, err := sim.Receive(h, sim.NewChan[any](s)); errors.Is(err, sim.ErrDeadlock) {
				l.printf("5 (in tasklet): %v", err)
			} else if err != nil {
				return err
			}
			return sim.Send(h, mc, "done")
		})
		v, err := sim.Receive(m, mc)
		require.NoError(t, err)
		l.printf("6: %s", v)

		// inside run(): a tasklet that blocks forever just leaves run()
		forever := sim.NewChan[any](s)
		lonely := spawn(s, k, &c8Lonely{l: l, Ch: forever}, func(h *sim.Tasklet) error {
			l.printf("lonely: blocking")
			if _, err := sim.Receive(h, forever); err != nil {
				return err
			}
			l.printf("never")
			return nil
		})
		require.NoError(t, s.Run())
		l.printf("7: run returned; lonely blocked = %s alive = %s balance = %d", py(lonely.Blocked()), py(lonely.Alive()), forever.In(s).Balance())
	})
}

// ---- case 9 ----

// c9Busy is `while True: counter[0] += 1`, one interpreter tick per Step.
type c9Busy struct{ Counter *int }

func (f *c9Busy) Step(t *sim.T) sim.Op {
	*f.Counter++
	if *f.Counter > runawaySteps {
		return t.Raise(errRunaway)
	}
	return t.Goto(0)
}

// runawaySteps bounds the busy loops of case 9, so that a scheduler that fails to interrupt
// them fails the test with errRunaway instead of hanging it.
const runawaySteps = 1_000_000

var errRunaway = errors.New("busy loop was never interrupted")

type c9Polite struct {
	l    *lines
	Name string
	I    int
}

func (f *c9Polite) Step(t *sim.T) sim.Op {
	if f.I < 3 {
		f.l.printf("%s %d", f.Name, f.I)
		f.I++
		return t.Schedule().Then(0)
	}
	return t.Return()
}

// c9AtomicBusy is
//
//	def atomic_busy():
//	    with stackless.atomic():
//	        x = 0
//	        for i in range(2000): x += i
//	        print("end of atomic section, x =", x)
//	    print("after atomic section")
//	    while True: pass
type c9AtomicBusy struct {
	l       *lines
	Old     bool
	I, X, N int
}

func (f *c9AtomicBusy) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0: // with stackless.atomic():
		f.Old = t.SetAtomic(true)
		return t.Goto(1)
	case 1: // for i in range(2000): x += i  (one tick per iteration)
		if f.I < 2000 {
			f.X += f.I
			f.I++
			return t.Goto(1)
		}
		f.l.printf("end of atomic section, x = %d", f.X)
		t.SetAtomic(f.Old) // leaving the with block: the pending interrupt fires now
		return t.Goto(2)
	case 2:
		f.l.printf("after atomic section")
		return t.Goto(3)
	case 3: // while True: pass
		if f.N++; f.N > runawaySteps {
			return t.Raise(errRunaway)
		}
		return t.Goto(3)
	}
	return t.Raise(sim.ErrBadPC)
}

// c9Coop is `while True: for i in range(20): pass; stackless.schedule()`.
type c9Coop struct{ I, N int }

func (f *c9Coop) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		if f.N++; f.N > runawaySteps {
			return t.Raise(errRunaway)
		}
		f.I = 0
		return t.Goto(1)
	case 1:
		if f.I < 20 {
			f.I++
			return t.Goto(1)
		}
		return t.Schedule().Then(0)
	}
	return t.Raise(sim.ErrBadPC)
}

// Spec: case 9, §3.2 (run(timeout), atomic, totaltimeout, soft)
//
// Soft tasklets only: a timeout counts Steps, and a hard tasklet's Go code has no step
// boundaries, like a Stackless tasklet with C state, which run(timeout) does not interrupt
// either (§3.2, nesting_level > 0).
func TestCase09Timeout(t *testing.T) {
	const want = `victim is t: True
alive True paused True scheduled False blocked False
runcount 1 made progress: True
after insert: scheduled True paused False runcount 2
second run returned t: True progress resumed: True
killed: alive False
p 0
p 1
p 2
run(10000) -> None
end of atomic section, x = 1999000
interrupted: True
after atomic section
interrupted again: True
hard totaltimeout: victim is a or b: True victim scheduled: False runcount 2
soft totaltimeout returned: None runcount 3
runcount 1
`
	s, l := newProgram(t)
	m := s.Main()
	timeout := func(o sim.RunOptions) *sim.Tasklet {
		v, err := s.RunWith(o)
		require.NoError(t, err)
		return v
	}
	counter := 0
	tk := s.Spawn(&c9Busy{Counter: &counter})
	victim := timeout(sim.RunOptions{Timeout: 100})
	l.printf("victim is t: %s", py(victim == tk))
	l.printf("alive %s paused %s scheduled %s blocked %s", py(tk.Alive()), py(tk.Paused()), py(tk.Scheduled()), py(tk.Blocked()))
	l.printf("runcount %d made progress: %s", s.RunCount(), py(counter > 0))
	require.Equal(t, 100, counter, "run(100) interrupts after exactly 100 steps")
	require.NoError(t, tk.Insert())
	l.printf("after insert: scheduled %s paused %s runcount %d", py(tk.Scheduled()), py(tk.Paused()), s.RunCount())
	before := counter
	victim = timeout(sim.RunOptions{Timeout: 100})
	l.printf("second run returned t: %s progress resumed: %s", py(victim == tk), py(counter > before))
	require.NoError(t, tk.Kill(m).Wait())
	l.printf("killed: alive %s", py(tk.Alive()))

	// cooperative tasklets that yield before the timeslice ends are never interrupted
	s.Spawn(&c9Polite{l: l, Name: "p"})
	victim = timeout(sim.RunOptions{Timeout: 10000})
	l.printf("run(10000) -> %s", pyTasklet(victim))

	// atomic tasklets are not interrupted; the pending interrupt fires when atomic is released
	ab := &c9AtomicBusy{l: l}
	tk = s.Spawn(ab)
	victim = timeout(sim.RunOptions{Timeout: 100})
	l.printf("interrupted: %s", py(victim == tk))
	require.False(t, tk.Atomic())
	require.Equal(t, sim.PC(2), tk.At(), "interrupted right after leaving the atomic section")
	require.NoError(t, tk.Insert())
	victim = timeout(sim.RunOptions{Timeout: 100})
	l.printf("interrupted again: %s", py(victim == tk))
	require.NoError(t, tk.Kill(m).Wait())

	// totaltimeout bounds the whole run() call even if every tasklet yields often;
	// soft=True returns None and leaves the victim in the run queue
	a := s.Spawn(&c9Coop{})
	b := s.Spawn(&c9Coop{})
	v := timeout(sim.RunOptions{Timeout: 1000, TotalTimeout: true})
	require.NotNil(t, v)
	l.printf("hard totaltimeout: victim is a or b: %s victim scheduled: %s runcount %d", py(v == a || v == b), py(v.Scheduled()), s.RunCount())
	require.NoError(t, v.Insert())
	v = timeout(sim.RunOptions{Timeout: 1000, Soft: true, TotalTimeout: true})
	l.printf("soft totaltimeout returned: %s runcount %d", pyTasklet(v), s.RunCount())
	require.NoError(t, a.Kill(m).Wait())
	require.NoError(t, b.Kill(m).Wait())
	l.printf("runcount %d", s.RunCount())

	require.Equal(t, want, l.text())
}

// ---- case 13 ----

// c13Receiver is `try: ch.receive() except ValueError as e: print(...)`.
type c13Receiver struct {
	l  *lines
	Ch sim.Chan[int]
}

func (f *c13Receiver) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return f.Ch.Recv(t).Then(1)
	case 1:
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

func (f *c13Receiver) Catch(t *sim.T, err error) sim.Op {
	if e := (*pyError)(nil); errors.As(err, &e) && e.Class == "ValueError" {
		f.l.printf("receiver got exception %s %s", e.Class, e.args())
		return t.Return()
	}
	return t.Raise(err)
}

// c13Recv2 is `try: ch.receive() except KeyError as e: print("recv2 got", repr(e))`.
type c13Recv2 struct {
	l  *lines
	Ch sim.Chan[int]
}

func (f *c13Recv2) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return f.Ch.Recv(t).Then(1)
	case 1:
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

func (f *c13Recv2) Catch(t *sim.T, err error) sim.Op {
	if e := (*pyError)(nil); errors.As(err, &e) && e.Class == "KeyError" {
		f.l.printf("recv2 got %s", e.repr())
		return t.Return()
	}
	return t.Raise(err)
}

// c13Producer is
//
//	def producer():
//	    n = ch.send_sequence(x * x for x in range(4))
//	    print("send_sequence returned", n)
//	    ch.send_exception(StopIteration)
type c13Producer struct {
	l    *lines
	Ch   sim.Chan[int]
	X, N int
}

func (f *c13Producer) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		if f.X < 4 {
			v := f.X * f.X
			f.X++
			return f.Ch.Send(t, v).Then(1)
		}
		f.l.printf("send_sequence returned %d", f.N)
		return f.Ch.SendError(t, sim.ErrStopIteration).Then(2)
	case 1:
		f.N++
		return t.Goto(0)
	case 2:
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// iterate is `for v in ch: print(prefix + "got", v)` then print(prefix + "loop ended"):
// case 13's consumer, and the drain of a closing channel in rules_test.go.
type iterate[V any] struct {
	l      *lines
	Prefix string
	Ch     sim.Chan[V]
}

func (f *iterate[V]) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return f.Ch.Next(t).Then(1)
	case 1:
		v, ok := f.Ch.GotOK(t)
		if !ok {
			f.l.printf("%sloop ended", f.Prefix)
			return t.Return()
		}
		f.l.printf("%sgot %v", f.Prefix, v)
		return t.Goto(0)
	}
	return t.Raise(sim.ErrBadPC)
}

// Spec: case 13, §2.3–2.4 (send_exception, send_throw, send_sequence, iteration)
func TestCase13SendErrorAndIteration(t *testing.T) {
	const want = `receiver got exception ValueError (1, 2, 3)
receiver got exception ValueError ('v',)
recv2 got KeyError('k')
consumer got 0
consumer got 1
consumer got 4
consumer got 9
send_sequence returned 4
consumer loop ended
`
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind, l *lines) {
		m := s.Main()
		ch := sim.NewChan[int](s)
		receiver := func() {
			spawn(s, k, &c13Receiver{l: l, Ch: ch}, func(h *sim.Tasklet) error {
				_, err := sim.Receive(h, ch)
				if e := (*pyError)(nil); errors.As(err, &e) && e.Class == "ValueError" {
					l.printf("receiver got exception %s %s", e.Class, e.args())
					return nil
				}
				return err
			})
		}

		// send_exception(ValueError, 1, 2, 3)
		receiver()
		require.NoError(t, s.Run())
		require.NoError(t, sim.SendError(m, ch, pyErr("ValueError", 1, 2, 3)))

		// send_throw with an instance, and with the error of a failed call
		// (send_throw(*sys.exc_info()): in Go the wrapping chain plays the traceback's part)
		fails := func() error { return fmt.Errorf("fails: %w", pyErr("KeyError", "k")) }
		receiver()
		require.NoError(t, s.Run())
		spawn(s, k, &c13Recv2{l: l, Ch: ch}, func(h *sim.Tasklet) error {
			_, err := sim.Receive(h, ch)
			if e := (*pyError)(nil); errors.As(err, &e) && e.Class == "KeyError" {
				l.printf("recv2 got %s", e.repr())
				return nil
			}
			return err
		})
		require.NoError(t, s.Run())
		require.Equal(t, -2, ch.In(s).Balance())
		require.NoError(t, sim.SendError(m, ch, pyErr("ValueError", "v"))) // goes to the first waiter
		if err := fails(); err != nil {
			require.NoError(t, sim.SendError(m, ch, err)) // goes to recv2
		}

		// iteration: the sender ends the loop by sending StopIteration
		spawn(s, k, &iterate[int]{l: l, Prefix: "consumer ", Ch: ch}, func(h *sim.Tasklet) error {
			var err error
			for v := range sim.Values(h, ch, &err) {
				l.printf("consumer got %d", v)
			}
			if err != nil {
				return err
			}
			l.printf("consumer loop ended")
			return nil
		})
		spawn(s, k, &c13Producer{l: l, Ch: ch}, func(h *sim.Tasklet) error {
			n, err := sim.SendSequence(h, ch, func(yield func(int) bool) {
				for x := range 4 {
					if !yield(x * x) {
						return
					}
				}
			})
			if err != nil {
				return err
			}
			l.printf("send_sequence returned %d", n)
			return sim.SendError(h, ch, sim.ErrStopIteration)
		})
		require.NoError(t, s.Run())
		require.Equal(t, 0, ch.In(s).Balance())
	})
}

// ---- case 15 ----

// c15AliveTask is `def alive_task(): stackless.schedule_remove()`.
type c15AliveTask struct{}

func (f *c15AliveTask) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return t.ScheduleRemove(nil).Then(1)
	case 1:
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// c15Receive is `ch.receive` used as a tasklet function.
type c15Receive struct{ Ch sim.Chan[any] }

func (f *c15Receive) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return f.Ch.Recv(t).Then(1)
	case 1:
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// Spec: case 15, §1.3, §3.1, §3.3 (exact errors)
//
// Python prints `type: message`; Go prints the whole error (a *sim.StateError or
// *sim.ChannelError naming the tasklet, its state and the Stackless reason, or a bare
// sentinel), and each row is also matched with errors.Is against its reason.
func TestCase15Errors(t *testing.T) {
	const want = `insert blocked -> sim: insert tasklet 2 (blocked): you cannot run a blocked tasklet
remove blocked -> sim: remove tasklet 2 (blocked): you cannot remove a blocked tasklet
switch blocked -> sim: switch tasklet 2 (blocked): you cannot run a blocked tasklet
run blocked -> sim: run tasklet 2 (blocked): you cannot run a blocked tasklet
remove current -> sim: remove tasklet 1 (runnable): the current tasklet cannot be removed
bind current -> sim: bind tasklet 1 (runnable): can't (re)bind the current tasklet
run bound-but-no-args -> sim: run tasklet 3 (new): you cannot run an unbound(dead) tasklet
setup unbound -> sim: setup tasklet 4 (new): the tasklet was not bound to a function
bind non-callable -> sim: bind tasklet 5 (paused): tasklet has C state on its stack (hard tasklets cannot be rebound)
bind scheduled -> sim: bind tasklet 6 (runnable): tasklet is scheduled
setup alive -> sim: setup tasklet 7 (paused): tasklet is alive
throw non-exception -> sim: throw tasklet 1 (runnable): exceptions must be non-nil errors
raise_exception non-exception -> sim: throw tasklet 2 (blocked): exceptions must be non-nil errors
set_atomic str -> does not compile; SetAtomic(true) returned false
preference clamps 5 -> 1
preference clamps -7 -> -1
block_trap receive -> sim: receive on channel 2 by tasklet 1: this tasklet does not like to be blocked
switch_trap schedule -> sim: switch_trap: switching is forbidden
switch_trap run -> sim: switch_trap: switching is forbidden
done, runcount 1
`
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind, l *lines) {
		m := s.Main()
		show := func(label string, err, reason error) {
			t.Helper()
			require.ErrorIs(t, err, reason, label)
			l.printf("%s -> %v", label, err)
		}

		ch := sim.NewChan[any](s)
		b := spawn(s, k, &c15Receive{Ch: ch}, func(h *sim.Tasklet) error {
			_, err := sim.Receive(h, ch)
			return err
		})
		require.NoError(t, s.Run())
		require.True(t, b.Blocked())
		show("insert blocked", b.Insert(), sim.ErrRunBlocked)
		show("remove blocked", b.Remove(), sim.ErrRemoveBlocked)
		show("switch blocked", b.Switch(m).Wait(), sim.ErrRunBlocked)
		show("run blocked", b.Run(m).Wait(), sim.ErrRunBlocked)
		show("remove current", m.Remove(), sim.ErrRemoveCurrent)
		show("bind current", m.Bind(nil), sim.ErrBindCurrent)
		// stackless.tasklet(f) without args is bound but not alive; Go has no such state (a
		// Frame carries its arguments in its fields, so Bind makes a tasklet alive). The
		// nearest Go tasklet that is not alive is a new, unbound one.
		u := s.NewTasklet()
		show("run bound-but-no-args", u.Run(m).Wait(), sim.ErrRunDead)
		show("setup unbound", s.NewTasklet().Setup(nil), sim.ErrNotBound)
		// bind(42): Bind takes a sim.Frame, so a non-callable does not compile. The nearest
		// runtime misuse is binding a frame to a tasklet whose body is not a frame: a hard
		// tasklet that has started (Stackless: "tasklet has C state on its stack").
		hs := s.SpawnHard(func(h *sim.Tasklet) error { return h.ScheduleRemove(nil).Wait() })
		require.NoError(t, s.Run())
		show("bind non-callable", hs.Bind(&sayFrame{l: l}), sim.ErrHasCState)
		require.NoError(t, hs.Kill(m).Wait())
		st := say(s, k, l, "")
		show("bind scheduled", st.Bind(nil), sim.ErrBindScheduled)
		require.NoError(t, st.Kill(m).Wait())
		require.False(t, st.Alive())
		a := spawn(s, k, &c15AliveTask{}, func(h *sim.Tasklet) error {
			return h.ScheduleRemove(nil).Wait()
		})
		require.NoError(t, s.Run())
		show("setup alive", a.Setup(&c15AliveTask{}), sim.ErrAlive)
		require.NoError(t, a.Kill(m).Wait())
		require.False(t, a.Alive())
		// throw(42) / raise_exception(42): Go's nearest non-exception is a nil error.
		show("throw non-exception", m.Throw(m, nil).Wait(), sim.ErrNilError)
		show("raise_exception non-exception", b.Throw(m, nil).Wait(), sim.ErrNilError)
		// set_atomic("x"): SetAtomic takes a bool, so a string does not compile, and no
		// runtime misuse exists. The row shows the Go call and the old value it returns.
		l.printf("set_atomic str -> does not compile; SetAtomic(true) returned %v", m.SetAtomic(true))
		m.SetAtomic(false)

		c := sim.NewChan[any](s)
		c.In(s).SetPreference(5)
		l.printf("preference clamps 5 -> %d", c.In(s).Preference())
		c.In(s).SetPreference(-7)
		l.printf("preference clamps -7 -> %d", c.In(s).Preference())

		old := m.BlockTrap()
		m.SetBlockTrap(true)
		_, err := sim.Receive(m, c)
		var ce *sim.ChannelError
		require.ErrorAs(t, err, &ce)
		show("block_trap receive", err, sim.ErrBlockTrap)
		m.SetBlockTrap(old)

		s.SwitchTrap(1)
		say(s, k, l, "")
		show("switch_trap schedule", s.Schedule(), sim.ErrSwitchTrap)
		_, err = s.RunWith(sim.RunOptions{})
		show("switch_trap run", err, sim.ErrSwitchTrap)
		s.SwitchTrap(-1)
		require.NoError(t, s.Run())
		require.NoError(t, b.Kill(m).Wait())
		l.printf("done, runcount %d", s.RunCount())
	})
}

// ---- case 18 ----

// Spec: case 18, §2.7, §3.1 (schedule and channel callbacks)
func TestCase18Callbacks(t *testing.T) {
	const want = `old sched cb: None
old chan cb: None
('switch', 'main', 'r')
('chan', 'r', 'recv', 'block')
('switch', 'r', 'main')
('chan', 'main', 'send', 'noblock')
('switch', 'main', 'r')
('switch', 'r', 'main')
`
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind, l *lines) {
		m := s.Main()
		ch := sim.NewChan[any](s)
		r := spawn(s, k, &c15Receive{Ch: ch}, func(h *sim.Tasklet) error {
			_, err := sim.Receive(h, ch)
			return err
		})
		nm := func(x *sim.Tasklet) string {
			switch x {
			case nil:
				return "None"
			case m:
				return "main"
			case r:
				return "r"
			}
			return "?"
		}
		var log []string
		schedCB := func(prev, next *sim.Tasklet) {
			log = append(log, fmt.Sprintf("('switch', '%s', '%s')", nm(prev), nm(next)))
		}
		chanCB := func(c *sim.Channel, x *sim.Tasklet, sending, willBlock bool) {
			require.Same(t, ch.In(s), c)
			dir, block := "recv", "noblock"
			if sending {
				dir = "send"
			}
			if willBlock {
				block = "block"
			}
			log = append(log, fmt.Sprintf("('chan', '%s', '%s', '%s')", nm(x), dir, block))
		}
		l.printf("old sched cb: %s", none(s.SetScheduleCallback(schedCB) == nil))
		l.printf("old chan cb: %s", none(s.SetChannelCallback(chanCB) == nil))
		require.NoError(t, s.Run())
		require.NoError(t, sim.Send(m, ch, any(1)))
		s.SetScheduleCallback(nil)
		s.SetChannelCallback(nil)
		for _, e := range log {
			l.printf("%s", e)
		}
	})
}

// ---- case 19 ----

type c19Body struct {
	st func(label string, x *sim.Tasklet)
	Ch sim.Chan[any]
}

func (f *c19Body) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		f.st("inside (current)", t)
		return f.Ch.Recv(t).Then(1)
	case 1:
		return t.ScheduleRemove(nil).Then(2)
	case 2:
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// Spec: case 19, §1.2, §1.4 (state attributes through the life cycle)
//
// Differences from Stackless, each a property of the Go API, not of the scheduler:
//   - No "bound, no args" row: a Frame carries its arguments, so Bind is bind(func, args).
//   - frame=set is Started(): Stackless's frame is None until the function starts.
//   - main is not restorable: its state is the Go program's own stack (in Stackless, main
//     at module level has no C state). Hard tasklets are not restorable while alive either.
func TestCase19StateAttributes(t *testing.T) {
	const soft = `unbound                alive=0 scheduled=0 blocked=0 paused=0 restorable=1 frame=None is_main=0 is_current=0
bound with args        alive=1 scheduled=0 blocked=0 paused=1 restorable=1 frame=None is_main=0 is_current=0
inserted               alive=1 scheduled=1 blocked=0 paused=0 restorable=1 frame=None is_main=0 is_current=0
inside (current)       alive=1 scheduled=1 blocked=0 paused=0 restorable=1 frame=set is_main=0 is_current=1
blocked on channel     alive=1 scheduled=1 blocked=1 paused=0 restorable=1 frame=set is_main=0 is_current=0
after send (runnable)  alive=1 scheduled=1 blocked=0 paused=0 restorable=1 frame=set is_main=0 is_current=0
schedule_remove'd      alive=1 scheduled=0 blocked=0 paused=1 restorable=1 frame=set is_main=0 is_current=0
finished               alive=0 scheduled=0 blocked=0 paused=0 restorable=1 frame=None is_main=0 is_current=0
main                   alive=1 scheduled=1 blocked=0 paused=0 restorable=0 frame=set is_main=1 is_current=1
current is main: True runcount: 1
`
	// A hard tasklet is born bound (NewHard: no "unbound" row) and is not restorable while
	// alive; every other column is the same.
	const hard = `bound with args        alive=1 scheduled=0 blocked=0 paused=1 restorable=0 frame=None is_main=0 is_current=0
inserted               alive=1 scheduled=1 blocked=0 paused=0 restorable=0 frame=None is_main=0 is_current=0
inside (current)       alive=1 scheduled=1 blocked=0 paused=0 restorable=0 frame=set is_main=0 is_current=1
blocked on channel     alive=1 scheduled=1 blocked=1 paused=0 restorable=0 frame=set is_main=0 is_current=0
after send (runnable)  alive=1 scheduled=1 blocked=0 paused=0 restorable=0 frame=set is_main=0 is_current=0
schedule_remove'd      alive=1 scheduled=0 blocked=0 paused=1 restorable=0 frame=set is_main=0 is_current=0
finished               alive=0 scheduled=0 blocked=0 paused=0 restorable=1 frame=None is_main=0 is_current=0
main                   alive=1 scheduled=1 blocked=0 paused=0 restorable=0 frame=set is_main=1 is_current=1
current is main: True runcount: 1
`

	for _, k := range []sim.Kind{sim.Soft, sim.Hard} {
		t.Run(k.String(), func(t *testing.T) {
			s, l := newProgram(t)
			m := s.Main()
			st := func(label string, x *sim.Tasklet) {
				l.printf("%-22s alive=%d scheduled=%d blocked=%d paused=%d restorable=%d frame=%s is_main=%d is_current=%d",
					label, b01(x.Alive()), b01(x.Scheduled()), b01(x.Blocked()), b01(x.Paused()), b01(x.Restorable()),
					none(!x.Started()), b01(x.IsMain()), b01(x.IsCurrent()))
			}
			ch := sim.NewChan[any](s)
			var tk *sim.Tasklet
			if k == sim.Soft {
				tk = s.NewTasklet()
				st("unbound", tk)
				require.NoError(t, tk.Bind(&c19Body{st: st, Ch: ch}))
			} else {
				tk = s.NewHard(func(h *sim.Tasklet) error {
					st("inside (current)", h)
					if _, err := sim.Receive(h, ch); err != nil {
						return err
					}
					return h.ScheduleRemove(nil).Wait()
				})
			}
			st("bound with args", tk)
			require.NoError(t, tk.Insert())
			st("inserted", tk)
			require.NoError(t, s.Run())
			st("blocked on channel", tk)
			ch.In(s).SetPreference(1) // sender keeps running; tk only becomes runnable
			require.NoError(t, sim.Send(m, ch, nil))
			st("after send (runnable)", tk)
			require.NoError(t, s.Run())
			st("schedule_remove'd", tk)
			require.NoError(t, tk.Insert())
			require.NoError(t, s.Run())
			st("finished", tk)
			st("main", m)
			l.printf("current is main: %s runcount: %d", py(s.Current() == m), s.RunCount())
			want := soft
			if k == sim.Hard {
				want = hard
			}
			require.Equal(t, want, l.text())
		})
	}
}
