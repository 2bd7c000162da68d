// Package actorbench holds the bodies of the benchmarks of worlds of NPCs (package actors'
// Wander on package world), so that both `go test -bench` (actors/bench_test.go) and
// `stackworld bench` (through testing.Benchmark) run the same code. It sits under actors,
// not world: world imports nothing above it.
//
// P6 is the world's target: N NPCs, each a soft tasklet that wanders (one tick in 16 it
// picks a new random velocity) and makes one area-of-interest neighbour query per tick
// (how many entities are within 16 units), at a constant density of one NPC per 256 square
// units. The target is at most 20 ms per tick for 100,000 NPCs on one core. P6Baseline
// runs the same movement and the same query as a plain loop over a slice of structs with
// the same grid, so the ratio of the two is the cost of tasklets, the scheduler and the
// entity registry.
package actorbench

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// Parameters of P6.
const (
	Speed     = 2
	Sight     = 16
	TurnOneIn = 16
	CellSize  = 32
	// AreaPerNPC is the map area per NPC, in square units.
	AreaPerNPC = 256
)

// MapSide returns the side of the square map for n NPCs at P6's density.
func MapSide(n int) int32 {
	side := int32(math.Ceil(math.Sqrt(float64(n) * AreaPerNPC)))
	return (side + CellSize - 1) / CellSize * CellSize
}

// NewWorld returns a world with n wandering NPCs.
func NewWorld(n int, seed uint64) *world.World {
	side := MapSide(n)
	w, err := world.New(world.Config{Seed: seed, Width: side, Height: side, CellSize: CellSize})
	if err != nil {
		panic(err)
	}
	k := w.Kind("npc")
	tmpl := &actors.Wander{Speed: Speed, Sight: Sight, TurnOneIn: TurnOneIn}
	for _, p := range Placement(n, side, w.Rand()) {
		w.SpawnEntity(k, p, tmpl.New)
	}
	return w
}

// Placement returns n random positions on a side×side map, drawn from r, in the order of
// their grid cells (row by row), as a zone spawns its NPCs region by region: neighbours in
// space are neighbours in the ring and in memory, which is what makes 1M NPCs cache-friendly.
func Placement(n int, side int32, r *rand.Rand) []world.Vec {
	ps := make([]world.Vec, n)
	for i := range ps {
		ps[i] = world.Vec{X: int32(r.Uint32N(uint32(side))), Y: int32(r.Uint32N(uint32(side)))}
	}
	cell := func(p world.Vec) int64 { return int64(p.Y/CellSize)*int64(side/CellSize) + int64(p.X/CellSize) }
	slices.SortStableFunc(ps, func(a, b world.Vec) int { return cmp.Compare(cell(a), cell(b)) })
	return ps
}

// P6 times world ticks with n NPCs and reports ms/tick and ns/npc.
func P6(b *testing.B, n int) {
	w := NewWorld(n, 1)
	defer w.Close()
	b.ReportAllocs()
	b.ResetTimer()
	ticks := 0
	for b.Loop() {
		if err := w.Tick(); err != nil {
			b.Fatal(err)
		}
		ticks++
	}
	report(b, ticks, n)
}

func report(b *testing.B, ticks, n int) {
	per := float64(b.Elapsed().Nanoseconds()) / float64(ticks)
	b.ReportMetric(per/1e6, "ms/tick")
	b.ReportMetric(per/float64(n), "ns/npc")
}

// npc is the baseline's NPC: the same data as a world entity with a Wander frame.
type npc struct {
	ID   world.EntityID
	Pos  world.Vec
	Vel  world.Vec
	Seen int32
}

// Baseline is P6 as a plain loop: NPCs in a slice, the same RNG, movement, grid and query.
type Baseline struct {
	npcs  []npc
	rand  *rand.Rand
	grid  *world.Grid
	items []world.GridItem
	side  int32
}

// NewBaseline returns the baseline with n NPCs placed as NewWorld places them.
func NewBaseline(n int, seed uint64) *Baseline {
	side := MapSide(n)
	grid, err := world.NewGrid(side, side, CellSize)
	if err != nil {
		panic(err) // as NewWorld: the map of n NPCs is too large
	}
	bl := &Baseline{
		rand: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), // as world.New seeds it
		grid: grid,
		side: side,
		npcs: make([]npc, n),
	}
	for i, p := range Placement(n, side, bl.rand) {
		bl.npcs[i] = npc{ID: world.EntityID(i + 1), Pos: p}
	}
	return bl // like a new world's, the grid is empty until the first tick ends
}

// Tick runs one tick: every NPC wanders and queries, then positions move and the grid is
// rebuilt.
func (bl *Baseline) Tick() {
	r := bl.rand
	for i := range bl.npcs {
		p := &bl.npcs[i]
		if p.Vel == (world.Vec{}) || r.Uint32N(TurnOneIn) == 0 {
			const n = 2*Speed + 1
			p.Vel = world.Vec{X: int32(r.Uint32N(n)) - Speed, Y: int32(r.Uint32N(n)) - Speed}
		}
		p.Seen = int32(bl.grid.CountNear(p.Pos, Sight, p.ID))
	}
	W := bl.side
	for i := range bl.npcs {
		p := &bl.npcs[i]
		x, y := p.Pos.X+p.Vel.X, p.Pos.Y+p.Vel.Y
		if x < 0 {
			x, p.Vel.X = -x, -p.Vel.X
		} else if x >= W {
			x, p.Vel.X = 2*(W-1)-x, -p.Vel.X
		}
		if y < 0 {
			y, p.Vel.Y = -y, -p.Vel.Y
		} else if y >= W {
			y, p.Vel.Y = 2*(W-1)-y, -p.Vel.Y
		}
		p.Pos = world.Vec{X: min(max(x, 0), W-1), Y: min(max(y, 0), W-1)}
	}
	bl.index()
}

func (bl *Baseline) index() {
	bl.items = bl.items[:0]
	for _, p := range bl.npcs {
		bl.items = append(bl.items, world.GridItem{ID: p.ID, Pos: p.Pos})
	}
	bl.grid.Build(bl.items)
}

// P6Baseline times the baseline's ticks with n NPCs.
func P6Baseline(b *testing.B, n int) {
	bl := NewBaseline(n, 1)
	b.ReportAllocs()
	b.ResetTimer()
	ticks := 0
	for b.Loop() {
		bl.Tick()
		ticks++
	}
	report(b, ticks, n)
}

// Same checks that the world and the baseline compute the same thing: after ticks ticks
// with n NPCs, every position, velocity and query result agrees. Benchmarks call it first
// (prove the work is right before timing it).
func Same(n, ticks int) error {
	w := NewWorld(n, 1)
	defer w.Close()
	bl := NewBaseline(n, 1)
	for range ticks {
		if err := w.Tick(); err != nil {
			return err
		}
		bl.Tick()
	}
	ents := w.Entities()
	if len(ents) != len(bl.npcs) {
		return fmt.Errorf("actorbench: %d entities, %d baseline NPCs", len(ents), len(bl.npcs))
	}
	var seen []int32
	w.Tasklets(sim.AllStates, func(t *sim.Tasklet) bool {
		if f, ok := t.Top().(*actors.Wander); ok {
			seen = append(seen, f.Seen)
		}
		return true
	})
	for i, e := range ents {
		p := bl.npcs[i]
		if e.ID != p.ID || e.Pos != p.Pos || e.Vel != p.Vel {
			return fmt.Errorf("actorbench: tick %d: entity %d at %v moving %v; baseline NPC %d at %v moving %v",
				ticks, e.ID, e.Pos, e.Vel, p.ID, p.Pos, p.Vel)
		}
	}
	sum := func(xs []int32) (s int64) {
		for _, x := range xs {
			s += int64(x)
		}
		return s
	}
	var bseen []int32
	for _, p := range bl.npcs {
		bseen = append(bseen, p.Seen)
	}
	if sum(seen) != sum(bseen) {
		return fmt.Errorf("actorbench: neighbours seen: world %d, baseline %d", sum(seen), sum(bseen))
	}
	return nil
}

// Save times World.Save of a P6 world of n NPCs (after 10 ticks) and reports the snapshot
// size (B/npc) and the save time (ms/save).
func Save(b *testing.B, n int) {
	w := NewWorld(n, 1)
	defer w.Close()
	for range 10 {
		if err := w.Tick(); err != nil {
			b.Fatal(err)
		}
	}
	codec := world.DefaultCodec()
	var size int
	for b.Loop() {
		data, err := w.Save(codec)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size)/float64(n), "B/npc")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/save")
}

// Load times world.Load of the snapshot of a P6 world of n NPCs (ms/load).
func Load(b *testing.B, n int) {
	w := NewWorld(n, 1)
	for range 10 {
		if err := w.Tick(); err != nil {
			b.Fatal(err)
		}
	}
	codec := world.DefaultCodec()
	data, err := w.Save(codec)
	if err != nil {
		b.Fatal(err)
	}
	w.Close()
	for b.Loop() {
		l, err := world.Load(codec, data, world.Config{})
		if err != nil {
			b.Fatal(err)
		}
		l.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/load")
}

// Result is one measured size.
type Result struct {
	N                  int
	World, Baseline    time.Duration // per tick
	Ratio              float64       // World / Baseline
	AllocsPerTick      int64
	BaselineAllocsTick int64
}

// Run measures P6 and its baseline for n NPCs with testing.Benchmark (for `stackworld bench`).
func Run(n int) Result {
	rw := testing.Benchmark(func(b *testing.B) { P6(b, n) })
	rb := testing.Benchmark(func(b *testing.B) { P6Baseline(b, n) })
	res := Result{N: n, World: time.Duration(rw.NsPerOp()), Baseline: time.Duration(rb.NsPerOp()),
		AllocsPerTick: rw.AllocsPerOp(), BaselineAllocsTick: rb.AllocsPerOp()}
	if res.Baseline > 0 {
		res.Ratio = float64(res.World) / float64(res.Baseline)
	}
	return res
}
