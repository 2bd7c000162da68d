package persist_test

import (
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

type namedFrame struct{ N int }

func (f *namedFrame) Step(t *sim.T) sim.Op { return t.Return() }

func init() { persist.Register[namedFrame]("test.Named", "start", "done") }

func TestTypeNameAndPCName(t *testing.T) {
	name, ok := persist.TypeName(&namedFrame{})
	require.True(t, ok)
	require.Equal(t, "*test.Named", name)
	name, ok = persist.TypeName(namedFrame{})
	require.True(t, ok)
	require.Equal(t, "test.Named", name)
	_, ok = persist.TypeName(struct{}{})
	require.False(t, ok)
	_, ok = persist.TypeName(nil)
	require.False(t, ok)
	require.Equal(t, "done", persist.PCName(&namedFrame{}, 1))
	require.Equal(t, "", persist.PCName(&namedFrame{}, 2))
	require.Equal(t, "", persist.PCName(nil, 0))
}

// Half names one of its two resume points.
type Half struct{ N int }

func (f *Half) Step(t *sim.T) sim.Op {
	if t.At() == 0 {
		return t.ScheduleRemove(nil).Then(1)
	}
	return t.Return()
}

func init() { persist.Register[Half]("ptest.Half", "start") }

// Unregistered is a frame type nobody registers.
type Unregistered struct{}

func (Unregistered) Step(t *sim.T) sim.Op { return t.Return() }

func TestCheckFrame(t *testing.T) {
	require.NoError(t, persist.CheckFrame(&Sleeper{}))
	require.NoError(t, persist.CheckFrame(Byval{}))
	require.NoError(t, persist.CheckFrame(&Byval{}))
	require.EqualError(t, persist.CheckFrame(Unregistered{}), `persist: frame: not registered: type persist_test.Unregistered (persist.Register[persist_test.Unregistered]("name"))`)
	require.ErrorIs(t, persist.CheckFrame(&Unregistered{}), persist.ErrUnregistered)
	require.EqualError(t, persist.CheckFrame(nil), "persist: a nil frame cannot be saved")
	f := &Sleeper{}
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = persist.CheckFrame(f) }))
}

// TestResumePointNames checks that resume points are identified by their names where the
// file and the program name them (resume.go): a frame at a resume point the program no
// longer has is refused, a renumbered one is found, and Save refuses a frame at a resume
// point its type does not name.
func TestResumePointNames(t *testing.T) {
	c := codec(t)
	s := sim.NewScheduler(sim.Options{})
	s.Spawn(&Sleeper{Name: "x", Ticks: 2, N: 1})
	require.NoError(t, s.Run())
	data := save(t, c, s) // the sleeper is at resume point 1, "woke"
	names := func(pcs ...any) []byte {
		return edit(t, data, func(doc []any) { doc[4].([]any)[0].([]any)[2] = append([]any{}, pcs...) })
	}
	_, _, err := c.Load(names("sleep", "slept"), sim.RestoreOptions{})
	require.EqualError(t, err, `persist: load: tasklet 2, frame 0: type "ptest.Sleeper": resume point "slept" (1 in the file) no longer exists in this program (its resume points are ["sleep" "woke"]; add an upgrade from schema 2 that moves such frames to one of them)`)
	require.ErrorIs(t, err, persist.ErrLayout)
	s2, _, err := c.Load(names("woke", "sleep"), sim.RestoreOptions{}) // file's 1 is "sleep": the program's 0
	require.NoError(t, err)
	s2.Each(func(tk *sim.Tasklet) bool {
		tk.Frames(func(_ sim.Frame, pc sim.PC) bool { require.Equal(t, sim.PC(0), pc); return true })
		return true
	})
	_, _, err = c.Load(names(), sim.RestoreOptions{}) // a file without names: by number
	require.NoError(t, err)
	_, _, err = c.Load(edit(t, data, func(doc []any) { col(doc, 4)[0] = uint64(5) }), sim.RestoreOptions{})
	require.EqualError(t, err, `persist: load: tasklet 2, frame 0: type "ptest.Sleeper": resume point 5 has no name in this program (2 named)`)

	h := sim.NewScheduler(sim.Options{})
	h.Spawn(&Half{})
	require.NoError(t, h.Run())
	_, _, err = c.Save(h)
	require.EqualError(t, err, "persist: save: tasklet 2, frame 0 (*ptest.Half): resume point 1 has no name (1 registered; name every resume point)")
}

// TestResumePointNamesThroughUpgrades: a save of an older schema goes through the generic
// (Raw) path, its upgrades and the converter; its frames find their resume points by name
// there too, and a vanished one is refused the same way.
func TestResumePointNamesThroughUpgrades(t *testing.T) {
	opts := persist.DefaultOptions()
	opts.Schema = 1 // upgradeV1 (upgrade_test.go) runs on load
	old, err := opts.Codec()
	require.NoError(t, err)
	s := sim.NewScheduler(sim.Options{})
	s.Spawn(&Sleeper{Name: "x", Ticks: 2, N: 1})
	require.NoError(t, s.Run())
	data, _, err := old.Save(s) // the sleeper is at resume point 1, "woke"
	require.NoError(t, err)
	names := func(pcs ...any) []byte {
		return edit(t, data, func(doc []any) { doc[4].([]any)[0].([]any)[2] = append([]any{}, pcs...) })
	}
	c := codec(t)
	s2, snap, err := c.Load(names("woke", "sleep"), sim.RestoreOptions{}) // file's 1 is "sleep": the program's 0
	require.NoError(t, err)
	require.Equal(t, uint64(1), snap.Schema)
	var pcs []sim.PC
	s2.Each(func(tk *sim.Tasklet) bool {
		tk.Frames(func(_ sim.Frame, pc sim.PC) bool { pcs = append(pcs, pc); return true })
		return true
	})
	require.Equal(t, []sim.PC{0}, pcs)
	_, _, err = c.Load(names("sleep", "slept"), sim.RestoreOptions{})
	require.EqualError(t, err, `persist: load: tasklet 2, frame 0: type "ptest.Sleeper": resume point "slept" (1 in the file) no longer exists in this program (its resume points are ["sleep" "woke"]; add an upgrade from schema 1 that moves such frames to one of them)`)
	require.ErrorIs(t, err, persist.ErrLayout)
}

// Late is registered by TestCodecCapturesRegistry, after a codec is made.
type Late struct{ N int }

func (f *Late) Step(t *sim.T) sim.Op { return t.ScheduleRemove(nil).Then(0) }

// TestCodecCapturesRegistry checks that a Codec keeps the registry it was made with, as a
// cbor mode keeps its tags: a type registered later is unknown to it.
func TestCodecCapturesRegistry(t *testing.T) {
	if _, done := persist.TypeName(&Late{}); done {
		t.Skip("ptest.Late was registered by an earlier run (-count)")
	}
	before := codec(t)
	persist.Register[Late]("ptest.Late")
	after := codec(t)
	s := sim.NewScheduler(sim.Options{})
	s.Spawn(&Late{N: 1})
	require.NoError(t, s.Run())
	_, _, err := before.Save(s)
	require.ErrorIs(t, err, persist.ErrUnregistered)
	data := save(t, after, s)
	_, _, err = before.Load(data, sim.RestoreOptions{})
	require.ErrorIs(t, err, persist.ErrUnknownType)
	load(t, after, data, sim.RestoreOptions{})
}
