package persist_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// richWorld builds a scheduler with every kind of saved state: blocked receivers and
// senders with queued values, a closing schedule-all channel, sleepers, a receive with a
// deadline, a recursion paused deep in its stack with a tempval, frames with every kind
// of field, a frame used by value, flags and pending errors.
func richWorld(t testing.TB) *sim.Scheduler {
	t.Helper()
	s := sim.NewScheduler(sim.Options{})
	ch := sim.NewChan[any](s)
	s.Spawn(&Consumer{Ch: ch, Name: "a"})
	s.Spawn(&Consumer{Ch: ch, Name: "b"})
	ch2 := sim.NewChan[any](s)
	ch2.In(s).SetPreference(1)
	s.Spawn(&Producer{Ch: ch2, V: Msg{From: 3, Kind: 1, Text: "hello"}})
	s.Spawn(&Producer{Ch: ch2, V: &Msg{From: 4, Kind: 2}})
	s.Spawn(&Producer{Ch: ch2, V: int64(-42)})
	s.Spawn(&Producer{Ch: ch2, V: []byte{1, 2, 3}})
	c3 := s.NewChannel()
	c3.Close()
	c3.SetScheduleAll(true)
	s.Spawn(&Sleeper{Name: "s1", Ticks: 5, N: 2})
	s.Spawn(&Sleeper{Name: "s2", Ticks: 3, N: 3})
	wch := sim.NewChan[int](s)
	s.Spawn(&Waiter{Ch: wch, Ticks: 4})
	s.Spawn(&Rec{N: 3})
	s.Spawn(&Kitchen{
		B: true, I: -1, I8: -128, I16: 300, I32: -70000, I64: math.MinInt64, U: 7, U8: 255, U16: 65535,
		U32: math.MaxUint32, U64: math.MaxUint64, F32: 1.5, F64: 0.1, S: "héllo", Bs: []byte("bytes"),
		Hash: [4]byte{0xde, 0xad, 0xbe, 0xef}, Ints: []int{1, -2, 300}, Strs: [2]string{"x", ""},
		M: map[string]int{"b": 2, "a": 1, "zz": 26}, MI: map[int32]Point{-1: {1, 2}, 1000: {math.Inf(1), -0.5}},
		P: Point{3, 4}, Ps: []Point{{5, 6}}, Ch: sim.ChanOf[Msg](2), Any: Point{7, 8},
		Anys: []any{1, "two", 3.0, nil, &Node{Name: "n"}, ErrBoom}, Err: sim.ErrStopIteration,
		Head: &Node{Name: "first", Next: &Node{Name: "second"}}, Sub: &Sleeper{Name: "sub"}, ID: 99,
	})
	s.Spawn(Byval{K: 7})
	w2 := s.Spawn(&Waiter{Ch: wch, Ticks: 100})
	require.NoError(t, s.Run())
	require.NoError(t, w2.ThrowPending(ErrBoom)) // runnable, ErrBoom pending at its resume point
	s.Spawn(&Sleeper{Name: "fresh", Ticks: 1, N: 1}).SetAtomic(true)
	return s
}

func save(t testing.TB, c *persist.Codec, s *sim.Scheduler, sections ...persist.Section) []byte {
	t.Helper()
	data, _, err := c.Save(s, sections...)
	require.NoError(t, err)
	return data
}

func load(t testing.TB, c *persist.Codec, data []byte, ro sim.RestoreOptions) (*sim.Scheduler, *persist.Snapshot) {
	t.Helper()
	s, snap, err := c.Load(data, ro)
	require.NoError(t, err)
	return s, snap
}

// run drives a scheduler the same way each time and returns what its frames printed.
func run(t testing.TB, s *sim.Scheduler) string {
	t.Helper()
	out.Reset()
	ch := sim.ChanOf[any](1)
	for i := range 3 {
		require.NoError(t, sim.Send(s.Main(), ch, any(i)))
	}
	v, err := sim.Receive(s.Main(), sim.ChanOf[any](2))
	require.NoError(t, err)
	printf("main received %v\n", v)
	for range 12 {
		require.NoError(t, s.Tick())
	}
	return out.String()
}

func TestSaveIsDeterministic(t *testing.T) {
	c := codec(t)
	a := save(t, c, richWorld(t))
	b := save(t, c, richWorld(t))
	require.Equal(t, a, b, "the same state gives the same bytes")
	s, _ := load(t, c, a, sim.RestoreOptions{})
	require.Equal(t, a, save(t, c, s), "save → load → save is byte-identical")
	s, _ = load(t, c, a, sim.RestoreOptions{}) // and again from the same bytes
	require.Equal(t, a, save(t, c, s))
}

// TestLoadedWorldRunsTheSame runs a world and its loaded copy the same way: they print the
// same and end in the same state.
func TestLoadedWorldRunsTheSame(t *testing.T) {
	c := codec(t)
	orig := richWorld(t)
	data := save(t, c, orig)
	want := run(t, orig)
	require.Contains(t, want, "a got 0\nwaiter caught: boom\nb got 1\na got 2\nsent {3 1 hello}\nmain received {3 1 hello}\n")
	require.Contains(t, want, "waiter caught: boom\n")
	require.Contains(t, want, "s2 woke at 3\n")
	after := save(t, c, orig)
	for range 2 {
		s, _ := load(t, c, data, sim.RestoreOptions{})
		require.Equal(t, want, run(t, s))
		require.Equal(t, after, save(t, c, s))
	}
}

// TestCase10 is spec case 10: a tasklet paused deep in a recursion resumes from the same
// bytes any number of times, while the original stays paused.
func TestCase10(t *testing.T) {
	c := codec(t)
	s := sim.NewScheduler(sim.Options{})
	tk := s.Spawn(&Rec{N: 3})
	out.Reset()
	require.NoError(t, s.Run())
	require.Equal(t, "enter 0\nenter 1\nenter 2\nenter 3\n", out.String())
	data := save(t, c, s)
	for range 2 {
		s2, _ := load(t, c, data, sim.RestoreOptions{Paused: true})
		var t2 *sim.Tasklet
		s2.Each(func(x *sim.Tasklet) bool {
			if !x.IsMain() {
				t2 = x
			}
			return true
		})
		require.True(t, t2.Alive())
		require.True(t, t2.Paused())
		require.False(t, t2.Scheduled())
		require.Equal(t, "paused at bottom", t2.TempVal())
		require.Equal(t, 4, t2.Depth())
		out.Reset()
		require.NoError(t, t2.Insert())
		require.NoError(t, s2.Run())
		require.Equal(t, "leave 3\nleave 2\nleave 1\nleave 0\n", out.String())
		require.False(t, t2.Alive())
	}
	require.True(t, tk.Paused(), "the original is untouched")
}

// TestCase11 is spec case 11: queued tasklets come back blocked on the restored channel in
// the same order, with the same balance; flags survive; the running tasklet is refused.
func TestCase11(t *testing.T) {
	c := codec(t)
	s := sim.NewScheduler(sim.Options{})
	ch := sim.NewChan[any](s)
	s.Spawn(&Consumer{Ch: ch, Name: "a"})
	s.Spawn(&Consumer{Ch: ch, Name: "b"})
	c3 := s.NewChannel()
	c3.SetPreference(1)
	c3.Close()
	require.NoError(t, s.Run())
	require.Equal(t, -2, ch.In(s).Balance())
	data := save(t, c, s)

	s2, _ := load(t, c, data, sim.RestoreOptions{Paused: true})
	ch2 := ch.In(s2)
	require.Equal(t, -2, ch2.Balance())
	a2 := ch2.Head()
	require.True(t, a2.Blocked())
	require.Equal(t, "a", a2.Top().(*Consumer).Name, "queue head is a2")
	out.Reset()
	for i := 1; i <= 3; i++ {
		require.NoError(t, sim.Send(s2.Main(), ch, any(i)))
	}
	require.Equal(t, "a got 1\nb got 2\na got 3\n", out.String())
	require.Equal(t, -2, ch2.Balance())
	require.Equal(t, -2, ch.In(s).Balance(), "original channel untouched")
	c33 := s2.Channel(c3.ID())
	require.Equal(t, 1, c33.Preference())
	require.True(t, c33.Closing())
	require.True(t, c33.Closed())

	// Saving from inside a step (the running tasklet) is refused.
	var saveErr error
	s3 := sim.NewScheduler(sim.Options{})
	s3.Spawn(&stepFunc{func(t *sim.T) { _, _, saveErr = c.Save(t.Scheduler()) }})
	require.NoError(t, s3.Run())
	require.ErrorIs(t, saveErr, sim.ErrSnapshotRunning)
	require.EqualError(t, saveErr, "persist: save: sim: snapshot only from the main tasklet while no tasklet runs (not from a Step or a hard tasklet)")
}

// stepFunc runs f once in a step (not registered: never saved).
type stepFunc struct{ f func(*sim.T) }

func (f *stepFunc) Step(t *sim.T) sim.Op { f.f(t); return t.Return() }

func TestHardTasklets(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	s.Spawn(&Sleeper{Name: "soft", Ticks: 2, N: 1})
	h := s.SpawnHard(func(h *sim.Tasklet) error { return h.Schedule().Wait() })
	_, _, err := codec(t).Save(s)
	require.ErrorIs(t, err, sim.ErrNotRestorable)
	require.EqualError(t, err, fmt.Sprintf("persist: save: sim: save tasklet %d (runnable): tasklet is not restorable (hard tasklets keep their state on a goroutine stack) (or set Options.HardTasklets to persist.OmitHard to leave hard tasklets out)", h.ID()))

	opts := persist.DefaultOptions()
	opts.HardTasklets = persist.OmitHard
	c, err := opts.Codec()
	require.NoError(t, err)
	data, rep, err := c.Save(s)
	require.NoError(t, err)
	require.Equal(t, []sim.ID{h.ID()}, rep.Omitted)
	require.Equal(t, 1, rep.Tasklets)
	s2, _ := load(t, c, data, sim.RestoreOptions{})
	require.Equal(t, sim.Counts{Runnable: 2}, s2.Counts())
}

func TestSaveUnregistered(t *testing.T) {
	s := sim.NewScheduler(sim.Options{})
	tk := s.Spawn(&stepFunc{})
	_, _, err := codec(t).Save(s)
	require.ErrorIs(t, err, persist.ErrUnregistered)
	require.EqualError(t, err, fmt.Sprintf(`persist: save: tasklet %d, frame 0: not registered: type *persist_test.stepFunc (persist.Register[persist_test.stepFunc]("name"))`, tk.ID()))

	s = sim.NewScheduler(sim.Options{})
	s.Spawn(&Producer{Ch: sim.NewChan[any](s), V: struct{ X int }{1}})
	require.NoError(t, s.Run())
	_, _, err = codec(t).Save(s)
	require.EqualError(t, err, `persist: save: tasklet 2: value: not registered: type struct { X int } (persist.Register[struct { X int }]("name"))`)

	s = sim.NewScheduler(sim.Options{})
	s.SpawnPaused(&Rec{}).ThrowPending(errors.New("adhoc"))
	_, _, err = codec(t).Save(s)
	require.EqualError(t, err, `persist: save: tasklet 2: pending error: not registered: error "adhoc" of type *errors.errorString (persist.RegisterError, or persist.Register its type)`)
}

func TestSections(t *testing.T) {
	c := codec(t)
	s := sim.NewScheduler(sim.Options{})
	node := &Node{Name: "a", Next: &Node{Name: "b"}}
	data := save(t, c, s, persist.Section{Name: "world", Value: node}, persist.Section{Name: "seed", Value: uint64(42)},
		persist.Section{Name: "point", Value: Point{1, 2}}, persist.Section{Name: "none", Value: nil})
	_, snap := load(t, c, data, sim.RestoreOptions{})
	require.Equal(t, node, snap.Section("world"))
	require.Equal(t, uint64(42), snap.Section("seed"))
	require.Equal(t, Point{1, 2}, snap.Section("point"))
	require.Nil(t, snap.Section("none"))
	require.Nil(t, snap.Section("missing"))
	require.Len(t, snap.Sections, 4)

	_, _, err := c.Save(s, persist.Section{Name: "x", Value: 1}, persist.Section{Name: "x", Value: 2})
	require.EqualError(t, err, `persist: save: section "x": two sections with that name`)
}

// TestCoreDeterministic checks the bytes against the CBOR library: decoding them and
// encoding again with its Core Deterministic options gives the same bytes.
func TestCoreDeterministic(t *testing.T) {
	data := save(t, codec(t), richWorld(t))
	var v any
	dm, err := cbor.DecOptions{MaxArrayElements: 1 << 20}.DecMode()
	require.NoError(t, err)
	require.NoError(t, dm.Unmarshal(data, &v))
	em, err := cbor.CoreDetEncOptions().EncMode()
	require.NoError(t, err)
	again, err := em.Marshal(v)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, again), "not CoreDet:\n% x\n% x", data, again)
}

func TestKitchenValues(t *testing.T) {
	c := codec(t)
	s := richWorld(t)
	s2, _ := load(t, c, save(t, c, s), sim.RestoreOptions{})
	find := func(s *sim.Scheduler) (k *Kitchen) {
		s.Each(func(x *sim.Tasklet) bool {
			if f, ok := x.Top().(*Kitchen); ok {
				k = f
			}
			return true
		})
		return k
	}
	require.Equal(t, find(s), find(s2))
	var by []Byval
	s2.Each(func(x *sim.Tasklet) bool {
		if f, ok := x.Top().(Byval); ok {
			by = append(by, f)
		}
		return true
	})
	require.Equal(t, []Byval{{K: 7}}, by)
}

func TestOptions(t *testing.T) {
	o := persist.DefaultOptions()
	o.MaxFrameDepth = 1 << 20
	_, err := o.Codec()
	require.EqualError(t, err, "persist: MaxFrameDepth 1048576 out of range [1, 65536]")
	o = persist.Options{HardTasklets: 7}
	_, err = o.Codec()
	require.EqualError(t, err, "persist: HardTasklets 7 is not RefuseHard or OmitHard")
	c, err := persist.Options{}.Codec()
	require.NoError(t, err)
	require.Equal(t, persist.DefaultOptions(), c.Options())
}

func TestRegisterRefuses(t *testing.T) {
	type unexported struct{ a int }
	type fn struct{ F func() }
	type gochan struct{ C chan int }
	type ptr struct{ P *int }
	type iface struct{ S fmt.Stringer }
	type loop struct{ L []loop }
	type ok struct{ A int }
	for want, f := range map[string]func(){
		`persist: Register[persist_test.unexported]("t.unexported"): persist_test.unexported: field a is unexported: frames and saved values keep all their state in exported fields`: func() { persist.Register[unexported]("t.unexported") },
		`persist: Register[persist_test.fn]("t.fn"): field F: func(): func values are not pure data`:                                                                                  func() { persist.Register[fn]("t.fn") },
		`persist: Register[persist_test.gochan]("t.gochan"): field C: chan int: chan values are not pure data`:                                                                        func() { persist.Register[gochan]("t.gochan") },
		`persist: Register[persist_test.ptr]("t.ptr"): field P: *int: pointers are saved only to registered struct types (register int first, or hold an id)`:                         func() { persist.Register[ptr]("t.ptr") },
		`persist: Register[persist_test.iface]("t.iface"): field S: interface type fmt.Stringer is not registered (persist.RegisterInterface)`:                                        func() { persist.Register[iface]("t.iface") },
		`persist: Register[persist_test.loop]("t.loop"): field L: persist_test.loop contains itself (break the cycle with a pointer to a registered type, or an id)`:                  func() { persist.Register[loop]("t.loop") },
		`persist: Register[persist_test.ok]("ptest.Rec"): the name is taken`:                                                                                                          func() { persist.Register[ok]("ptest.Rec") },
		`persist: Register[persist_test.ok]("bad name"): a name is 1 to 200 letters, digits and . _ - /`:                                                                              func() { persist.Register[ok]("bad name") },
		`persist: Register[persist_test.Rec]("t.again"): the type is registered already as "ptest.Rec"`:                                                                               func() { persist.Register[Rec]("t.again") },
	} { // determinism: independent cases
		require.PanicsWithError(t, want, f)
	}
}
