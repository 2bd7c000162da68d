package world_test

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/world"
)

// crowdScenario is issue 12's slow case: 33k entities on a 1024² map, of which 6k (deer
// fleeing wolves, wolves chasing deer) have areas of interest of radius 256 — each sees
// about 5k others.
func crowdScenario() *actors.Scenario {
	return &actors.Scenario{
		Name: "crowd", Seed: 1,
		Map:        actors.MapSpec{Width: 1024, Height: 1024, Cell: 32},
		TickBudget: 1000,
		Kinds: []actors.KindSpec{
			{Name: "sheep", Count: 27_000, Behaviour: "wander", Speed: 2, Sight: 16, Crowd: 6},
			{Name: "deer", Count: 3_000, Behaviour: "flee", From: "wolf", Speed: 3, Sight: 256},
			{Name: "wolf", Count: 3_000, Behaviour: "chase", Prey: "deer", Speed: 4, Sight: 256},
		},
	}
}

// BenchmarkInterestCrowd runs the crowd scenario one tick per iteration and reports the
// median and 99th percentile of the tick's CPU time (all threads, the garbage collector's
// too: on a shared machine it measures the work better than the wall clock does) and wall
// time, the first tick (every watcher's set computed in full, with an enter event per
// member), the events per tick and the grid items the edge scans looked at. impl=edge is
// the edge update, impl=full the full recomputation it replaced, impl=cap64 a cap of the 64
// nearest. With npc=chase the watchers are the scenario's deer and wolves, which scan their
// whole sets every tick (actors' nearestVisible); with npc=wander every entity wanders and
// the same 6k have the same radius but read nothing, which leaves the cost of interest
// management alone. A tick takes seconds with impl=full: run it with -benchtime=10x.
func BenchmarkInterestCrowd(b *testing.B) {
	for _, npc := range []string{"chase", "wander"} {
		for _, impl := range []string{"edge", "cap64", "full"} {
			b.Run("npc="+npc+"/impl="+impl, func(b *testing.B) { benchCrowd(b, npc, impl) })
		}
	}
}

func benchCrowd(b *testing.B, npc, impl string) {
	sc := crowdScenario()
	if npc == "wander" {
		for i := range sc.Kinds {
			k := &sc.Kinds[i]
			k.Behaviour, k.Sight = "wander", 0 // no neighbour count: only interest management is left
		}
	}
	cfg := sc.Config(0)
	cfg.Logger = quiet()
	t0 := time.Now()
	cfg.Clock = func() time.Duration { return time.Since(t0) }
	if impl == "cap64" {
		cfg.InterestCap = 64
	}
	w, err := world.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	world.SetBruteInterest(w, impl == "full")
	if err := actors.Populate(w, sc); err != nil {
		b.Fatal(err)
	}
	if npc == "wander" {
		for _, e := range w.Entities() {
			if w.KindName(e.Kind) != "sheep" {
				w.SetInterest(e.ID, 256, world.Mailbox[world.AoIEvent]{})
			}
		}
	}
	if err := w.Tick(); err != nil { // every watcher's first set
		b.Fatal(err)
	}
	first := w.LastTiming().Wall
	var walls, cpus []time.Duration
	events := 0
	visited0 := world.InterestVisited(w)
	b.ResetTimer()
	for b.Loop() {
		c0 := cpuTime()
		if err := w.Tick(); err != nil {
			b.Fatal(err)
		}
		cpus = append(cpus, cpuTime()-c0)
		walls = append(walls, w.LastTiming().Wall)
		events += len(w.Events())
	}
	pct := func(ds []time.Duration, p float64) float64 {
		slices.Sort(ds)
		return float64(ds[min(int(p*float64(len(ds))), len(ds)-1)]) / 1e6
	}
	b.ReportMetric(pct(walls, 0.50), "p50-ms/tick")
	b.ReportMetric(pct(walls, 0.99), "p99-ms/tick")
	b.ReportMetric(pct(cpus, 0.50), "p50-cpu-ms/tick")
	b.ReportMetric(pct(cpus, 0.99), "p99-cpu-ms/tick")
	b.ReportMetric(float64(first)/1e6, "first-ms")
	b.ReportMetric(float64(events)/float64(len(walls)), "events/tick")
	b.ReportMetric(float64(world.InterestVisited(w)-visited0)/float64(len(walls)), "scanned/tick")
	b.ReportMetric(0, "ns/op")
}

// cpuTime returns the CPU time the process has used, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
