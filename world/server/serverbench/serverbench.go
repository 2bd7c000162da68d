// Package serverbench holds the benchmark bodies of package server, shared by its tests and
// by `stackworld bench`.
package serverbench

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"
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

// SavePause measures how long one save holds the tick loop, in ms/pause (mean), min-ms
// (the shortest: on a loaded machine, the closest to the pause on idle cores), p50-ms and
// p99-ms (of the pauses), and the CPU time the process spent meanwhile (cpu-ms/pause), as a server's loop takes it between two
// ticks: with capture false the whole synchronous encode (what a loop without package
// server does), with capture true the world's Snapshot and the persist.Capture of it that
// server's writer goroutine encodes. After each pause, off the clock, the world runs its
// next tick (beside the writer, for a capture, as a server's does); for a capture it
// reports the percentage of tasklets whose frames that tick copied before stepping them
// (tick-copied-%) rather than the writer. Before timing it checks that a capture encoded
// beside the next tick gives the synchronous save's bytes.
func SavePause(b *testing.B, w *world.World, capture bool) {
	c, err := persist.DefaultOptions().Codec()
	if err != nil {
		b.Fatal(err)
	}
	if err := CheckCapture(c, w); err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	var pauses []time.Duration
	var total, onStep int
	var last, spare *persist.Capture // reused two captures later, as server's saver does
	for b.Loop() {
		cpu0, t0 := cpuTime(), time.Now()
		sec, err := section(w, capture)
		if err != nil {
			b.Fatal(err)
		}
		if !capture {
			_, _, err = c.Save(w.Scheduler(), sec)
			cpu, pauses = cpu+cpuTime()-cpu0, append(pauses, time.Since(t0))
			b.StopTimer()
			err = cmp.Or(err, w.Tick())
			b.StartTimer()
		} else {
			var cp *persist.Capture
			if cp, err = c.Recapture(spare, w.Scheduler(), sec); err == nil {
				spare, last = last, cp
				cpu, pauses = cpu+cpuTime()-cpu0, append(pauses, time.Since(t0))
				b.StopTimer()
				_, err = encodeBesideTick(c, w, cp)
				n, k := cp.Tasklets()
				total, onStep = total+n, onStep+k
				b.StartTimer()
			}
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed())/float64(time.Millisecond)/float64(b.N), "ms/pause")
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/pause")
	slices.Sort(pauses)
	b.ReportMetric(float64(pauses[0])/float64(time.Millisecond), "min-ms")
	b.ReportMetric(float64(pauses[len(pauses)/2])/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(pauses[len(pauses)*99/100])/float64(time.Millisecond), "p99-ms")
	if capture && total > 0 {
		b.ReportMetric(100*float64(onStep)/float64(total), "tick-copied-%")
	}
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
