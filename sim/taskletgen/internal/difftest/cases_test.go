package difftest

// The spec cases of sim/spec_test.go that have a hard version, with the same expected
// output, run from one source: each marked function runs as a hard tasklet (as written)
// and as a soft one (its generated frame), and both must print exactly the spec's text.

import (
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// forKinds runs program with hard tasklets and with soft ones; each must print want.
func forKinds(t *testing.T, want string, program func(t *testing.T, s *sim.Scheduler, k sim.Kind)) {
	t.Helper()
	for _, k := range []sim.Kind{sim.Hard, sim.Soft} {
		t.Run(k.String(), func(t *testing.T) {
			Out = nil
			s := sim.NewScheduler(sim.Options{})
			t.Cleanup(s.Close)
			program(t, s, k)
			require.Equal(t, want, Text())
		})
	}
}

// spawn appends a tasklet running fn (hard) or its frame (soft) to the ring.
func spawn(s *sim.Scheduler, k sim.Kind, fn sim.HardFunc, frame sim.Frame) *sim.Tasklet {
	if k == sim.Hard {
		return s.SpawnHard(fn)
	}
	return s.Spawn(frame)
}

// Spec: case 1.
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
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind) {
		for _, w := range []struct {
			name string
			n    int
		}{{"A", 2}, {"B", 3}, {"C", 1}} {
			spawn(s, k, func(h *sim.Tasklet) error { return Worker(h, w.name, w.n) }, &WorkerFrame{Name: w.name, N: w.n})
		}
		printf("runcount before run: %d", s.RunCount())
		require.NoError(t, s.Run())
		printf("runcount after run: %d", s.RunCount())
	})
}

// Spec: case 2.
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
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind) {
		m := s.Main()
		for _, pref := range []int{-1, 0, 1} {
			printf("pref %d - main sends to a blocked receiver", pref)
			ch := sim.NewChan[string](s)
			ch.In(s).SetPreference(pref)
			spawn(s, k, func(h *sim.Tasklet) error { return Receiver(h, ch) }, &ReceiverFrame{Ch: ch})
			require.NoError(t, s.Run())
			printf("  balance %d", ch.In(s).Balance())
			require.NoError(t, sim.Send(m, ch, "v"))
			printf("  main: send returned")
			require.NoError(t, s.Run())
			printf("pref %d - main receives from a blocked sender", pref)
			spawn(s, k, func(h *sim.Tasklet) error { return Sender(h, ch) }, &SenderFrame{Ch: ch})
			require.NoError(t, s.Run())
			printf("  balance %d", ch.In(s).Balance())
			v, err := sim.Receive(m, ch)
			require.NoError(t, err)
			printf("  main: received %s", v)
			require.NoError(t, s.Run())
		}
	})
}

// Spec: case 4.
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
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind) {
		m := s.Main()
		ch := sim.NewChan[string](s)
		c := ch.In(s)
		var senders []*sim.Tasklet
		for _, v := range []string{"a", "b", "c"} {
			senders = append(senders, spawn(s, k, func(h *sim.Tasklet) error { return SendOne(h, ch, v) }, &SendOneFrame{Ch: ch, V: v}))
		}
		require.NoError(t, s.Run())
		printf("balance %d queue head is first sender: %s", c.Balance(), Py(c.Head() == senders[0]))
		for range 3 {
			v, err := sim.Receive(m, ch)
			require.NoError(t, err)
			printf("main got %s balance now %d", v, c.Balance())
		}
		require.NoError(t, s.Run())
		for _, n := range []int{1, 2} {
			spawn(s, k, func(h *sim.Tasklet) error { return ReceiveOne(h, ch, n) }, &ReceiveOneFrame{Ch: ch, N: n})
		}
		require.NoError(t, s.Run())
		printf("balance %d", c.Balance())
		require.NoError(t, sim.Send(m, ch, "p"))
		require.NoError(t, sim.Send(m, ch, "q"))
		queue := "None"
		if c.Head() != nil {
			queue = c.Head().String()
		}
		printf("balance %d queue %s", c.Balance(), queue)
	})
}

// Spec: case 5 (the kill; the operations on the dead tasklet do not depend on its kind).
func TestCase05KillBlocked(t *testing.T) {
	const want = `waiter: receiving
blocked True alive True scheduled True balance -1
waiter: got TaskletExit isinstance SystemExit: True
waiter: finally
after kill: blocked False alive False scheduled False balance 0
second kill ok
`
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind) {
		m := s.Main()
		ch := sim.NewChan[any](s)
		w := spawn(s, k, func(h *sim.Tasklet) error { return Waiter(h, ch) }, &WaiterFrame{Ch: ch})
		c := ch.In(s)
		require.NoError(t, s.Run())
		printf("blocked %s alive %s scheduled %s balance %d", Py(w.Blocked()), Py(w.Alive()), Py(w.Scheduled()), c.Balance())
		require.NoError(t, w.Kill(m).Wait())
		printf("after kill: blocked %s alive %s scheduled %s balance %d", Py(w.Blocked()), Py(w.Alive()), Py(w.Scheduled()), c.Balance())
		require.NoError(t, w.Kill(m).Wait())
		printf("second kill ok")
	})
}

// Spec: case 7 (the run, schedule and receive parts).
func TestCase07UncaughtErrors(t *testing.T) {
	const want = `L 0
bad: raising
main: run() raised ValueError [boom]
bad alive False looper alive True runcount 2
L 1
L 2
looper alive False
main: schedule() raised KeyError [k]
runcount 2
other runs
main: receive() raised ZeroDivisionError [mumbai]
`
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind) {
		m := s.Main()
		looper := spawn(s, k, func(h *sim.Tasklet) error { return Looper(h, "L") }, &LooperFrame{Name: "L"})
		raiser := func(msg string, err error) *sim.Tasklet {
			return spawn(s, k, func(h *sim.Tasklet) error { return Raiser(h, msg, err) }, &RaiserFrame{Msg: msg, Err: err})
		}
		raisedBy := func(err error, who *sim.Tasklet) string {
			var te *sim.TaskletError
			require.ErrorAs(t, err, &te)
			require.Equal(t, who.ID(), te.Tasklet)
			var e *PyError
			require.ErrorAs(t, err, &e)
			return fmt.Sprintf("%s %v", e.Class, e.Args)
		}
		bad := raiser("bad: raising", &PyError{"ValueError", []any{"boom"}})
		printf("main: run() raised %s", raisedBy(s.Run(), bad))
		printf("bad alive %s looper alive %s runcount %d", Py(bad.Alive()), Py(looper.Alive()), s.RunCount())
		require.NoError(t, s.Run())
		printf("looper alive %s", Py(looper.Alive()))

		bad2 := raiser("", &PyError{"KeyError", []any{"k"}})
		spawn(s, k, func(h *sim.Tasklet) error { Say(h, "other runs"); return nil }, &SayFrame{Msg: "other runs"})
		printf("main: schedule() raised %s", raisedBy(s.Schedule(), bad2))
		printf("runcount %d", s.RunCount())
		require.NoError(t, s.Run())

		bad3 := raiser("", &PyError{"ZeroDivisionError", []any{"mumbai"}})
		_, err := sim.Receive(m, sim.NewChan[any](s))
		printf("main: receive() raised %s", raisedBy(err, bad3))
	})
}

// Spec: case 13 (send_sequence is a loop of sends: its iterator could not be saved).
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
	forKinds(t, want, func(t *testing.T, s *sim.Scheduler, k sim.Kind) {
		m := s.Main()
		ch := sim.NewChan[int](s)
		receiver := func(class, label string) {
			spawn(s, k, func(h *sim.Tasklet) error { return ErrReceiver(h, ch, class, label) }, &ErrReceiverFrame{Ch: ch, Class: class, Label: label})
		}
		receiver("ValueError", "receiver")
		require.NoError(t, s.Run())
		require.NoError(t, sim.SendError(m, ch, &PyError{"ValueError", []any{1, 2, 3}}))

		receiver("ValueError", "receiver")
		require.NoError(t, s.Run())
		receiver("KeyError", "recv2")
		require.NoError(t, s.Run())
		require.Equal(t, -2, ch.In(s).Balance())
		require.NoError(t, sim.SendError(m, ch, &PyError{"ValueError", []any{"v"}}))
		require.NoError(t, sim.SendError(m, ch, fmt.Errorf("fails: %w", &PyError{"KeyError", []any{"k"}})))

		spawn(s, k, func(h *sim.Tasklet) error { return Consumer(h, ch) }, &ConsumerFrame{Ch: ch})
		spawn(s, k, func(h *sim.Tasklet) error { return Producer(h, ch) }, &ProducerFrame{Ch: ch})
		require.NoError(t, s.Run())
		require.Equal(t, 0, ch.In(s).Balance())
	})
}
