package world

// A GridItem is one entity as the spatial grid holds it: id, kind and position at the last
// rebuild.
type GridItem struct {
	ID   EntityID
	Kind Kind
	Pos  Vec
}

// A Grid is a uniform-grid spatial index over a W×H map, rebuilt in one pass by a counting
// sort (cells in row-major order, items in each cell in the order given to Build). Its
// contents are a pure function of the items, so a loaded world rebuilds the same grid. The
// world rebuilds its grid at the end of every tick; Grid is exported so that baselines and
// tools can use the same index on plain slices. The zero Grid is empty; use NewGrid.
// Queries do not allocate.
type Grid struct {
	cell       int32 // cell size, units
	cols, rows int32
	start      []int32    // items of cell c are items[start[c]:start[c+1]]
	items      []GridItem // sorted by cell
	cellOf     []int32    // scratch: the cell of each input item
}

// NewGrid returns an empty grid for a width×height map with the given cell size.
func NewGrid(width, height, cellSize int32) *Grid {
	g := &Grid{}
	g.init(width, height, cellSize)
	return g
}

func (g *Grid) init(width, height, cellSize int32) {
	g.cell = cellSize
	g.cols = (width + cellSize - 1) / cellSize
	g.rows = (height + cellSize - 1) / cellSize
	g.start = make([]int32, int(g.cols)*int(g.rows)+1)
}

// CellSize returns the cell size.
func (g *Grid) CellSize() int32 { return g.cell }

// Dims returns the number of columns and rows.
func (g *Grid) Dims() (cols, rows int32) { return g.cols, g.rows }

// CellOf returns the index of the cell holding p (clamped into the grid).
func (g *Grid) CellOf(p Vec) int32 {
	cx := min(max(p.X/g.cell, 0), g.cols-1)
	cy := min(max(p.Y/g.cell, 0), g.rows-1)
	return cy*g.cols + cx
}

// Build replaces the grid's contents with items. It keeps no reference to items.
func (g *Grid) Build(items []GridItem) {
	n := len(items)
	if cap(g.cellOf) < n || cap(g.items) < n {
		g.cellOf = make([]int32, n, n+n/4)
		g.items = make([]GridItem, n, n+n/4)
	}
	g.cellOf, g.items = g.cellOf[:n], g.items[:n]
	start := g.start
	clear(start)
	for i := range items {
		c := g.CellOf(items[i].Pos)
		g.cellOf[i] = c
		start[c+1]++
	}
	for c := 1; c < len(start); c++ {
		start[c] += start[c-1]
	}
	// scatter: start[c] is used as the next free slot of cell c, then shifted back
	for i := range items {
		c := g.cellOf[i]
		g.items[start[c]] = items[i]
		start[c]++
	}
	copy(start[1:], start[:len(start)-1])
	start[0] = 0
}

// Len returns the number of items.
func (g *Grid) Len() int { return len(g.items) }

// Cell returns the items of cell c (read only).
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
