package persist_test

import (
	"sync"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// column is a section value with shared slices, maps and pointers.
type column struct {
	IDs   []int
	Names map[string]*Node
	Vals  []any
}

// registerColumn registers column after the init functions (Node's is in frames_test.go).
var registerColumn = sync.OnceFunc(func() { persist.Register[column]("ptest.column") })

// TestCaptureSavesTheBytesOfItsMoment captures a world with every kind of state, then runs
// the world on (its frames change in their steps, after the main program copies them) and
// changes its section values in place (slice elements, map entries, pointees); the
// capture, saved afterwards on another goroutine, gives the bytes Save gave at the moment
// of the capture.
func TestCaptureSavesTheBytesOfItsMoment(t *testing.T) {
	registerColumn()
	c := codec(t)
	s := richWorld(t)
	sec := &column{IDs: []int{1, 2, 3}, Names: map[string]*Node{"a": {Name: "x"}}, Vals: []any{&Node{Name: "v"}, []byte{4}}}
	want := save(t, c, s, persist.Section{Name: "col", Value: sec})
	tasklets := save(t, c, s)
	cp, err := c.Capture(s, persist.Section{Name: "col", Value: sec})
	require.NoError(t, err)

	sec.IDs[0], sec.Names["a"].Name, sec.Names["b"] = 100, "changed", nil
	sec.Vals[0].(*Node).Name, sec.Vals[1].([]byte)[0] = "changed", 44
	run(t, s)
	require.NotEqual(t, tasklets, save(t, c, s), "the run changes no tasklet")

	var got []byte
	var rep *persist.Report
	var wg sync.WaitGroup
	wg.Go(func() { got, rep, err = c.SaveCapture(cp) })
	wg.Wait()
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, len(want), rep.Bytes)
	again, _, err := c.SaveCapture(cp)
	require.NoError(t, err)
	require.Equal(t, want, again)
}

// TestCaptureSavesWhileTheWorldRuns encodes captures on another goroutine while the world
// runs on and is captured again: whichever side copies a tasklet's frames first, the bytes
// are those of the capture's moment (run it with -race).
func TestCaptureSavesWhileTheWorldRuns(t *testing.T) {
	c := codec(t)
	s := richWorld(t)
	for range 3 {
		want := save(t, c, s)
		cp, err := c.Capture(s)
		require.NoError(t, err)
		var got []byte
		var wg sync.WaitGroup
		wg.Go(func() { got, _, err = c.SaveCapture(cp) })
		run(t, s)
		wg.Wait()
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	require.NoError(t, s.CheckInvariants())
}

func TestCaptureRefusesWhatSaveRefuses(t *testing.T) {
	c := codec(t)
	s := sim.NewScheduler(sim.Options{})
	s.SpawnHard(func(h *sim.Tasklet) error { return h.Schedule().Wait() })
	_, _, saveErr := c.Save(s)
	_, capErr := c.Capture(s)
	require.Error(t, saveErr)
	require.Error(t, capErr)
	require.Contains(t, capErr.Error(), "persist.OmitHard")

	type loop struct{ Next *loop }
	l := &loop{}
	l.Next = l
	_, err := c.Capture(sim.NewScheduler(sim.Options{}), persist.Section{Name: "x", Value: l})
	require.ErrorContains(t, err, "persist: save: values nested deeper than")
}

// TestCapturesInARow takes a capture while an earlier one, not yet saved, still has frozen
// tasklets (one round of the ring stepped some of them, which copied their frames); the
// second capture's Freeze thaws the rest. Each capture, saved after the world has run on
// and in the opposite order, gives the bytes Save gave at its moment.
func TestCapturesInARow(t *testing.T) {
	c := codec(t)
	s := richWorld(t)
	want1 := save(t, c, s)
	cp1, err := c.Capture(s)
	require.NoError(t, err)
	require.NoError(t, s.Main().Schedule().Wait())
	want2 := save(t, c, s)
	require.NotEqual(t, want1, want2)
	cp2, err := c.Capture(s)
	require.NoError(t, err)
	run(t, s)
	got2, _, err := c.SaveCapture(cp2)
	require.NoError(t, err)
	require.Equal(t, want2, got2)
	got1, _, err := c.SaveCapture(cp1)
	require.NoError(t, err)
	require.Equal(t, want1, got1)
	total, onStep := cp1.Tasklets()
	require.Positive(t, onStep, "the round and the second Freeze copied cp1's frames")
	require.Equal(t, total, onStep, "all of them, before cp1 was saved")
}

// TestRecaptureReusesTwoCaptures alternates two captures as a server does (each reused two
// captures later, once a newer one has replaced it and it has been saved): every capture,
// saved while the world runs on, gives the bytes Save gave at its moment, and the tables
// are reused, not allocated again.
func TestRecaptureReusesTwoCaptures(t *testing.T) {
	c := codec(t)
	s := richWorld(t)
	var last, spare *persist.Capture
	for i := range 4 {
		want := save(t, c, s)
		cp, err := c.Recapture(spare, s)
		require.NoError(t, err)
		if i >= 2 {
			require.Same(t, persist.CaptureTable(spare), persist.CaptureTable(cp), "capture %d reuses capture %d's table", i, i-2)
		}
		var got []byte
		var wg sync.WaitGroup
		wg.Go(func() { got, _, err = c.SaveCapture(cp) })
		run(t, s)
		wg.Wait()
		require.NoError(t, err)
		require.Equal(t, want, got, "capture %d", i)
		spare, last = last, cp
	}
	require.NoError(t, s.CheckInvariants())
}

// TestRefusedCaptureLeavesTheTaskletsAsTheyWere refuses a capture of a world with a hard
// tasklet after its walk has frozen the soft ones (one pass records and freezes them),
// while an earlier capture is still frozen: the refused capture thaws them again, so the
// world saves the same bytes as before it and the earlier capture still saves its own.
func TestRefusedCaptureLeavesTheTaskletsAsTheyWere(t *testing.T) {
	c := codec(t)
	opts := persist.DefaultOptions()
	opts.HardTasklets = persist.OmitHard
	omit, err := opts.Codec()
	require.NoError(t, err)
	s := richWorld(t)
	want1 := save(t, c, s)
	cp1, err := c.Capture(s)
	require.NoError(t, err)
	s.SpawnHard(func(h *sim.Tasklet) error { return h.Schedule().Wait() })
	before := save(t, omit, s)
	_, err = c.Capture(s)
	require.ErrorContains(t, err, "persist.OmitHard")
	require.True(t, s.Freezer() == nil, "the refused capture thawed every tasklet (cp1's were thawed by its walk)")
	require.Equal(t, before, save(t, omit, s))
	require.NoError(t, s.CheckInvariants())
	got1, _, err := c.SaveCapture(cp1)
	require.NoError(t, err)
	require.Equal(t, want1, got1)
}

// TestPreparedCapturesAreWarm prepares two captures' tables (as a server's writer does
// when it starts) and passes them as the spares of a world's first two captures: neither
// grows a table (Warm), while a capture with no spare does, and every capture, saved while
// the world runs on, gives the bytes Save gave at its moment. A prepared capture cannot be
// saved.
func TestPreparedCapturesAreWarm(t *testing.T) {
	c := codec(t)
	s := richWorld(t)
	room := persist.CaptureRoomOf(s)
	require.Positive(t, room.Tasklets)
	prepared := []*persist.Capture{persist.PrepareCapture(room), persist.PrepareCapture(room)}
	_, _, err := c.SaveCapture(prepared[0])
	require.EqualError(t, err, "persist: save: the capture is PrepareCapture's, which holds no moment; pass it to Recapture as the spare")

	cold, err := c.Capture(s)
	require.NoError(t, err)
	require.False(t, cold.Warm(), "a capture with no spare allocates its tables")
	last, spare := prepared[1], prepared[0]
	for i := range 4 {
		want := save(t, c, s)
		cp, err := c.Recapture(spare, s)
		require.NoError(t, err)
		require.True(t, cp.Warm(), "capture %d takes its tables from its spare", i)
		var got []byte
		var wg sync.WaitGroup
		wg.Go(func() { got, _, err = c.SaveCapture(cp) })
		run(t, s)
		wg.Wait()
		require.NoError(t, err)
		require.Equal(t, want, got, "capture %d", i)
		spare, last = last, cp
	}
	require.NoError(t, s.CheckInvariants())
}
