package world_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// panicker panics at its first step, in a function of its own so the stack names it.
type panicker struct{}

func (f *panicker) Step(t *sim.T) sim.Op {
	blowUp()
	return t.Exit()
}

func blowUp() { panic("out of cheese") }

// TestPanicKeepsItsStack: a panic in a step is a failure whose stack names the function that
// panicked, in Failures and in the log; the error text and the Exit stay free of addresses.
func TestPanicKeepsItsStack(t *testing.T) {
	var logged strings.Builder
	w := newWorld(t, world.Config{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	mon := world.NewMailbox[world.Exit](w, 0, "monitor")
	tk := w.Spawn(&panicker{})
	w.Monitor(tk.ID(), mon)
	tick(t, w, 1)
	fs := w.Failures()
	require.Len(t, fs, 1)
	require.Equal(t, "sim: tasklet 2 panicked: out of cheese", fs[0].Err)
	require.Contains(t, fs[0].Stack, "world_test.blowUp(")
	require.Contains(t, fs[0].Stack, "(*panicker).Step(")
	require.Contains(t, logged.String(), "world_test.blowUp(")
	ex, ok := mon.TryTake(w)
	require.True(t, ok)
	require.Equal(t, "sim: tasklet 2 panicked: out of cheese", ex.Err)
}

// unregisteredFrame is a frame type nobody registered with persist.
type unregisteredFrame struct{ N int }

func (f *unregisteredFrame) Step(t *sim.T) sim.Op { return t.NextTick().Then(0) }

// TestSpawnRefusesUnregisteredFrames: a frame whose type is not registered fails at once, as
// Spawn and Attach run it, not at the first save; with Config.UnsavedFrames it runs.
func TestSpawnRefusesUnregisteredFrames(t *testing.T) {
	w, err := world.New(world.Config{Logger: quiet()})
	require.NoError(t, err)
	defer w.Close()
	_, err = w.Save(world.DefaultCodec())
	require.NoError(t, err)
	tk := w.Spawn(&unregisteredFrame{})
	id := w.NewEntity(w.Kind("x"), world.Vec{})
	_, err = w.Attach(id, &unregisteredFrame{})
	require.NoError(t, err)
	_, err = w.Save(world.DefaultCodec())
	require.NoError(t, err, "the world still saves: the refused frames stand in")
	tick(t, w, 1)
	require.False(t, tk.Alive())
	want := "world: spawn: frame type *world_test.unregisteredFrame could not be saved: persist: frame: not registered: " +
		"type *world_test.unregisteredFrame (persist.Register[world_test.unregisteredFrame](\"name\")) " +
		"(or set Config.UnsavedFrames for a world that is never saved)"
	require.Equal(t, []world.Failure{{Tick: 1, Tasklet: tk.ID(), Err: want}, {Tick: 1, Tasklet: tk.ID() + 1, Entity: id, Err: want}}, withoutCause(w.Failures()))
	var ue *world.UnregisteredFrameError
	require.True(t, errors.As(w.Failures()[0].Cause, &ue))

	free := newWorld(t, world.Config{}) // UnsavedFrames
	tk = free.Spawn(&unregisteredFrame{})
	tick(t, free, 2)
	require.True(t, tk.Alive())
	require.Empty(t, free.Failures())
}

// TestSaveReportsOmittedHardTasklets: with OmitHard, the hard tasklets left out are in the
// Report that SaveReport and SaveFile return.
func TestSaveReportsOmittedHardTasklets(t *testing.T) {
	w := newWorld(t, world.Config{})
	w.Spawn(&tally{})
	h := w.Scheduler().SpawnHard(func(h *sim.Tasklet) error {
		for {
			if err := h.NextTick().Wait(); err != nil {
				return err
			}
		}
	})
	tick(t, w, 1)
	opts := persist.DefaultOptions()
	opts.HardTasklets = persist.OmitHard
	pc, err := opts.Codec()
	require.NoError(t, err)
	codec := world.NewCodec(pc)
	data, rep, err := w.SaveReport(codec)
	require.NoError(t, err)
	require.Equal(t, []sim.ID{h.ID()}, rep.Omitted)
	require.Equal(t, len(data), rep.Bytes)
	rep, err = w.SaveFile(codec, t.TempDir()+"/w.cbor")
	require.NoError(t, err)
	require.Equal(t, []sim.ID{h.ID()}, rep.Omitted)
	require.Equal(t, len(data), rep.Bytes)
}

// TestTaskletsByStateAndEntity: Tasklets takes a filter of states; TaskletOf finds an
// entity's tasklet, in a loaded world too.
func TestTaskletsByStateAndEntity(t *testing.T) {
	w := newWorld(t, world.Config{})
	a := w.SpawnEntity(w.Kind("x"), world.Vec{}, func(id world.EntityID) sim.Frame { return &tally{Self: id} })
	w.Spawn(&tally{})
	tick(t, w, 1)
	count := func(w *world.World, f sim.StateFilter) int {
		n := 0
		w.Tasklets(f, func(*sim.Tasklet) bool { n++; return true })
		return n
	}
	require.Equal(t, 3, count(w, sim.AllStates), "main and two tallies")
	require.Equal(t, 2, count(w, sim.States(sim.StateSleeping)))
	require.Equal(t, 0, count(w, sim.States(sim.StateBlocked)))
	l, err := world.Load(world.DefaultCodec(), mustSave(t, w), cfgQuiet())
	require.NoError(t, err)
	defer l.Close()
	tk := l.TaskletOf(a)
	require.NotNil(t, tk)
	require.Equal(t, a, tk.Top().(*tally).Self)
	require.Equal(t, a, l.EntityOf(tk.ID()))
	require.Zero(t, l.EntityOf(tk.ID()+1))
}

func mustSave(t *testing.T, w *world.World) []byte {
	t.Helper()
	data, err := w.Save(world.DefaultCodec())
	require.NoError(t, err)
	return data
}

// chaosError is a failure a test plans.
type chaosError struct{ N int }

func (e *chaosError) Error() string { return "planned failure" }

// raiser raises a *chaosError at its first step.
type raiser struct{}

func (f *raiser) Step(t *sim.T) sim.Op { return t.Raise(&chaosError{N: 7}) }

// records is a slog.Handler that keeps the records it handles.
type records struct{ rs []slog.Record }

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.rs = append(h.rs, r.Clone())
	return nil
}
func (h *records) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *records) WithGroup(string) slog.Handler      { return h }

// TestFailuresCarryTheirError: a failure's log record and its Failure hold the error the
// tasklet failed with, not only its text, so that a planned failure is known by its type
// (errors.As), whatever its message says. The log's err was once a string.
func TestFailuresCarryTheirError(t *testing.T) {
	h := &records{}
	w := newWorld(t, world.Config{Logger: slog.New(h)})
	w.Spawn(&raiser{})
	tick(t, w, 1)
	require.Len(t, h.rs, 1)
	var logged error
	h.rs[0].Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			logged, _ = a.Value.Any().(error)
		}
		return true
	})
	var ce *chaosError
	require.True(t, errors.As(logged, &ce), "the log's err is %T", logged)
	require.Equal(t, 7, ce.N)
	fs := w.Failures()
	require.Len(t, fs, 1)
	require.True(t, errors.As(fs[0].Cause, &ce))
	require.Equal(t, "planned failure", fs[0].Err)
}

// withoutCause returns fs without their Cause (which tests compare by errors.Is or As).
func withoutCause(fs []world.Failure) []world.Failure {
	out := make([]world.Failure, len(fs))
	for i, f := range fs {
		f.Cause = nil
		out[i] = f
	}
	return out
}
