package world

import (
	"fmt"
	"slices"
)

// A GridItem is one entity as the spatial grid holds it: id, kind and position at the last
// rebuild.
type GridItem struct {
	ID   EntityID
	Kind Kind
	Pos  Vec
}

// cells is the storage of the world's two spatial grids (Grid, and the interest update's
// interestGrid): a uniform grid over a width×height map whose items are kept sorted by cell
// (row-major), so that the items of cell c are items[start[c]:start[c+1]] and the cells of
// one row between two columns are contiguous. It is filled in one pass by a counting sort
// that keeps the given order within a cell, so its contents are a pure function of its
// input. T is what a grid keeps of an entity.
type cells[T any] struct {
	cell       int32 // cell size, units
	cols, rows int32
	start      []int32 // len cols·rows+1
	items      []T     // sorted by cell
	cellOf     []int32 // scratch of the sort: the cell of each input item
}

// init sizes the grid for a width×height map (units) with the given cell size (≥ 1).
// Cost: one allocation of cols·rows+1 int32s.
func (g *cells[T]) init(width, height, cellSize int32) {
	g.cell = cellSize
	g.cols = (width + cellSize - 1) / cellSize
	g.rows = (height + cellSize - 1) / cellSize
	g.start = make([]int32, int(g.cols)*int(g.rows)+1)
}

// cellAt returns the index of the cell holding p (clamped into the grid).
func (g *cells[T]) cellAt(p Vec) int32 {
	cx := min(max(p.X/g.cell, 0), g.cols-1)
	cy := min(max(p.Y/g.cell, 0), g.rows-1)
	return cy*g.cols + cx
}

// count is the first half of the counting sort of src: it sizes items for len(src) and
// returns start with start[c] the first slot of cell c. The caller then places each src[i]
// at start[cellOf[i]] and increments that slot, and calls placed. Cost: O(len(src) + cells);
// it allocates only when len(src) exceeds every earlier build's.
func (g *cells[T]) count(src []GridItem) []int32 {
	n := len(src)
	g.cellOf = slices.Grow(g.cellOf[:0], n)[:n]
	g.items = slices.Grow(g.items[:0], n)[:n]
	start := g.start
	clear(start)
	for i := range src {
		c := g.cellAt(src[i].Pos)
		g.cellOf[i] = c
		start[c+1]++
	}
	for c := 1; c < len(start); c++ {
		start[c] += start[c-1]
	}
	return start
}

// placed ends the counting sort: placing moved every start[c] to the first slot of cell
// c+1, so start is shifted back by one cell.
func (g *cells[T]) placed() {
	copy(g.start[1:], g.start[:len(g.start)-1])
	g.start[0] = 0
}

// trim gives back the capacity of the grid's buffers beyond trimSlack×n + trimMinCap
// (scratch.go).
func (g *cells[T]) trim(n int) {
	g.items = trimmed(g.items, n)
	g.cellOf = trimmed(g.cellOf, n)
}

// A Grid is a uniform-grid spatial index over a W×H map, rebuilt in one pass by a counting
// sort (cells in row-major order, items in each cell in the order given to Build). Its
// contents are a pure function of the items, so a loaded world rebuilds the same grid. The
// world rebuilds its grid at the end of every tick; Grid is exported so that baselines and
// tools can use the same index on plain slices. The zero Grid is empty, and Build makes it
// one cell holding every item (queries then scan them all); use NewGrid. Queries do not
// allocate.
type Grid struct {
	cells[GridItem]
}

// NewGrid returns an empty grid for a width×height map (units) with the given cell size,
// or an error naming the value out of range: the limits are Config's (sizes in [1, 2^30],
// cell size in [1, 2^20], at most 2^26 cells). Cost: one allocation of a 4-byte count per
// cell.
func NewGrid(width, height, cellSize int32) (*Grid, error) {
	if err := checkGrid(width, height, cellSize); err != nil {
		return nil, err
	}
	g := &Grid{}
	g.init(width, height, cellSize)
	return g, nil
}

// checkGrid reports a map size or cell size that the grid cannot index.
func checkGrid(width, height, cellSize int32) error {
	switch {
	case width < 1 || height < 1 || width > 1<<30 || height > 1<<30:
		return fmt.Errorf("world: map size %d×%d out of range [1, 2^30]", width, height)
	case cellSize < 1 || cellSize > 1<<20:
		return fmt.Errorf("world: cell size %d out of range [1, 2^20]", cellSize)
	case int64(width/cellSize+1)*int64(height/cellSize+1) > 1<<26:
		return fmt.Errorf("world: %d×%d map with cell size %d has too many grid cells (limit 2^26); use larger cells", width, height, cellSize)
	}
	return nil
}

// CellSize returns the cell size.
func (g *Grid) CellSize() int32 { return g.cell }

// Dims returns the number of columns and rows.
func (g *Grid) Dims() (cols, rows int32) { return g.cols, g.rows }

// CellOf returns the index of the cell holding p (clamped into the grid). The grid must
// have been made by NewGrid or built.
func (g *Grid) CellOf(p Vec) int32 { return g.cellAt(p) }

// Build replaces the grid's contents with items. It keeps no reference to items. Cost:
// O(len(items) + cells); it allocates only when len(items) exceeds every earlier build's.
func (g *Grid) Build(items []GridItem) {
	if g.start == nil { // the zero Grid
		g.init(1<<30, 1<<30, 1<<30)
	}
	next := g.count(items)
	for i := range items {
		c := g.cellOf[i]
		g.items[next[c]] = items[i]
		next[c]++
	}
	g.placed()
}

// Len returns the number of items.
func (g *Grid) Len() int { return len(g.items) }

// Cell returns the items of cell c (read only); c must be in [0, cols×rows).
func (g *Grid) Cell(c int32) []GridItem { return g.items[g.start[c]:g.start[c+1]] }

// cellRange returns the cell rectangle that a circle around p of radius r overlaps.
func (g *Grid) cellRange(p Vec, r int32) (x0, y0, x1, y1 int32) {
	x0 = min(max((p.X-r)/g.cell, 0), g.cols-1)
	y0 = min(max((p.Y-r)/g.cell, 0), g.rows-1)
	x1 = min(max((p.X+r)/g.cell, 0), g.cols-1)
	y1 = min(max((p.Y+r)/g.cell, 0), g.rows-1)
	return
}

// AppendNear appends the ids of the items within radius r of p (distance <= r), skipping
// skip, in grid order (cells row by row, then the order of Build), and returns dst.
func (g *Grid) AppendNear(dst []EntityID, p Vec, r int32, skip EntityID) []EntityID {
	if r < 0 || len(g.items) == 0 {
		return dst
	}
	r2 := int64(r) * int64(r)
	x0, y0, x1, y1 := g.cellRange(p, r)
	for cy := y0; cy <= y1; cy++ {
		row := cy * g.cols
		for _, it := range g.items[g.start[row+x0]:g.start[row+x1+1]] {
			if it.ID != skip && it.Pos.Dist2(p) <= r2 {
				dst = append(dst, it.ID)
			}
		}
	}
	return dst
}

// CountNear returns the number of items within radius r of p, skipping skip.
func (g *Grid) CountNear(p Vec, r int32, skip EntityID) int {
	if r < 0 || len(g.items) == 0 {
		return 0
	}
	r2 := int64(r) * int64(r)
	x0, y0, x1, y1 := g.cellRange(p, r)
	n := 0
	for cy := y0; cy <= y1; cy++ {
		row := cy * g.cols
		for _, it := range g.items[g.start[row+x0]:g.start[row+x1+1]] {
			// branch-free: about half the candidates are inside, so a branch mispredicts
			v := 1 + int((r2-it.Pos.Dist2(p))>>63) // 1 if inside, else 0
			if it.ID == skip {
				v = 0
			}
			n += v
		}
	}
	return n
}

// AnyKind matches every kind in Nearest.
const AnyKind Kind = 0xFFFF

// Nearest returns the item of kind k (AnyKind: any) nearest to p within radius r, skipping
// skip; ties go to the smaller id. ok is false if there is none.
func (g *Grid) Nearest(p Vec, r int32, k Kind, skip EntityID) (GridItem, bool) {
	var best GridItem
	if r < 0 || len(g.items) == 0 {
		return best, false
	}
	bestD := int64(r)*int64(r) + 1
	x0, y0, x1, y1 := g.cellRange(p, r)
	for cy := y0; cy <= y1; cy++ {
		row := cy * g.cols
		for _, it := range g.items[g.start[row+x0]:g.start[row+x1+1]] {
			if it.ID == skip || (k != AnyKind && it.Kind != k) {
				continue
			}
			if d := it.Pos.Dist2(p); d < bestD || (d == bestD && it.ID < best.ID) {
				best, bestD = it, d
			}
		}
	}
	return best, best.ID != 0
}
