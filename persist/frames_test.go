package persist_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// Frames and values used by the tests. Their layouts are fixed by the fixtures in
// testdata: change them only with an upgrade.

// out collects what frames print, per test.
var out strings.Builder

func printf(format string, a ...any) { fmt.Fprintf(&out, format, a...) }

// Rec is spec case 10's rec(n, depth) as a frame.
type Rec struct{ N, Depth, R int }

const (
	recEnter sim.PC = iota
	recBack
	recLeave
)

func (f *Rec) Step(t *sim.T) sim.Op {
	switch t.At() {
	case recEnter:
		printf("enter %d\n", f.Depth)
		if f.Depth < f.N {
			return t.Call(&Rec{N: f.N, Depth: f.Depth + 1}).Then(recBack)
		}
		return t.ScheduleRemove("paused at bottom").Then(recLeave)
	case recBack:
		f.R = sim.Child[*Rec](t).R
		fallthrough
	case recLeave:
		printf("leave %d\n", f.Depth)
		f.R += f.Depth
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// Consumer receives from Ch forever (spec case 11).
type Consumer struct {
	Ch   sim.Chan[any]
	Name string
	Got  int
}

func (f *Consumer) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return f.Ch.Recv(t).Then(1)
	case 1:
		printf("%s got %v\n", f.Name, f.Ch.Got(t))
		f.Got++
		return t.Goto(0)
	}
	return t.Raise(sim.ErrBadPC)
}

// Producer sends V on Ch, then returns.
type Producer struct {
	Ch sim.Chan[any]
	V  any
}

func (f *Producer) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return f.Ch.Send(t, f.V).Then(1)
	case 1:
		printf("sent %v\n", f.V)
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// Sleeper sleeps Ticks ticks N times, printing each wake-up.
type Sleeper struct {
	Name     string
	Ticks, N int
}

func (f *Sleeper) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		if f.N == 0 {
			return t.Return()
		}
		f.N--
		return t.Sleep(f.Ticks).Then(1)
	case 1:
		printf("%s woke at %d\n", f.Name, t.Scheduler().Now())
		return t.Goto(0)
	}
	return t.Raise(sim.ErrBadPC)
}

// Waiter receives with a timeout and catches errors.
type Waiter struct {
	Ch    sim.Chan[int]
	Ticks int
	Log   []string
}

func (f *Waiter) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return f.Ch.RecvFor(t, f.Ticks).Then(1)
	case 1:
		v, ok := f.Ch.GotOK(t)
		printf("waiter: %d %v at %d\n", v, ok, t.Scheduler().Now())
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

func (f *Waiter) Catch(t *sim.T, err error) sim.Op {
	printf("waiter caught: %v\n", err)
	return t.Return()
}

// Point is a nested value.
type Point struct{ X, Y float64 }

// Node is a registered struct reached through pointers.
type Node struct {
	Name string
	Next *Node
}

// Msg is a message type sent through channels.
type Msg struct {
	From sim.ID
	Kind uint8
	Text string
}

// Errors registered for the tests.
var ErrBoom = errors.New("boom")

// Kitchen holds every kind of field the format supports.
type Kitchen struct {
	B    bool
	I    int
	I8   int8
	I16  int16
	I32  int32
	I64  int64
	U    uint
	U8   uint8
	U16  uint16
	U32  uint32
	U64  uint64
	F32  float32
	F64  float64
	S    string
	Bs   []byte
	Hash [4]byte
	Ints []int
	Strs [2]string
	M    map[string]int
	MI   map[int32]Point
	P    Point
	Ps   []Point
	Ch   sim.Chan[Msg]
	Any  any
	Anys []any
	Err  error
	Head *Node
	Sub  sim.Frame
	ID   sim.ID
}

func (f *Kitchen) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return t.ScheduleRemove(nil).Then(1)
	case 1:
		printf("kitchen %d %q\n", f.I, f.S)
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// Byval is a frame used by value (its Step has a value receiver).
type Byval struct{ K int }

func (f Byval) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return t.ScheduleRemove(nil).Then(1)
	case 1:
		printf("byval %d\n", f.K)
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

func init() {
	persist.Register[Rec]("ptest.Rec", "enter", "back", "leave")
	persist.Register[Consumer]("ptest.Consumer", "receive", "got")
	persist.Register[Producer]("ptest.Producer", "send", "sent")
	persist.Register[Sleeper]("ptest.Sleeper", "sleep", "woke")
	persist.Register[Waiter]("ptest.Waiter", "wait", "got")
	persist.Register[Point]("ptest.Point")
	persist.Register[Node]("ptest.Node")
	persist.Register[Msg]("ptest.Msg")
	persist.Register[Kitchen]("ptest.Kitchen", "pause", "print")
	persist.Register[Byval]("ptest.Byval")
	persist.RegisterError("ptest.ErrBoom", ErrBoom)
}
