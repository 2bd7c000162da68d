// Package serverbench holds the benchmark bodies of package server, shared by its tests and
// by `stackworld bench`.
package serverbench

import (
	"fmt"
	"io"
	"log/slog"
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

// SavePause measures how long one save holds the tick loop, in ms/pause (and the CPU time
// the process spent meanwhile, cpu-ms/pause): with capture
// false the whole synchronous encode (what a loop without package server does), with
// capture true the copy that server's writer goroutine encodes afterwards. Before timing
// it checks that the capture encodes to the synchronous save's bytes.
func SavePause(b *testing.B, w *world.World, capture bool) {
	c, err := persist.DefaultOptions().Codec()
	if err != nil {
		b.Fatal(err)
	}
	section := func() persist.Section {
		st, err := w.Snapshot()
		if err != nil {
			b.Fatal(err)
		}
		return persist.Section{Name: world.SectionName, Value: st}
	}
	if err := sameBytes(c, w, section()); err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	for b.Loop() {
		cpu0 := cpuTime()
		if capture {
			var cp *persist.Capture
			if cp, err = c.Capture(w.Scheduler(), section()); err == nil {
				cpu += cpuTime() - cpu0
				// The writer's part, off the clock: it copies the frames no step has, so
				// that the next capture finds them copied, as a server's does.
				b.StopTimer()
				_, _, err = c.SaveCapture(cp)
				b.StartTimer()
			}
		} else {
			_, _, err = c.Save(w.Scheduler(), section())
			cpu += cpuTime() - cpu0
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed())/float64(time.Millisecond)/float64(b.N), "ms/pause")
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/pause")
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

// sameBytes checks that a capture encodes to what Save writes.
func sameBytes(c *persist.Codec, w *world.World, sec persist.Section) error {
	want, _, err := c.Save(w.Scheduler(), sec)
	if err != nil {
		return err
	}
	cp, err := c.Capture(w.Scheduler(), sec)
	if err != nil {
		return err
	}
	got, _, err := c.SaveCapture(cp)
	if err != nil {
		return err
	}
	if string(got) != string(want) {
		return fmt.Errorf("serverbench: the capture encodes to %d bytes that differ from the save's %d", len(got), len(want))
	}
	return nil
}
