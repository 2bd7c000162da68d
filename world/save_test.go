package world_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// producer sends bursts on a named channel: Burst values, one blocking send after another,
// every Every ticks. The consumer takes one value per tick, so in a burst the producer is
// blocked in Send at every tick boundary, its value in flight: saves there must keep it.
type producer struct {
	Ch    sim.Chan[int]
	Every int
	Burst int
	I, N  int
}

func (f *producer) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		f.I = 0
		fallthrough
	case 1:
		if f.I < f.Burst {
			f.I++
			f.N++
			return f.Ch.Send(t, f.N).Then(1)
		}
		return t.Sleep(f.Every).Then(0)
	}
	return t.Raise(sim.ErrBadPC)
}

type consumer struct {
	Ch  sim.Chan[int]
	Sum int
	Got int
}

func (f *consumer) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	switch t.At() {
	case 0:
		return f.Ch.RecvFor(t, 7).Then(1)
	case 1:
		if v, ok := f.Ch.GotOK(t); ok {
			f.Sum += v
			f.Got++
			w.SetState(world.EntityID(1), uint16(f.Sum%1000)) // make it visible in the checksum
		}
		return t.NextTick().Then(0)
	}
	return t.Raise(sim.ErrBadPC)
}

// Notes is a component saved with the world.
var Notes = world.RegisterComponent[string]("world_test.notes")

func init() {
	persist.Register[producer]("world_test.producer", "start", "send")
	persist.Register[runaway]("world_test.runaway")
	persist.Register[consumer]("world_test.consumer", "recv", "got")
}

// savedWorld builds the small scenario plus a burst producer and consumer on a named
// channel, some components and mail from outside.
func savedWorld(t testing.TB, seed uint64) *world.World {
	t.Helper()
	w := scenarioWorld(t, smallScenario(t), seed)
	ch := world.Chan[int](w, "burst")
	w.Spawn(&producer{Ch: ch, Every: 9, Burst: 5})
	w.Spawn(&consumer{Ch: ch})
	for _, e := range w.Entities()[:20] {
		Notes.Set(w, e.ID, fmt.Sprintf("note %d", e.ID))
	}
	return w
}

// run ticks w to tick end, returning the checksums of ticks after the current one.
func runTo(t testing.TB, w *world.World, end uint64) map[uint64]uint64 {
	t.Helper()
	sums := map[uint64]uint64{}
	for w.Now() < end {
		require.NoError(t, w.Tick())
		sums[w.Now()] = w.Checksum()
	}
	return sums
}

func cfgQuiet() world.Config { return world.Config{Logger: quiet()} }

func TestSaveLoadContinuesExactly(t *testing.T) {
	const end = 160
	codec := world.DefaultCodec()
	ref := savedWorld(t, 1)
	want := runTo(t, ref, end)
	ref.Close()

	// k = 2, 14, 15, 16 fall inside a burst (ticks 14–17 send, one value per tick)
	for _, k := range []uint64{1, 2, 9, 14, 15, 16, 57, 100, 159} {
		w := savedWorld(t, 1)
		runTo(t, w, k)
		prod := producerOf(w)
		data, err := w.Save(codec)
		require.NoError(t, err)
		if k == 15 {
			require.True(t, prod.I > 0 && prod.I < prod.Burst, "tick %d is inside a burst (sent %d of %d)", k, prod.I, prod.Burst)
			require.Equal(t, 1, world.Chan[int](w, "burst").In(w.Scheduler()).Balance(), "a send is in flight")
		}
		w.Close()

		l, err := world.Load(codec, data, cfgQuiet())
		require.NoError(t, err, "k=%d", k)
		again, err := l.Save(codec)
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, again), "k=%d: save → load → save is byte-identical", k)
		got := runTo(t, l, end)
		for tick := k + 1; tick <= end; tick++ {
			require.Equal(t, want[tick], got[tick], "k=%d: checksum of tick %d", k, tick)
		}
		v, _ := Notes.Get(l, l.Entities()[0].ID)
		require.Equal(t, fmt.Sprintf("note %d", l.Entities()[0].ID), v)
		l.Close()
	}
}

func producerOf(w *world.World) *producer {
	var p *producer
	w.Tasklets(sim.AllStates, func(t *sim.Tasklet) bool {
		if f, ok := t.Top().(*producer); ok {
			p = f
			return false
		}
		return true
	})
	return p
}

func TestSnapshotsAreByteIdentical(t *testing.T) {
	codec := world.DefaultCodec()
	var snaps [][]byte
	for _, procs := range []int{1, 4} {
		old := runtime.GOMAXPROCS(procs)
		w := savedWorld(t, 1)
		runTo(t, w, 60)
		data, err := w.Save(codec)
		require.NoError(t, err)
		snaps = append(snaps, data)
		w.Close()
		runtime.GOMAXPROCS(old)
	}
	require.Equal(t, snaps[0], snaps[1])
}

func TestSaveAfterMainChangesEntities(t *testing.T) {
	codec := world.DefaultCodec()
	mk := func() *world.World {
		w := savedWorld(t, 3)
		runTo(t, w, 10)
		// the main program changes entities between ticks: the index of tick 10 no longer
		// follows from them, so the snapshot carries it
		w.NewEntity(w.Kind("sheep"), world.Vec{X: 5, Y: 5})
		w.Despawn(w.Entities()[3].ID)
		w.SetPos(w.Entities()[7].ID, world.Vec{X: 1, Y: 1})
		return w
	}
	ref := mk()
	data, err := ref.Save(codec)
	require.NoError(t, err)
	want := runTo(t, ref, 40)
	l, err := world.Load(codec, data, cfgQuiet())
	require.NoError(t, err)
	defer l.Close()
	require.Equal(t, want, runTo(t, l, 40))
}

func TestLoadErrors(t *testing.T) {
	codec := world.DefaultCodec()
	_, err := world.Load(codec, []byte("not a snapshot"), cfgQuiet())
	require.Error(t, err)
	w := newWorld(t, world.Config{Width: 64, Height: 64})
	data, err := w.Save(codec)
	require.NoError(t, err)
	_, err = world.Load(codec, data, world.Config{Width: 128})
	require.EqualError(t, err, "world: load: config width 128 differs from the saved 64 (leave it 0 to use the saved one)")
	// a snapshot of a bare scheduler has no world section
	c, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	bare, _, err := c.Save(sim.NewScheduler(sim.Options{}))
	require.NoError(t, err)
	_, err = world.Load(codec, bare, cfgQuiet())
	require.EqualError(t, err, `world: load: the snapshot has no "world" section (it was not saved by World.Save)`)
}

// TestLoadInFreshProcess saves at tick k, loads the file in a new process (this test
// binary, re-executed, with GOMAXPROCS 4) and compares its checksums with the
// uninterrupted run.
func TestLoadInFreshProcess(t *testing.T) {
	if os.Getenv("WORLD_TEST_CHILD") != "" {
		t.Skip("in the child")
	}
	const k, end = 40, 90
	codec := world.DefaultCodec()
	w := savedWorld(t, 1)
	runTo(t, w, k)
	path := filepath.Join(t.TempDir(), "world.cbor")
	_, err := w.SaveFile(codec, path)
	require.NoError(t, err)
	want := runTo(t, w, end)
	w.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestChildContinues$", "-test.v")
	cmd.Env = append(os.Environ(), "WORLD_TEST_CHILD="+path, "WORLD_TEST_END="+strconv.Itoa(end), "GOMAXPROCS=4")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	var lines []string
	for tick := uint64(k + 1); tick <= end; tick++ {
		lines = append(lines, fmt.Sprintf("sum %d %016x", tick, want[tick]))
	}
	var got []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "sum ") {
			got = append(got, l)
		}
	}
	require.Equal(t, lines, got)
}

func TestChildContinues(t *testing.T) {
	path := os.Getenv("WORLD_TEST_CHILD")
	if path == "" {
		t.Skip("run by TestLoadInFreshProcess")
	}
	end, _ := strconv.Atoi(os.Getenv("WORLD_TEST_END"))
	w, err := world.LoadFile(world.DefaultCodec(), path, cfgQuiet())
	require.NoError(t, err)
	for w.Now() < uint64(end) {
		require.NoError(t, w.Tick())
		fmt.Printf("sum %d %016x\n", w.Now(), w.Checksum())
	}
}

func TestLoadKeepsTickBudget(t *testing.T) {
	codec := world.DefaultCodec()
	w := newWorld(t, world.Config{TickBudget: 50})
	r := &runaway{}
	w.Spawn(r)
	tick(t, w, 2)
	data, err := w.Save(codec)
	require.NoError(t, err)
	_, err = world.Load(codec, data, world.Config{TickBudget: 70, Logger: quiet()})
	require.EqualError(t, err, "world: load: config tick budget 70 differs from the saved 50 (leave it 0 to use the saved one)")
	l, err := world.Load(codec, data, cfgQuiet())
	require.NoError(t, err)
	defer l.Close()
	require.EqualValues(t, 50, l.Config().TickBudget)
	tick(t, l, 1)
	require.Equal(t, 150, l.Tasklet(2).Top().(*runaway).N)
}

// TestLoadedMailboxOfAnotherTypeDoesNotPanic: a snapshot whose mailbox holds strings, read
// as a mailbox of ints (bad or hostile data, or a changed program), reports "not a mailbox
// of this type" instead of panicking.
func TestLoadedMailboxOfAnotherTypeDoesNotPanic(t *testing.T) {
	w, err := world.New(world.Config{Seed: 1})
	require.NoError(t, err)
	mb := world.NewMailbox[string](w, 0, "box")
	require.True(t, mb.Post(w, "hello"))
	data, err := w.Save(world.DefaultCodec())
	require.NoError(t, err)
	w.Close()

	w2, err := world.Load(world.DefaultCodec(), data, cfgQuiet())
	require.NoError(t, err)
	defer w2.Close()
	wrong := world.Mailbox[int]{ID: mb.ID}
	require.NotPanics(t, func() {
		require.False(t, wrong.Post(w2, 7))
		_, ok := wrong.TryTake(w2)
		require.False(t, ok)
	})
	got, ok := mb.TryTake(w2)
	require.True(t, ok, "the mailbox is intact for its real type")
	require.Equal(t, "hello", got)
}
