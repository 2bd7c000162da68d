// Package simbench holds the benchmarks of package sim as plain functions, with their
// baselines beside them, so that sim's tests ("go test -bench . ./sim") and the stackworld
// CLI ("stackworld bench", through testing.Benchmark) run the same code.
//
// Every benchmark proves that its work is right before it starts the timer (the turns
// happened, the values arrived) and reports the unit of its target with b.ReportMetric:
// ns/turn, ns/handoff, ns/switch. The design's targets (DESIGN.md, "Performance notes"):
//
//	Turn, spawn order, 1M tasklets    ≤ 10 ns/turn, ≥ 10× faster than PullTurn
//	Turn, shuffled, 1M tasklets       ≤ 25 ns/turn
//	Handoff                           ≤ 15 ns/handoff, ≥ 10× faster than GoroutineHandoff
//	HardSwitch                        ≤ 1.2× PullSwitch (MainHardSwitch: no target)
//	ParkedSoft, 1M tasklets           ≤ 96 B/tasklet (ParkedGoroutines: the baseline)
//
// ParkedSoft and ParkedGoroutines are not benchmarks but measurements, meant for a fresh
// process; sim's BenchmarkParkedMemory runs them in a child.
//
// The design measured with GOMAXPROCS=1 (go test -cpu 1); the sim benchmarks do not
// depend on it, the goroutine baselines do.
//
// Determinism: the shuffled ring comes from a PCG with a fixed seed. The goroutine and
// iter.Pull baselines use the Go scheduler; nothing here feeds a world.
package simbench

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stackworld/stackworld/sim"
)

// handoffBatch is the number of send→receive hand-offs per timed iteration.
const handoffBatch = 1024

// spinner is a frame that yields forever, counting its turns.
type spinner struct{ Turns int }

func (f *spinner) Step(t *sim.T) sim.Op {
	f.Turns++
	return t.Schedule().Then(0)
}

// NewTurnRing returns a scheduler with n soft tasklets that each yield forever
// (t.Schedule().Then(0)), and their frames. Tasklets and frames are allocated in spawn
// order; with shuffled the ring order is a fixed random permutation of it (what churn
// produces): the tasklets are spawned paused and inserted in shuffled order.
func NewTurnRing(n int, shuffled bool) (*sim.Scheduler, []*spinner) {
	s := sim.NewScheduler(sim.Options{})
	frames := make([]*spinner, n)
	if !shuffled {
		for i := range frames {
			frames[i] = &spinner{}
			s.Spawn(frames[i])
		}
		return s, frames
	}
	ts := make([]*sim.Tasklet, n)
	for i := range frames {
		frames[i] = &spinner{}
		ts[i] = s.SpawnPaused(frames[i])
	}
	rand.New(rand.NewPCG(uint64(n), 0x5eed)).Shuffle(n, func(i, j int) { ts[i], ts[j] = ts[j], ts[i] })
	for _, t := range ts {
		if err := t.Insert(); err != nil {
			panic(err)
		}
	}
	return s, frames
}

// Turn measures one turn of a soft tasklet (resume its frame, run the step, yield to the
// ring's next tasklet) with n tasklets in the ring, in spawn order or shuffled. The main
// tasklet drives: each s.Schedule() runs every tasklet once.
func Turn(b *testing.B, n int, shuffled bool) {
	s, frames := NewTurnRing(n, shuffled)
	if err := s.Schedule(); err != nil {
		b.Fatal(err)
	}
	if got := s.RunCount(); got != n+1 {
		b.Fatalf("RunCount %d after one round, want %d", got, n+1)
	}
	for i, f := range frames {
		if f.Turns != 1 {
			b.Fatalf("tasklet %d ran %d turns in one round, want 1", i, f.Turns)
		}
	}
	turns := 0
	for b.Loop() {
		if err := s.Schedule(); err != nil {
			b.Fatal(err)
		}
		turns += n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(turns), "ns/turn")
	if frames[0].Turns != frames[n-1].Turns {
		b.Fatalf("first and last tasklet ran %d and %d turns", frames[0].Turns, frames[n-1].Turns)
	}
}

// PullTurn is Turn's baseline: n iter.Pull coroutines, each yielding forever, resumed
// round-robin from a slice.
func PullTurn(b *testing.B, n int) {
	nexts := make([]func() (int, bool), n)
	stops := make([]func(), n)
	for i := range nexts {
		nexts[i], stops[i] = iter.Pull(count)
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	for i, next := range nexts {
		if v, ok := next(); v != 0 || !ok {
			b.Fatalf("coroutine %d yielded %d, %v first, want 0, true", i, v, ok)
		}
	}
	turns := 0
	for b.Loop() {
		for _, next := range nexts {
			next()
		}
		turns += n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(turns), "ns/turn")
	if v, _ := nexts[n-1](); v != turns/n+1 {
		b.Fatalf("last coroutine yielded %d, want %d", v, turns/n+1)
	}
}

// count yields 0, 1, 2, ... forever.
func count(yield func(int) bool) {
	for i := 0; yield(i); i++ {
	}
}

// ptrSender sends P on Ch Left times (counting in *P), then pauses itself; the main
// tasklet inserts it again with a new Left.
type ptrSender struct {
	Ch   sim.Chan[*int]
	P    *int
	Left int
}

func (f *ptrSender) Step(t *sim.T) sim.Op {
	if f.Left == 0 {
		return t.ScheduleRemove(nil).Then(0)
	}
	f.Left--
	*f.P++
	return f.Ch.Send(t, f.P).Then(0)
}

// ptrReceiver receives pointers forever, counting those that are not Want.
type ptrReceiver struct {
	Ch   sim.Chan[*int]
	Want *int
	Got  int
	Bad  int
}

const (
	pcRecv sim.PC = iota
	pcGot
)

func (f *ptrReceiver) Step(t *sim.T) sim.Op {
	if t.At() == pcGot {
		f.Got++
		if p := f.Ch.Got(t); p != f.Want || *p != f.Got {
			f.Bad++
		}
	}
	return f.Ch.Recv(t).Then(pcGot)
}

// intSender is ptrSender sending the values V+1, V+2, ...
type intSender struct {
	Ch   sim.Chan[int]
	V    int
	Left int
}

func (f *intSender) Step(t *sim.T) sim.Op {
	if f.Left == 0 {
		return t.ScheduleRemove(nil).Then(0)
	}
	f.Left--
	f.V++
	return f.Ch.Send(t, f.V).Then(0)
}

// intReceiver receives ints forever, counting those that are not Want+1, Want+2, ...
type intReceiver struct {
	Ch   sim.Chan[int]
	Want int
	Got  int
	Bad  int
}

func (f *intReceiver) Step(t *sim.T) sim.Op {
	if t.At() == pcGot {
		f.Got++
		f.Want++
		if f.Ch.Got(t) != f.Want {
			f.Bad++
		}
	}
	return f.Ch.Recv(t).Then(pcGot)
}

// handoff measures send→receive between the soft tasklets of frames send and recv over a
// channel with the default preference (-1: the sender switches to the waiting receiver).
// setLeft gives the sender a batch; got and bad read the receiver's counts.
func handoff(b *testing.B, s *sim.Scheduler, send, recv sim.Frame, setLeft func(int), got func() (n, bad int)) {
	s.Spawn(recv)
	st := s.SpawnPaused(send)
	batch := func() {
		setLeft(handoffBatch)
		if err := st.Insert(); err != nil {
			b.Fatal(err)
		}
		if err := s.Run(); err != nil {
			b.Fatal(err)
		}
	}
	batch()
	if n, bad := got(); n != handoffBatch || bad != 0 || s.RunCount() != 1 {
		b.Fatalf("after one batch: received %d (%d wrong), run count %d; want %d, 0, 1", n, bad, s.RunCount(), handoffBatch)
	}
	n := 0
	for b.Loop() {
		batch()
		n += handoffBatch
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/handoff")
	if got, bad := got(); got != n+handoffBatch || bad != 0 {
		b.Fatalf("received %d (%d wrong), want %d", got, bad, n+handoffBatch)
	}
}

// Handoff measures a send→receive hand-off between two soft tasklets, passing a pointer
// (no allocation).
func Handoff(b *testing.B) {
	s := sim.NewScheduler(sim.Options{})
	ch := sim.NewChan[*int](s)
	p := new(int)
	send := &ptrSender{Ch: ch, P: p}
	recv := &ptrReceiver{Ch: ch, Want: p}
	handoff(b, s, send, recv, func(n int) { send.Left = n }, func() (int, int) { return recv.Got, recv.Bad })
}

// HandoffInt is Handoff passing an int: values above 255 are boxed into an any (one
// allocation per send; DESIGN.md has the figure).
func HandoffInt(b *testing.B) {
	s := sim.NewScheduler(sim.Options{})
	ch := sim.NewChan[int](s)
	send := &intSender{Ch: ch, V: 1000}
	recv := &intReceiver{Ch: ch, Want: 1000}
	handoff(b, s, send, recv, func(n int) { send.Left = n }, func() (int, int) { return recv.Got, recv.Bad })
}

// GoroutineHandoff is Handoff's baseline: two goroutines over an unbuffered chan int.
func GoroutineHandoff(b *testing.B) {
	ch := make(chan int)
	start := make(chan int)
	go func() {
		v := 0
		for k := range start {
			for range k {
				v++
				ch <- v
			}
		}
	}()
	defer close(start)
	want := 0
	batch := func() {
		start <- handoffBatch
		for range handoffBatch {
			want++
			if v := <-ch; v != want {
				b.Fatalf("received %d, want %d", v, want)
			}
		}
	}
	batch()
	n := 0
	for b.Loop() {
		batch()
		n += handoffBatch
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/handoff")
}

// HardSwitch measures a hard-tasklet switch: the scheduler resumes a hard tasklet, which
// runs h.Schedule().Wait() and yields (one resume and one yield of its coroutine, as
// PullSwitch's next() does), and goes on to the next. Two hard tasklets take turns while
// the main tasklet waits in Run, as the tasklets of a world's tick do.
func HardSwitch(b *testing.B) {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	first, second, done := 0, 0, false
	s.SpawnHard(func(h *sim.Tasklet) error {
		for b.Loop() {
			first++
			if err := h.Schedule().Wait(); err != nil {
				return err
			}
		}
		done = true
		return nil
	})
	s.SpawnHard(func(h *sim.Tasklet) error {
		for !done {
			second++
			if err := h.Schedule().Wait(); err != nil {
				return err
			}
		}
		return nil
	})
	if err := s.Run(); err != nil {
		b.Fatal(err)
	}
	if first != second || s.RunCount() != 1 {
		b.Fatalf("the tasklets ran %d and %d times; %d left in the ring, want only main", first, second, s.RunCount())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(first+second), "ns/switch")
}

// MainHardSwitch measures the main tasklet's round trip through a hard tasklet: main's
// Schedule resumes the hard tasklet, which runs h.Schedule().Wait() and yields back. It is
// one coroutine resume and yield, as PullSwitch's next() is, plus main's own yield and
// resumption.
func MainHardSwitch(b *testing.B) {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	n := 0
	s.SpawnHard(func(h *sim.Tasklet) error {
		for {
			n++
			if err := h.Schedule().Wait(); err != nil {
				return err
			}
		}
	})
	for i := 1; i <= 2; i++ {
		if err := s.Schedule(); err != nil {
			b.Fatal(err)
		}
		if n != i {
			b.Fatalf("hard tasklet ran %d times after %d rounds", n, i)
		}
	}
	switches := 0
	for b.Loop() {
		if err := s.Schedule(); err != nil {
			b.Fatal(err)
		}
		switches++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(switches), "ns/switch")
	if n != switches+2 {
		b.Fatalf("hard tasklet ran %d times, want %d", n, switches+2)
	}
}

// PullSwitch is the baseline of HardSwitch and MainHardSwitch: next() of an iter.Pull
// coroutine that yields forever (a resume and a yield).
func PullSwitch(b *testing.B) {
	next, stop := iter.Pull(count)
	defer stop()
	if v, ok := next(); v != 0 || !ok {
		b.Fatalf("first yield %d, %v; want 0, true", v, ok)
	}
	switches := 0
	for b.Loop() {
		next()
		switches++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(switches), "ns/switch")
	if v, _ := next(); v != switches+1 {
		b.Fatalf("yielded %d, want %d", v, switches+1)
	}
}

// PullRingSwitch is a model of the least any scheduler with a Stackless ring adds to
// PullSwitch: the main side yields to the coroutine and back, each a move of the current
// tasklet from the ring buffer's front to its end (as sim's yield does, without its
// checks), with one frame of its own around next() (sim's loop). It bounds what
// MainHardSwitch can reach; it schedules nothing real.
func PullRingSwitch(b *testing.B) {
	next, stop := iter.Pull(countSchedules)
	defer stop()
	r := &modelRing{buf: make([]*modelTasklet, 8)}
	m, h := &modelTasklet{pos: 0}, &modelTasklet{pos: 1, next: next}
	r.buf[0], r.buf[1], r.tail, r.current = m, h, 2, m
	switches := 0
	for b.Loop() {
		r.wait(m)
		switches++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(switches), "ns/switch")
	if r.current != m || r.tail != uint32(2+2*switches) {
		b.Fatalf("after %d round trips: current is main %v, tail %d", switches, r.current == m, r.tail)
	}
}

// countSchedules yields "schedule" forever, as a hard tasklet that only yields.
func countSchedules(yield func(bool) bool) {
	for yield(true) {
	}
}

type modelTasklet struct {
	pos  uint32
	next func() (bool, bool) // nil for main
}

type modelRing struct {
	buf        []*modelTasklet
	head, tail uint32
	current    *modelTasklet
}

// rotate moves t, current and first, to the ring's end, and makes the next one current.
//
//go:noinline
func (r *modelRing) rotate(t *modelTasklet) {
	m := len(r.buf) - 1
	if m < 0 {
		return
	}
	h := t.pos + 1
	next := r.buf[int(h)&m]
	for next == nil {
		h++
		next = r.buf[int(h)&m]
	}
	r.buf[int(t.pos)&m], r.buf[int(r.tail)&m], r.current = nil, t, next
	t.pos, r.tail, r.head = r.tail, r.tail+1, h
}

// wait is main's Schedule: yield, then resume the others until main is current again.
//
//go:noinline
func (r *modelRing) wait(main *modelTasklet) {
	r.rotate(main)
	for c := r.current; c != main; c = r.current {
		if yielded, _ := c.next(); yielded {
			r.rotate(c)
		}
	}
}

// parkedFrame is a small frame blocked on a receive: a channel handle and a result.
type parkedFrame struct {
	Ch  sim.Chan[int]
	Got int
}

func (f *parkedFrame) Step(t *sim.T) sim.Op {
	if t.At() == pcGot {
		f.Got = f.Ch.Got(t)
		return t.Return()
	}
	return f.Ch.Recv(t).Then(pcGot)
}

// heapInUse returns the bytes of live heap objects and goroutine stacks after a GC.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// ParkedSoft returns the memory of a parked soft tasklet: n tasklets, each with one
// parkedFrame (16 bytes), blocked receiving on one channel, divided by n. It counts what
// the live heap (and stacks) grow by after a GC. With batch > 0 the tasklets are spawned
// and run into the channel batch at a time, so the runnable ring never holds more than
// batch: the figure is then a parked tasklet's own cost (tasklet, frame, its slot in the
// channel's wait queue). With batch == 0 all n are runnable at once first, and the ring
// keeps the capacity it grew to (8 bytes a tasklet, 8.4 at 10^6: 2^20 slots) for the next
// tick, as it does in a world whose tasklets all wake together. Run it in a fresh process
// (the test binary re-execs itself) so that nothing else lives in the heap.
func ParkedSoft(n, batch int) (bytesPerTasklet float64, err error) {
	if batch <= 0 || batch > n {
		batch = n
	}
	before := heapInUse()
	s := sim.NewScheduler(sim.Options{})
	ch := sim.NewChan[int](s)
	for done := 0; done < n; done += batch {
		for range min(batch, n-done) {
			s.Spawn(&parkedFrame{Ch: ch})
		}
		if err := s.Run(); err != nil {
			return 0, err
		}
	}
	if bal := ch.In(s).Balance(); bal != -n || s.RunCount() != 1 {
		return 0, fmt.Errorf("simbench: balance %d and run count %d with %d parked tasklets", bal, s.RunCount(), n)
	}
	after := heapInUse()
	runtime.KeepAlive(s)
	return float64(after-before) / float64(n), nil
}

// ParkedGoroutines is ParkedSoft's baseline: n goroutines blocked receiving on one
// channel, counting heap and goroutine stacks. It releases them before it returns.
func ParkedGoroutines(n int) (bytesPerGoroutine float64, err error) {
	before := heapInUse()
	ch := make(chan int)
	ready := make(chan struct{}, n)
	for range n {
		go func() {
			ready <- struct{}{}
			<-ch
		}()
	}
	for range n {
		<-ready
	}
	after := heapInUse()
	close(ch)
	return float64(after-before) / float64(n), nil
}
