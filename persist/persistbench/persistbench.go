// Package persistbench holds the snapshot benchmarks (P5) as plain functions taking a
// *testing.B, so that persist's own benchmarks and `stackworld bench` run the same code.
//
// The world is one scheduler with n parked soft tasklets in a fixed mix: 35% runnable,
// 35% sleeping (1 to 64 ticks), 10% blocked receiving (16 per channel, one in four with a
// receive deadline), 10% blocked sending a value (8 per channel; an int or a *Msg), 5%
// with four frames (a recursion, sleeping at the bottom) and 5% paused. Every benchmark
// has its baseline in the same run: encoding/gob of the same data (the scheduler's
// sim.Image, which is what persist encodes too), both ways.
package persistbench

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"sync"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// Walker is an idle runnable frame.
type Walker struct {
	X, Y int32
	Dir  uint8
}

func (f *Walker) Step(t *sim.T) sim.Op {
	f.X += int32(f.Dir)
	return t.Schedule().Then(0)
}

// Sleeper sleeps Ticks ticks, forever.
type Sleeper struct {
	Ticks int32
	Count uint32
}

func (f *Sleeper) Step(t *sim.T) sim.Op {
	f.Count++
	return t.Sleep(int(f.Ticks)).Then(0)
}

// Inbox receives on channel Ch forever, with a timeout of Timeout ticks if not 0.
type Inbox struct {
	Ch      sim.ChanID
	Timeout int32
	Got     uint32
}

func (f *Inbox) Step(t *sim.T) sim.Op {
	ch := sim.ChanOf[any](f.Ch)
	switch t.At() {
	case 0:
		if f.Timeout > 0 {
			return ch.RecvFor(t, int(f.Timeout)).Then(1)
		}
		return ch.Recv(t).Then(1)
	case 1:
		f.Got++
		return t.Goto(0)
	}
	return t.Raise(sim.ErrBadPC)
}

// Outbox sends a value on Ch forever.
type Outbox struct {
	Ch  sim.ChanID
	Seq uint32
}

// Msg is a value queued in channels.
type Msg struct {
	From sim.ID
	Kind uint8
	Seq  uint32
}

func (f *Outbox) Step(t *sim.T) sim.Op {
	f.Seq++
	var v any = int(f.Seq)
	if f.Seq%2 == 0 {
		v = &Msg{From: t.ID(), Kind: 1, Seq: f.Seq}
	}
	return sim.ChanOf[any](f.Ch).Send(t, v).Then(0)
}

// Deep recurses to Max levels and sleeps at the bottom.
type Deep struct{ Level, Max int32 }

func (f *Deep) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		if f.Level < f.Max {
			return t.Call(&Deep{Level: f.Level + 1, Max: f.Max}).Then(1)
		}
		return t.Sleep(1000).Then(1)
	}
	return t.Return()
}

// Pauser pauses itself.
type Pauser struct{ N int32 }

func (f *Pauser) Step(t *sim.T) sim.Op { return t.ScheduleRemove(nil).Then(0) }

func init() {
	persist.Register[Walker]("bench.Walker", "walk")
	persist.Register[Sleeper]("bench.Sleeper", "sleep")
	persist.Register[Inbox]("bench.Inbox", "receive", "got")
	persist.Register[Outbox]("bench.Outbox", "send")
	persist.Register[Deep]("bench.Deep", "call", "back")
	persist.Register[Pauser]("bench.Pauser", "pause")
	persist.Register[Msg]("bench.Msg")
	for _, v := range []any{&Walker{}, &Sleeper{}, &Inbox{}, &Outbox{}, &Deep{}, &Pauser{}, &Msg{}} {
		gob.Register(v)
	}
}

// World returns a scheduler with n parked soft tasklets in the P5 mix (see the package
// doc). The same n always gives the same world.
func World(n int) *sim.Scheduler {
	s := sim.NewScheduler(sim.Options{})
	var in, outCh sim.ChanID
	var ins, outs int
	var runnable []int
	for i := range n {
		switch k := i % 20; {
		case k < 7: // runnable: spawned after the first run
			runnable = append(runnable, i)
		case k < 14:
			s.Spawn(&Sleeper{Ticks: int32(1 + i%64)})
		case k < 16:
			if ins%16 == 0 {
				in = s.NewChannel().ID()
			}
			ins++
			var to int32
			if ins%4 == 0 {
				to = int32(10 + i%50)
			}
			s.Spawn(&Inbox{Ch: in, Timeout: to})
		case k < 18:
			if outs%8 == 0 {
				outCh = s.NewChannel().ID()
			}
			outs++
			s.Spawn(&Outbox{Ch: outCh})
		case k < 19:
			s.Spawn(&Deep{Max: 3})
		default:
			s.Spawn(&Pauser{N: int32(i)})
		}
	}
	if err := s.Run(); err != nil {
		panic(err)
	}
	for _, i := range runnable {
		s.Spawn(&Walker{X: int32(i % 1000), Y: int32(i % 777), Dir: uint8(i % 4)})
	}
	return s
}

// IdleWorld returns a scheduler with n runnable one-frame Walker tasklets: the idle
// tasklet of the size target.
func IdleWorld(n int) *sim.Scheduler {
	s := sim.NewScheduler(sim.Options{})
	for i := range n {
		s.Spawn(&Walker{X: int32(i % 1000), Y: int32(i % 777), Dir: uint8(i % 4)})
	}
	return s
}

var (
	mu     sync.Mutex
	worlds = map[string]*sim.Scheduler{}
)

func cached(kind string, n int, make func(int) *sim.Scheduler) *sim.Scheduler {
	mu.Lock()
	defer mu.Unlock()
	key := fmt.Sprint(kind, n)
	if s := worlds[key]; s != nil {
		return s
	}
	clear(worlds) // keep one world at a time: a 1M world is ~150 MB
	s := make(n)
	worlds[key] = s
	return s
}

func codec(b *testing.B) *persist.Codec {
	c, err := persist.DefaultOptions().Codec()
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func report(b *testing.B, n int, size int) {
	total := float64(n) * float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/tasklet")
	b.ReportMetric(total/b.Elapsed().Seconds()/1e6, "Mtasklets/s")
	if size > 0 {
		b.ReportMetric(float64(size)/float64(n), "B/tasklet")
	}
}

// Save measures persist's Save of World(n).
func Save(b *testing.B, n int) {
	s := cached("mix", n, World)
	c := codec(b)
	data, _, err := c.Save(s)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		data, _, err = c.Save(s)
		if err != nil {
			b.Fatal(err)
		}
	}
	report(b, n, len(data))
}

// Load measures persist's Load of World(n)'s snapshot (tasklets restored as saved).
func Load(b *testing.B, n int) {
	s := cached("mix", n, World)
	c := codec(b)
	data, _, err := c.Save(s)
	if err != nil {
		b.Fatal(err)
	}
	s2, _, err := c.Load(data, sim.RestoreOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if s2.Counts() != s.Counts() {
		b.Fatalf("loaded %+v, saved %+v", s2.Counts(), s.Counts())
	}
	s2 = nil
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := c.Load(data, sim.RestoreOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	report(b, n, len(data))
}

// SaveIdle measures Save of IdleWorld(n) and reports its size per tasklet.
func SaveIdle(b *testing.B, n int) {
	s := cached("idle", n, IdleWorld)
	c := codec(b)
	var data []byte
	for b.Loop() {
		var err error
		if data, _, err = c.Save(s); err != nil {
			b.Fatal(err)
		}
	}
	report(b, n, len(data))
}

func gobEncode(s *sim.Scheduler) ([]byte, error) {
	img, _, err := s.Snapshot(sim.SnapshotOptions{})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = gob.NewEncoder(&buf).Encode(img)
	return buf.Bytes(), err
}

func gobDecode(data []byte) (*sim.Scheduler, error) {
	var img sim.Image
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&img); err != nil {
		return nil, err
	}
	s := sim.NewScheduler(sim.Options{})
	return s, s.Restore(&img, sim.RestoreOptions{})
}

// GobSave is the baseline of Save: the scheduler's sim.Image encoded with encoding/gob.
func GobSave(b *testing.B, n int) {
	s := cached("mix", n, World)
	var data []byte
	for b.Loop() {
		var err error
		if data, err = gobEncode(s); err != nil {
			b.Fatal(err)
		}
	}
	report(b, n, len(data))
}

// GobLoad is the baseline of Load: gob-decoding the sim.Image and restoring it.
func GobLoad(b *testing.B, n int) {
	s := cached("mix", n, World)
	data, err := gobEncode(s)
	if err != nil {
		b.Fatal(err)
	}
	s2, err := gobDecode(data)
	if err != nil {
		b.Fatal(err)
	}
	if s2.Counts() != s.Counts() {
		b.Fatalf("gob loaded %+v, saved %+v", s2.Counts(), s.Counts())
	}
	s2 = nil
	b.ResetTimer()
	for b.Loop() {
		if _, err := gobDecode(data); err != nil {
			b.Fatal(err)
		}
	}
	report(b, n, len(data))
}

// Run runs every snapshot benchmark for each size, named so that benchstat -col /impl
// pairs persist with its gob baseline: op=save/impl=cbor/N=1000000 and so on.
func Run(b *testing.B, sizes ...int) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("op=save/impl=cbor/N=%d", n), func(b *testing.B) { Save(b, n) })
		b.Run(fmt.Sprintf("op=save/impl=gob/N=%d", n), func(b *testing.B) { GobSave(b, n) })
		b.Run(fmt.Sprintf("op=load/impl=cbor/N=%d", n), func(b *testing.B) { Load(b, n) })
		b.Run(fmt.Sprintf("op=load/impl=gob/N=%d", n), func(b *testing.B) { GobLoad(b, n) })
		b.Run(fmt.Sprintf("op=saveidle/impl=cbor/N=%d", n), func(b *testing.B) { SaveIdle(b, n) })
	}
}
