package sim_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// square is a child frame whose field is its result.
type square struct{ In, Out int }

func (f *square) Step(t *sim.T) sim.Op {
	f.Out = f.In * f.In
	return t.Return()
}

// caller calls square and reads the result through sim.Child, then exits from a nested
// frame.
type caller struct {
	l   *lines
	Got int
}

func (f *caller) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return t.Call(&square{In: 7}).Then(1)
	case 1:
		f.Got = sim.Child[*square](t).Out
		f.l.printf("child returned %d, depth %d", f.Got, t.Depth())
		return t.Call(&exiter{l: f.l}).Then(2)
	case 2:
		f.l.printf("not reached: Exit ends the whole tasklet")
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

type exiter struct{ l *lines }

func (f *exiter) Step(t *sim.T) sim.Op {
	f.l.printf("exiting at depth %d", t.Depth())
	return t.Exit()
}

func TestCallChildAndExit(t *testing.T) {
	s, l := newProgram(t)
	tk := s.Spawn(&caller{l: l})
	require.NoError(t, s.Run())
	require.Equal(t, "child returned 49, depth 1\nexiting at depth 2\n", l.text())
	require.False(t, tk.Alive())
	require.Equal(t, 0, tk.Depth())
}

// Spec: §2.2, schedule_all: the partner goes to the end of the ring and neither side runs;
// the caller's ring successor does.
func TestScheduleAll(t *testing.T) {
	s, l := newProgram(t)
	ch := sim.NewChan[string](s)
	c := ch.In(s)
	c.SetScheduleAll(true)
	require.True(t, c.ScheduleAll())
	s.Spawn(&receiver{l: l, name: "R", Ch: ch})
	require.NoError(t, s.Run()) // R blocks
	s.Spawn(&sender{l: l, name: "S", Ch: ch, V: "v"})
	s.Spawn(&printer{l: l, Text: "other runs"})
	require.NoError(t, s.Run())
	// Preference -1 would run R at once, preference 0 would let S go on: schedule-all runs
	// S's successor, then R (appended), then S.
	require.Equal(t, "R waits\nS sends v\nother runs\nR got v\nS sent\n", l.text())
}

type printer struct {
	l    *lines
	Text string
}

func (f *printer) Step(t *sim.T) sim.Op {
	f.l.printf("%s", f.Text)
	return t.Return()
}

type receiver struct {
	l    *lines
	name string
	Ch   sim.Chan[string]
}

func (f *receiver) Step(t *sim.T) sim.Op {
	if t.At() == 0 {
		f.l.printf("%s waits", f.name)
		return f.Ch.Recv(t).Then(1)
	}
	f.l.printf("%s got %s", f.name, f.Ch.Got(t))
	return t.Return()
}

type sender struct {
	l    *lines
	name string
	Ch   sim.Chan[string]
	V    string
}

func (f *sender) Step(t *sim.T) sim.Op {
	if t.At() == 0 {
		f.l.printf("%s sends %s", f.name, f.V)
		return f.Ch.Send(t, f.V).Then(1)
	}
	f.l.printf("%s sent", f.name)
	return t.Return()
}

// timedReceiver receives with a timeout and reports what happened.
type timedReceiver struct {
	l     *lines
	Ch    sim.Chan[string]
	Ticks int
}

func (f *timedReceiver) Step(t *sim.T) sim.Op {
	if t.At() == 0 {
		return f.Ch.RecvFor(t, f.Ticks).Then(1)
	}
	v, ok := f.Ch.GotOK(t)
	f.l.printf("tick %d: got %q ok=%v", t.Scheduler().Now(), v, ok)
	return t.Return()
}

func TestRecvForTimesOutAtItsTick(t *testing.T) {
	s, l := newProgram(t)
	ch := sim.NewChan[string](s)
	tk := s.Spawn(&timedReceiver{l: l, Ch: ch, Ticks: 3})
	require.NoError(t, s.Run())
	require.Equal(t, sim.StateBlocked, tk.State())
	require.Equal(t, ch.ID(), tk.BlockedOn())
	require.Equal(t, -1, tk.BlockedDir())
	require.Equal(t, uint64(3), tk.WakeTick())
	require.Equal(t, -1, ch.In(s).Balance())
	for range 3 {
		require.NoError(t, s.Tick())
	}
	require.Equal(t, "tick 3: got \"\" ok=false\n", l.text())
	require.Equal(t, 0, ch.In(s).Balance(), "the timed-out receiver left the queue")
	require.NoError(t, s.CheckInvariants())

	// Served before the deadline: the timer is cancelled.
	s.Spawn(&timedReceiver{l: l, Ch: ch, Ticks: 5})
	require.NoError(t, s.Run())
	require.NoError(t, sim.Send(s.Main(), ch, "hi"))
	require.NoError(t, s.Tick())
	require.Equal(t, "tick 3: got \"\" ok=false\ntick 3: got \"hi\" ok=true\n", l.text())
	require.Equal(t, 0, s.Counts().Total()-1, "only main is left")
	require.NoError(t, s.CheckInvariants())
}

// sleeper sleeps Ticks, then logs the tick it woke at.
type sleeper struct {
	l     *lines
	Name  string
	Ticks int
}

func (f *sleeper) Step(t *sim.T) sim.Op {
	if t.At() == 0 {
		return t.Sleep(f.Ticks).Then(1)
	}
	f.l.printf("%s woke at tick %d", f.Name, t.Scheduler().Now())
	return t.Return()
}

func TestSleepersWakeInTickThenSleepOrder(t *testing.T) {
	s, l := newProgram(t)
	s.Spawn(&sleeper{l: l, Name: "a", Ticks: 2})
	b := s.Spawn(&sleeper{l: l, Name: "b", Ticks: 1})
	s.Spawn(&sleeper{l: l, Name: "c", Ticks: 2})
	s.Spawn(&sleeper{l: l, Name: "d", Ticks: 1})
	require.NoError(t, s.Run())
	require.Equal(t, sim.Counts{Runnable: 1, Sleeping: 4}, s.Counts())
	require.Equal(t, uint64(1), b.WakeTick())
	require.NoError(t, b.Remove(), "a sleeper can be removed: it becomes paused")
	require.True(t, b.Paused())
	require.NoError(t, s.Tick())
	require.NoError(t, s.Tick())
	require.Equal(t, "d woke at tick 1\na woke at tick 2\nc woke at tick 2\n", l.text())
	require.NoError(t, b.Insert())
	require.NoError(t, s.Run())
	require.Equal(t, "d woke at tick 1\na woke at tick 2\nc woke at tick 2\nb woke at tick 2\n", l.text())
}

// spinner never yields: the tick budget must pre-empt it.
type busy struct{ N int }

func (f *busy) Step(t *sim.T) sim.Op {
	f.N++
	return t.Goto(0)
}

func TestTickBudgetPreemptsToNextTick(t *testing.T) {
	s := sim.NewScheduler(sim.Options{TickBudget: 10})
	b := &busy{}
	tk := s.Spawn(b)
	require.NoError(t, s.Tick())
	require.Equal(t, 10, b.N)
	require.Equal(t, sim.StateSleeping, tk.State())
	require.Equal(t, uint64(2), tk.WakeTick())
	require.Equal(t, uint64(1), s.Stats().Preempted)
	require.NoError(t, s.Tick())
	require.Equal(t, 20, b.N, "a fresh budget every tick")
	require.Equal(t, uint64(2), s.Stats().Preempted)
	require.NoError(t, tk.Kill(s.Main()).Wait())
}

func TestTempValAndPendingError(t *testing.T) {
	s, l := newProgram(t)
	tk := s.Spawn(&printer{l: l, Text: "ran"})
	require.NoError(t, tk.Remove())
	tk.SetTempVal(42)
	require.Equal(t, 42, tk.TempVal())
	require.NoError(t, tk.ThrowPending(errBoom))
	require.Nil(t, tk.TempVal(), "a pending error hides the value")
	require.Same(t, errBoom, tk.PendingError())
	err := s.Run()
	var te *sim.TaskletError
	require.ErrorAs(t, err, &te)
	require.Equal(t, tk.ID(), te.Tasklet)
	require.ErrorIs(t, err, errBoom)
	require.Empty(t, l.out, "a tasklet that never started dies without running")
}

var errBoom = errors.New("boom")

func TestChannelViewsAndDrop(t *testing.T) {
	s, l := newProgram(t)
	a := sim.NewChan[string](s)
	b := sim.NewChan[string](s)
	require.False(t, a.IsZero())
	require.True(t, sim.Chan[int]{}.IsZero())
	require.Equal(t, a, sim.ChanOf[string](a.ID()))
	s.Spawn(&receiver{l: l, name: "R1", Ch: a})
	s.Spawn(&receiver{l: l, name: "R2", Ch: a})
	require.NoError(t, s.Run())
	var ids []sim.ID
	a.In(s).Queue(func(t *sim.Tasklet) bool { ids = append(ids, t.ID()); return true })
	require.Equal(t, []sim.ID{2, 3}, ids)
	require.Equal(t, 2, a.In(s).Len())
	require.Equal(t, "channel 1 (balance -2, preference -1)", a.In(s).String())
	var chans []sim.ChanID
	s.Channels(func(c *sim.Channel) bool { chans = append(chans, c.ID()); return true })
	require.Equal(t, []sim.ChanID{1, 2}, chans)

	require.EqualError(t, s.DropChannel(a.ID()), "sim: drop channel 1: 2 tasklets are waiting on it")
	require.NoError(t, s.DropChannel(b.ID()))
	require.Nil(t, b.In(s))
	require.EqualError(t, s.DropChannel(b.ID()), "sim: drop channel 2: no such channel")
	err := sim.Send(s.Main(), b, "x")
	require.EqualError(t, err, "sim: send on channel 2 by tasklet 1: no such channel")

	a.In(s).Close()
	require.True(t, a.In(s).Closing())
	require.False(t, a.In(s).Closed(), "closing, but receivers still wait")
	require.NoError(t, sim.Send(s.Main(), a, "p"))
	require.NoError(t, sim.Send(s.Main(), a, "q"))
	require.True(t, a.In(s).Closed())
	require.Equal(t, "R1 waits\nR2 waits\nR1 got p\nR2 got q\n", l.text())
}

func TestHardTaskletSleeps(t *testing.T) {
	s, l := newProgram(t)
	s.SpawnHard(func(h *sim.Tasklet) error {
		for range 2 {
			if err := h.Sleep(2).Wait(); err != nil {
				return err
			}
			l.printf("hard woke at tick %d", s.Now())
		}
		return nil
	})
	for range 5 { // it first runs in tick 1, so it wakes at ticks 3 and 5
		require.NoError(t, s.Tick())
	}
	require.Equal(t, "hard woke at tick 3\nhard woke at tick 5\n", l.text())
	require.EqualError(t, s.Main().Sleep(1).Wait(), "sim: sleep tasklet 1 (runnable): the main tasklet cannot sleep; call Tick instead")
}

// thief returns an Op made for another tasklet (Victim), then one from the zero Await,
// catching what each raises.
type thief struct {
	Victim *sim.Tasklet
	Errs   []error
	PCs    []sim.PC
}

func (f *thief) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return f.Victim.Schedule().Then(1)
	case 2:
		return sim.Await{}.Then(3)
	}
	return t.Return()
}

func (f *thief) Catch(t *sim.T, err error) sim.Op {
	f.Errs = append(f.Errs, err)
	f.PCs = append(f.PCs, t.At())
	return t.Goto(t.At() + 2)
}

// Misuse of Then: an Op made for another tasklet, or from the zero Await, raises in the
// stepping tasklet at its old resume point and leaves the other tasklet alone.
func TestThenMisuseRaisesInTheSteppingTasklet(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	victim := s.SpawnPaused(&busy{})
	f := &thief{Victim: victim}
	tk := s.Spawn(f)
	require.NoError(t, s.Run())
	require.Len(t, f.Errs, 2)
	require.ErrorIs(t, f.Errs[0], sim.ErrNotCurrent)
	require.ErrorIs(t, f.Errs[1], sim.ErrZeroOp)
	require.Equal(t, []sim.PC{0, 2}, f.PCs)
	require.False(t, tk.Alive())
	require.Equal(t, sim.StatePaused, victim.State(), "the victim was not scheduled")
}

// longWait sleeps, or waits on a channel, for Ticks ticks; with Repeat it waits again
// after each wait, counting the receives that timed out.
type longWait struct {
	Ch       sim.Chan[int]
	Ticks    int
	Recv     bool
	Repeat   bool
	TimedOut int
}

func (f *longWait) Step(t *sim.T) sim.Op {
	if t.At() == 1 {
		if _, ok := f.Ch.GotOK(t); f.Recv && !ok {
			f.TimedOut++
		}
		if !f.Repeat {
			return t.Return()
		}
	}
	if f.Recv {
		return f.Ch.RecvFor(t, f.Ticks).Then(1)
	}
	return t.Sleep(f.Ticks).Then(1)
}

// RecvFor keeps tick counts over 32 bits; Sleep caps them at 2^32-1.
func TestLongWaitsKeepTheirTicks(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	ch := sim.NewChan[int](s)
	const ticks = 1<<32 + 5
	sl := s.Spawn(&longWait{Ticks: ticks})
	rf := s.Spawn(&longWait{Ch: ch, Ticks: ticks + 1, Recv: true})
	short := s.Spawn(&longWait{Ch: ch, Ticks: 300, Recv: true})
	require.NoError(t, s.Tick())
	require.Equal(t, uint64(1+math.MaxUint32), sl.WakeTick())
	require.Equal(t, uint64(ticks+2), rf.WakeTick())
	require.Equal(t, uint64(301), short.WakeTick())
	for _, tk := range []*sim.Tasklet{sl, rf, short} {
		require.NoError(t, tk.Kill(s.Main()).Wait())
	}
}

// The zero Tasklet, which no scheduler made, answers its accessors without panicking.
func TestZeroTasklet(t *testing.T) {
	var z sim.Tasklet
	require.Nil(t, z.Scheduler())
	require.False(t, z.IsCurrent())
	require.False(t, z.Alive())
	require.Equal(t, sim.StateNew, z.State())
	require.Equal(t, 0, z.Depth())
}

// stepFunc is a frame made of a function, for tests.
type stepFunc func(t *sim.T) sim.Op

func (f stepFunc) Step(t *sim.T) sim.Op { return f(t) }

func TestEndHandlerSeesEveryEnd(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	l := &lines{}
	s.SetErrorHandler(func(t *sim.Tasklet, err error) error {
		l.printf("error handler: tasklet %d: %v", t.ID(), err)
		return nil
	})
	s.SetEndHandler(func(t *sim.Tasklet) { l.printf("end: tasklet %d (%v)", t.ID(), t.Alive()) })
	s.Spawn(stepFunc(func(t *sim.T) sim.Op { return t.Exit() }))
	s.Spawn(stepFunc(func(t *sim.T) sim.Op { return t.Raise(errors.New("boom")) }))
	blocked := s.Spawn(stepFunc(func(t *sim.T) sim.Op { return t.ScheduleRemove(nil).Then(0) }))
	s.SpawnHard(func(h *sim.Tasklet) error { return nil })
	require.NoError(t, s.Run())
	require.NoError(t, blocked.KillPending())
	require.NoError(t, s.Run())
	require.Equal(t, "end: tasklet 2 (false)\n"+
		"error handler: tasklet 3: boom\nend: tasklet 3 (false)\n"+
		"end: tasklet 5 (false)\n"+
		"end: tasklet 4 (false)\n", l.text())
}

// TestSoftStepOnNoChannel sends and receives from soft steps on the zero Chan and on a
// dropped channel: the fast paths index the channel table without a nil test, and each
// step must still fail with "no such channel", in ring order.
func TestSoftStepOnNoChannel(t *testing.T) {
	s, l := newProgram(t)
	dropped := sim.NewChan[string](s)
	require.NoError(t, s.DropChannel(dropped.ID()))
	var errs []string
	s.SetErrorHandler(func(t *sim.Tasklet, err error) error {
		errs = append(errs, err.Error())
		return nil
	})
	s.Spawn(&sender{l: l, name: "S0", V: "x"})
	s.Spawn(&receiver{l: l, name: "R0"})
	s.Spawn(&sender{l: l, name: "S2", Ch: dropped, V: "y"})
	s.Spawn(&receiver{l: l, name: "R2", Ch: dropped})
	// RecvFor finds its channel when it is made: on none, and on one dropped between the
	// RecvFor and its Then (it holds the channel itself then).
	s.Spawn(stepFunc(func(t *sim.T) sim.Op { return sim.Chan[int]{}.RecvFor(t, 1000).Then(1) }))
	late := sim.NewChan[int](s)
	s.Spawn(stepFunc(func(t *sim.T) sim.Op {
		a := late.RecvFor(t, 1000)
		if err := s.DropChannel(late.ID()); err != nil {
			panic(err)
		}
		return a.Then(1)
	}))
	require.NoError(t, s.Run())
	require.Equal(t, "S0 sends x\nR0 waits\nS2 sends y\nR2 waits\n", l.text())
	require.Equal(t, []string{
		"sim: send on channel 0 by tasklet 2: no such channel",
		"sim: receive on channel 0 by tasklet 3: no such channel",
		"sim: send on channel 1 by tasklet 4: no such channel",
		"sim: receive on channel 1 by tasklet 5: no such channel",
		"sim: receive on channel 0 by tasklet 6: no such channel",
		"sim: receive on channel 2 by tasklet 7: no such channel",
	}, errs)
	require.Equal(t, 1, s.RunCount())
	require.NoError(t, s.CheckInvariants())
}

// TestDroppedChannelLeavesTheFastPaths: the hand-off fast paths keep the last channel they
// used (Scheduler.lastChan). Dropping that channel must make them forget it, or a receive on
// the dropped id would block on a channel no longer in the table.
func TestDroppedChannelLeavesTheFastPaths(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	ch := sim.NewChan[int](s)
	var errs []string
	s.SetErrorHandler(func(t *sim.Tasklet, err error) error {
		errs = append(errs, err.Error())
		return nil
	})
	got := 0
	// Both first steps yield: a first step takes the general path, the later ones the fast.
	s.Spawn(stepFunc(func(t *sim.T) sim.Op {
		switch t.At() {
		case 0:
			return t.Schedule().Then(1)
		case 1:
			return ch.Recv(t).Then(2)
		case 2:
			got += ch.Got(t)
			if err := s.DropChannel(ch.ID()); err != nil {
				panic(err)
			}
			return ch.Recv(t).Then(3)
		}
		return t.Exit()
	}))
	s.Spawn(stepFunc(func(t *sim.T) sim.Op {
		switch t.At() {
		case 0:
			return t.Schedule().Then(1)
		case 1:
			return ch.Send(t, 7).Then(2)
		}
		return t.Exit()
	}))
	require.NoError(t, s.Run())
	require.Equal(t, 7, got)
	require.Equal(t, []string{"sim: receive on channel 1 by tasklet 2: no such channel"}, errs)
	require.Equal(t, 1, s.RunCount())
	require.NoError(t, s.CheckInvariants())
}

// trapSelf yields once (its first step goes the general way), then sets its own block
// trap in the step that receives (when Self), so the receive, which would block, fails:
// runSoft's flag test ran before that step and cannot see it.
type trapSelf struct {
	l    *lines
	name string
	Self bool
	Ch   sim.Chan[string]
	Err  error // CheckInvariants in the step, after the trap is set
}

func (f *trapSelf) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return t.Schedule().Then(1)
	case 1:
		if f.Self {
			t.SetBlockTrap(true)
			f.Err = t.Scheduler().CheckInvariants()
		}
		f.l.printf("%s receives", f.name)
		return f.Ch.Recv(t).Then(2)
	}
	f.l.printf("%s got %s", f.name, f.Ch.Got(t))
	return t.Return()
}

// TestSoftBlockTrap sets the block trap of soft tasklets from their own step and from
// main, and checks that every receive that would block fails, and that a tasklet whose
// trap is cleared blocks again.
func TestSoftBlockTrap(t *testing.T) {
	s, l := newProgram(t)
	ch := sim.NewChan[string](s)
	var errs []string
	s.SetErrorHandler(func(t *sim.Tasklet, err error) error {
		errs = append(errs, fmt.Sprintf("%d: %v", t.ID(), errors.Is(err, sim.ErrBlockTrap)))
		return nil
	})
	// W's receive gives the channel's queue a buffer: the fast receive needs one.
	s.Spawn(&receiver{l: l, name: "W", Ch: ch})
	require.NoError(t, sim.Send(s.Main(), ch, "w"))
	a := &trapSelf{l: l, name: "A", Self: true, Ch: ch}
	s.Spawn(a)
	b := s.Spawn(&trapSelf{l: l, name: "B", Ch: ch})
	b.SetBlockTrap(true)
	c := s.Spawn(&trapSelf{l: l, name: "C", Ch: ch})
	c.SetBlockTrap(true)
	c.SetBlockTrap(false)
	require.NoError(t, s.Run())
	require.Equal(t, []string{"3: true", "4: true"}, errs)
	require.NoError(t, a.Err)
	require.Equal(t, "W waits\nW got w\nA receives\nB receives\nC receives\n", l.text())
	require.Equal(t, -1, ch.In(s).Balance(), "C waits")
	require.NoError(t, sim.Send(s.Main(), ch, "x"))
	require.Equal(t, "W waits\nW got w\nA receives\nB receives\nC receives\nC got x\n", l.text())
	require.NoError(t, s.CheckInvariants())
}

// loopSteps bounds yieldForever and sendForever, so that a tick budget that fails to
// pre-empt them shows as wrong counts rather than as a test that never ends.
const loopSteps = 1000

// yieldForever yields (up to loopSteps times), counting its steps.
type yieldForever struct{ N int }

func (f *yieldForever) Step(t *sim.T) sim.Op {
	if f.N == loopSteps {
		return t.Exit()
	}
	f.N++
	return t.Schedule().Then(0)
}

// sendForever sends its step count (up to loopSteps times).
type sendForever struct {
	Ch sim.Chan[int]
	N  int
}

func (f *sendForever) Step(t *sim.T) sim.Op {
	if f.N == loopSteps {
		return t.Exit()
	}
	f.N++
	return f.Ch.Send(t, f.N).Then(0)
}

// recvForever receives forever, keeping the last value.
type recvForever struct {
	Ch   sim.Chan[int]
	N    int
	Last int
}

func (f *recvForever) Step(t *sim.T) sim.Op {
	if t.At() == 1 {
		f.Last = f.Ch.Got(t)
	}
	f.N++
	return f.Ch.Recv(t).Then(1)
}

// TestTickBudgetPreemptsYieldsAndHandOffs runs tasklets that never block for good (two
// that yield, a sender and a receiver that hand values over) under a tick budget: every
// tick must end with exactly the budget's steps run by each, the same on the fast paths
// and on the general one (a schedule callback turns the fast paths off).
func TestTickBudgetPreemptsYieldsAndHandOffs(t *testing.T) {
	for _, general := range []bool{false, true} {
		t.Run(fmt.Sprintf("general=%v", general), func(t *testing.T) {
			s := sim.NewScheduler(sim.Options{TickBudget: 10})
			switches := 0
			if general {
				s.SetScheduleCallback(func(prev, next *sim.Tasklet) { switches++ })
			}
			a, b := &yieldForever{}, &yieldForever{}
			ch := sim.NewChan[int](s)
			snd, rcv := &sendForever{Ch: ch}, &recvForever{Ch: ch}
			ta, tb := s.Spawn(a), s.Spawn(b)
			tr, ts := s.Spawn(rcv), s.Spawn(snd)
			for tick := 1; tick <= 3; tick++ {
				require.NoError(t, s.Tick())
				// Every step counts: the receiver's too. Its last step of a tick would have
				// taken the value that the sender's last step handed over: it takes it
				// first thing in the next tick.
				require.Equal(t, []int{10 * tick, 10 * tick, 10 * tick, 10 * tick}, []int{a.N, b.N, snd.N, rcv.N})
				require.Equal(t, snd.N-1, rcv.Last)
				require.Equal(t, uint64(4*tick), s.Stats().Preempted)
				for _, tk := range []*sim.Tasklet{ta, tb, ts, tr} {
					require.Equal(t, sim.StateSleeping, tk.State())
					require.Equal(t, uint64(tick+1), tk.WakeTick())
				}
				require.NoError(t, s.CheckInvariants())
			}
			require.Equal(t, general, switches > 0)
		})
	}
}

// TestTickBudgetPreemptsHardTasklets: a hard tasklet that yields forever is pre-empted by
// the tick budget too, each resumption counting as a step.
func TestTickBudgetPreemptsHardTasklets(t *testing.T) {
	s := sim.NewScheduler(sim.Options{TickBudget: 5})
	defer s.Close()
	n := 0
	h := s.SpawnHard(func(h *sim.Tasklet) error {
		for n < loopSteps {
			n++
			if err := h.Schedule().Wait(); err != nil {
				return err
			}
		}
		return nil
	})
	soft := &yieldForever{}
	s.Spawn(soft)
	for tick := 1; tick <= 3; tick++ {
		require.NoError(t, s.Tick())
		require.Equal(t, []int{5 * tick, 5 * tick}, []int{n, soft.N})
		require.Equal(t, sim.StateSleeping, h.State())
		require.Equal(t, uint64(tick+1), h.WakeTick())
		require.NoError(t, s.CheckInvariants())
	}
}

// TestTickBudgetPreemptsLoneHardTasklet: a hard tasklet whose Awaits never switch away
// (a Schedule with nothing else runnable; sends that a waiting receiver takes while the
// channel prefers the sender) is pre-empted by the tick budget too: each of those Awaits
// counts as a step. It once ran until it chose to stop (loopSteps here).
func TestTickBudgetPreemptsLoneHardTasklet(t *testing.T) {
	t.Run("schedule", func(t *testing.T) {
		s := sim.NewScheduler(sim.Options{TickBudget: 5})
		defer s.Close()
		n := 0
		h := s.SpawnHard(func(h *sim.Tasklet) error {
			for n < loopSteps {
				n++
				if err := h.Schedule().Wait(); err != nil {
					return err
				}
			}
			return nil
		})
		for tick := 1; tick <= 3; tick++ {
			require.NoError(t, s.Tick())
			require.Equal(t, 5*tick, n)
			require.Equal(t, sim.StateSleeping, h.State())
			require.Equal(t, uint64(tick+1), h.WakeTick())
			require.Equal(t, uint64(tick), s.Stats().Preempted)
			require.NoError(t, s.CheckInvariants())
		}
	})
	t.Run("send", func(t *testing.T) {
		s := sim.NewScheduler(sim.Options{TickBudget: 5})
		defer s.Close()
		ch := sim.NewChan[int](s)
		ch.In(s).SetPreference(1) // the sender goes on: no switch
		rcv := &recvForever{Ch: ch}
		s.Spawn(rcv)
		require.NoError(t, s.Run()) // the receiver waits
		n := 0
		h := s.SpawnHard(func(h *sim.Tasklet) error {
			for n < loopSteps {
				n++
				if err := sim.Send(h, ch, n); err != nil {
					return err
				}
			}
			return nil
		})
		for tick := 1; tick <= 3; tick++ {
			require.NoError(t, s.Tick())
			require.Equal(t, []int{5 * tick, 5*tick - 1}, []int{n, rcv.Last})
			require.Equal(t, sim.StateSleeping, h.State())
			require.Equal(t, uint64(tick+1), h.WakeTick())
			require.Equal(t, uint64(2*tick), s.Stats().Preempted)
			require.NoError(t, s.CheckInvariants())
		}
	})
}

// TestCountsFollowEveryLifeStep walks a tasklet through bind, insert, block, kill, a new
// bind after death and an unbind, checking Counts (derived, not walked) and the
// invariants at each step.
func TestCountsFollowEveryLifeStep(t *testing.T) {
	s, l := newProgram(t)
	ch := sim.NewChan[string](s)
	tk := s.Spawn(nil)
	check := func(want sim.Counts) {
		t.Helper()
		require.Equal(t, want, s.Counts())
		require.NoError(t, s.CheckInvariants())
	}
	check(sim.Counts{Runnable: 1})
	require.NoError(t, tk.Bind(&receiver{l: l, name: "R", Ch: ch}))
	check(sim.Counts{Runnable: 1, Paused: 1})
	require.NoError(t, tk.Insert())
	check(sim.Counts{Runnable: 2})
	require.NoError(t, s.Run())
	check(sim.Counts{Runnable: 1, Blocked: 1})
	require.NoError(t, tk.Kill(s.Main()).Wait())
	check(sim.Counts{Runnable: 1})
	require.NoError(t, tk.Bind(&receiver{l: l, name: "R2", Ch: ch}))
	check(sim.Counts{Runnable: 1, Paused: 1})
	require.NoError(t, tk.Bind(nil))
	check(sim.Counts{Runnable: 1})
	require.Equal(t, "R waits\n", l.text())
}

// TestStateNamesRoundTrip: ParseState reads back every name String writes, refuses others,
// and a StateFilter selects exactly its states.
func TestStateNamesRoundTrip(t *testing.T) {
	for st := sim.StateNew; st <= sim.StateDead; st++ {
		got, err := sim.ParseState(st.String())
		require.NoError(t, err)
		require.Equal(t, st, got)
		require.True(t, sim.AllStates.Has(st))
	}
	_, err := sim.ParseState("zombie")
	require.EqualError(t, err, `sim: unknown tasklet state "zombie" (want one of [new paused runnable blocked sleeping watching dead])`)
	f := sim.States(sim.StateBlocked, sim.StateSleeping)
	var in []string
	for st := sim.StateNew; st <= sim.StateDead+1; st++ {
		if f.Has(st) {
			in = append(in, st.String())
		}
	}
	require.Equal(t, []string{"blocked", "sleeping"}, in)
	require.False(t, sim.StateFilter(0).Has(sim.StateNew))
}

// TestUserData: the scheduler keeps what its owner set and nothing else reads it.
func TestUserData(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	require.Nil(t, s.UserData())
	type owner struct{ name string }
	o := &owner{"world"}
	s.SetUserData(o)
	require.Same(t, o, s.Spawn(nil).Scheduler().UserData())
}

// zeroOp is a frame whose step returns the zero Op.
type zeroOp struct{}

func (zeroOp) Step(t *sim.T) sim.Op { return sim.Op{} }

// TestTaskletErrorNamesTheTaskletOnce: an unhandled error reads "sim: tasklet N: ..." with
// the tasklet and the package prefix once, whatever it wraps.
func TestTaskletErrorNamesTheTaskletOnce(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	s.Spawn(zeroOp{})
	err := s.Run()
	require.EqualError(t, err, "sim: tasklet 2: frame sim_test.zeroOp at pc 0: step returned the zero Op (return t.Goto, t.Return, an Await's Then, ...)")
	require.ErrorIs(t, err, sim.ErrZeroOp)
}
