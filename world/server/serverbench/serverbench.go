// Package serverbench holds the benchmark bodies of package server, shared by its tests and
// by `stackworld bench`.
package serverbench

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/assets"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/world"
)

// ScaledWorld builds the embedded default scenario with every kind's count multiplied by
// scale, and runs it 20 ticks so that its tasklets are asleep, blocked and deep in calls.
func ScaledWorld(scale int) (*world.World, error) {
	sc, err := actors.ParseScenario(assets.DefaultScenario())
	if err != nil {
		return nil, err
	}
	for i := range sc.Kinds {
		sc.Kinds[i].Count *= scale
	}
	cfg := sc.Config(0)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := world.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := actors.Populate(w, sc); err != nil {
		w.Close()
		return nil, err
	}
	for range 20 {
		if err := w.Tick(); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// SavePause measures how long one save holds the tick loop, as a server's loop takes it
// between two ticks: with capture false the whole synchronous encode (what a loop without
// package server does), with capture true the world's CaptureSection and the
// persist.Capture of it that server's writer goroutine encodes, with the capture tables
// prepared first as a server's writer prepares them when it starts. It reports the pauses
// (Pauses.Report's metrics). After each pause, off the clock, the world runs its next tick
// (beside the writer, for a capture, as a server's does). Before timing it checks that a
// capture encoded beside the next tick gives the synchronous save's bytes.
func SavePause(b *testing.B, w *world.World, capture bool) {
	p, err := NewPauser(w, capture)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := p.Pause(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		err := p.Next()
		b.StartTimer()
		if err != nil {
			b.Fatal(err)
		}
	}
	p.Pauses.Report(b)
}

// A Pauser takes saves of a world as a server's loop takes them, one pause at a time.
type Pauser struct {
	Pauses      Pauses
	c           *persist.Codec
	w           *world.World
	capture     bool
	cp          *persist.Capture // the capture Pause took, for Next
	last, spare *persist.Capture // reused two captures later, as server's saver does
}

// NewPauser checks that a capture of w encoded beside its next tick gives the synchronous
// save's bytes (w runs one tick), then, for captures, prepares two captures' tables as a
// server's writer does when it starts.
func NewPauser(w *world.World, capture bool) (*Pauser, error) {
	c, err := persist.DefaultOptions().Codec()
	if err != nil {
		return nil, err
	}
	if err := CheckCapture(c, w); err != nil {
		return nil, err
	}
	p := &Pauser{c: c, w: w, capture: capture}
	if capture {
		room := persist.CaptureRoomOf(w.Scheduler())
		w.PrepareCapture(w.CaptureRoom())
		p.spare, p.last = persist.PrepareCapture(room), persist.PrepareCapture(room)
	}
	return p, nil
}

// Pause takes one save (a synchronous encode, or a capture) and records its pause.
func (p *Pauser) Pause() error {
	cpu0, t0 := cpuTime(), time.Now()
	sec, err := section(p.w, p.capture)
	if err != nil {
		return err
	}
	if !p.capture {
		_, _, err = p.c.Save(p.w.Scheduler(), sec)
	} else if p.cp, err = p.c.Recapture(p.spare, p.w.Scheduler(), sec); err == nil {
		p.spare, p.last = p.last, p.cp
	}
	p.Pauses.add(time.Since(t0), cpuTime()-cpu0)
	return err
}

// Next runs the world's next tick: for a capture, beside its encode (as a server's writer
// encodes it, then readies the next capture's tables), counting the tasklets whose frames
// the tick copied before stepping them.
func (p *Pauser) Next() error {
	if !p.capture {
		return p.w.Tick()
	}
	_, err := encodeBesideTick(p.c, p.w, p.cp)
	p.spare.Reserve(p.cp.Room()) // as server's writer does after a save
	n, k := p.cp.Tasklets()
	p.Pauses.Tasklets, p.Pauses.CopiedOnTick = p.Pauses.Tasklets+n, p.Pauses.CopiedOnTick+k
	return err
}

// Pauses is what a Pauser measured: every pause in order, the CPU time the process spent
// in them (all threads: on a machine shared with other work, a pause's wall time also
// holds the wait for a core), and for captures the tasklets captured and those whose
// frames the next tick copied before stepping them rather than the writer.
type Pauses struct {
	Each                   []time.Duration
	EachCPU                []time.Duration
	CPU                    time.Duration
	Tasklets, CopiedOnTick int
}

func (ps *Pauses) add(wall, cpu time.Duration) {
	ps.Each, ps.EachCPU, ps.CPU = append(ps.Each, wall), append(ps.EachCPU, cpu), ps.CPU+cpu
}

// PauseStats is a summary of Pauses, in milliseconds.
type PauseStats struct {
	N                          int
	First, Min, Mean, P50, P99 float64 // First: the first pause (the cold one of a server)
	Max, CPU                   float64 // CPU: per pause
	CopiedOnTickPct            float64
}

// Stats summarizes ps (all zero if it holds no pause). P99 is the pause at rank
// ⌈0.99·N⌉: the largest of fewer than 100.
func (ps *Pauses) Stats() PauseStats {
	n := len(ps.Each)
	if n == 0 {
		return PauseStats{}
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	sorted := slices.Sorted(slices.Values(ps.Each))
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	st := PauseStats{N: n, First: ms(ps.Each[0]), Min: ms(sorted[0]), Mean: ms(sum) / float64(n),
		P50: ms(sorted[(n-1)/2]), P99: ms(sorted[(99*n+99)/100-1]), Max: ms(sorted[n-1]), CPU: ms(ps.CPU) / float64(n)}
	if ps.Tasklets > 0 {
		st.CopiedOnTickPct = 100 * float64(ps.CopiedOnTick) / float64(ps.Tasklets)
	}
	return st
}

// Report reports ps's summary as b's metrics: ms/pause (mean), first-ms (the first pause:
// a server's first autosave), min-ms (on a loaded machine, the closest to the pause on
// idle cores), p50-ms, p99-ms, max-ms, cpu-ms/pause and, for captures, tick-copied-%.
func (ps *Pauses) Report(b *testing.B) {
	st := ps.Stats()
	for _, m := range []struct {
		v    float64
		unit string
	}{{st.Mean, "ms/pause"}, {st.First, "first-ms"}, {st.Min, "min-ms"}, {st.P50, "p50-ms"}, {st.P99, "p99-ms"}, {st.Max, "max-ms"}, {st.CPU, "cpu-ms/pause"}} {
		b.ReportMetric(m.v, m.unit)
	}
	if ps.Tasklets > 0 {
		b.ReportMetric(st.CopiedOnTickPct, "tick-copied-%")
	}
	if os.Getenv("STACKWORLD_PAUSES") != "" {
		b.Logf("pauses (ms): %v", msList(ps.Each))
		b.Logf("their CPU (ms): %v", msList(ps.EachCPU))
	}
}

// msList returns ds in milliseconds, one decimal.
func msList(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d/(100*time.Microsecond)) / 10
	}
	return out
}

// section returns w's world section, as a save holds it, or for a capture
// (World.CaptureSection).
func section(w *world.World, capture bool) (persist.Section, error) {
	if capture {
		return w.CaptureSection()
	}
	st, err := w.Snapshot()
	return persist.Section{Name: world.SectionName, Value: st}, err
}

// encodeBesideTick encodes cp on a goroutine of its own while w runs its next tick, as
// server's writer does, and returns the bytes.
func encodeBesideTick(c *persist.Codec, w *world.World, cp *persist.Capture) ([]byte, error) {
	var data []byte
	var saveErr error
	done := make(chan struct{})
	go func() { // determinism: it only encodes the capture; the world's tick cannot see it
		defer close(done)
		data, _, saveErr = c.SaveCapture(cp)
	}()
	tickErr := w.Tick()
	<-done
	return data, cmp.Or(saveErr, tickErr)
}

// cpuTime returns the CPU time the process has used (user and system, all threads): on a
// machine shared with other work, the pause's wall time includes waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CheckCapture checks that a capture of w, encoded while w runs its next tick, gives the
// bytes Save writes at the capture's tick. w ends one tick later.
func CheckCapture(c *persist.Codec, w *world.World) error {
	sec, err := section(w, false)
	if err != nil {
		return err
	}
	want, _, err := c.Save(w.Scheduler(), sec)
	if err != nil {
		return err
	}
	if sec, err = section(w, true); err != nil {
		return err
	}
	cp, err := c.Capture(w.Scheduler(), sec)
	if err != nil {
		return err
	}
	got, err := encodeBesideTick(c, w, cp)
	if err != nil {
		return err
	}
	if string(got) != string(want) {
		return fmt.Errorf("serverbench: the capture encodes to %d bytes that differ from the save's %d", len(got), len(want))
	}
	return nil
}
