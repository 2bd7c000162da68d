package world_test

import (
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// TestNewGridRefusesSizesItCannotIndex: a cell size of 0 (which divided by zero), a map of
// no width, and a grid of too many cells are errors naming the value, as Config's are.
func TestNewGridRefusesSizesItCannotIndex(t *testing.T) {
	for _, tc := range []struct {
		w, h, cell int32
		want       string
	}{
		{64, 64, 0, "world: cell size 0 out of range [1, 2^20]"},
		{64, 64, -8, "world: cell size -8 out of range [1, 2^20]"},
		{0, 64, 8, "world: map size 0×64 out of range [1, 2^30]"},
		{64, 1<<31 - 1, 8, "world: map size 64×2147483647 out of range [1, 2^30]"},
		{1 << 30, 1 << 30, 1, "world: 1073741824×1073741824 map with cell size 1 has too many grid cells (limit 2^26); use larger cells"},
	} {
		g, err := world.NewGrid(tc.w, tc.h, tc.cell)
		require.EqualError(t, err, tc.want)
		require.Nil(t, g)
	}
	g, err := world.NewGrid(100, 40, 32)
	require.NoError(t, err)
	cols, rows := g.Dims()
	require.Equal(t, [3]int32{4, 2, 32}, [3]int32{cols, rows, g.CellSize()})
}

// TestGridOrder: items sit by cell row by row and, within a cell, in the order given to
// Build; positions off the map fall into the nearest cell.
func TestGridOrder(t *testing.T) {
	g, err := world.NewGrid(64, 64, 32)
	require.NoError(t, err)
	g.Build([]world.GridItem{
		{ID: 1, Pos: world.Vec{X: 40, Y: 40}}, // cell 3
		{ID: 2, Pos: world.Vec{X: 1, Y: 1}},   // cell 0
		{ID: 3, Pos: world.Vec{X: 50, Y: 2}},  // cell 1
		{ID: 4, Pos: world.Vec{X: -5, Y: 70}}, // clamped: cell 2
		{ID: 5, Pos: world.Vec{X: 2, Y: 2}},   // cell 0, after 2
	})
	var got [][]world.EntityID
	for c := range int32(4) {
		var ids []world.EntityID
		for _, it := range g.Cell(c) {
			ids = append(ids, it.ID)
		}
		got = append(got, ids)
	}
	require.Equal(t, [][]world.EntityID{{2, 5}, {3}, {4}, {1}}, got)
	require.Equal(t, 5, g.Len())
	require.Equal(t, []world.EntityID{2, 5, 3, 4, 1}, g.AppendNear(nil, world.Vec{X: 30, Y: 30}, 60, 0))
}

// TestZeroGridIsOneCell: the zero Grid builds into one cell and answers queries exactly.
func TestZeroGridIsOneCell(t *testing.T) {
	var g world.Grid
	require.Empty(t, g.AppendNear(nil, world.Vec{}, 100, 0))
	g.Build([]world.GridItem{{ID: 1, Pos: world.Vec{X: 5, Y: 5}}, {ID: 2, Pos: world.Vec{X: 900, Y: 9}}, {ID: 3, Pos: world.Vec{X: 8, Y: 1}}})
	cols, rows := g.Dims()
	require.Equal(t, [2]int32{1, 1}, [2]int32{cols, rows})
	require.Equal(t, []world.EntityID{1, 3}, g.AppendNear(nil, world.Vec{X: 6, Y: 4}, 10, 0))
	require.Equal(t, 3, g.CountNear(world.Vec{X: 450, Y: 5}, 460, 0))
	it, ok := g.Nearest(world.Vec{X: 800, Y: 0}, 1000, world.AnyKind, 0)
	require.True(t, ok)
	require.Equal(t, world.EntityID(2), it.ID)
}

func ExampleNewGrid() {
	g, err := world.NewGrid(256, 256, 32)
	if err != nil {
		fmt.Println(err)
		return
	}
	g.Build([]world.GridItem{
		{ID: 1, Pos: world.Vec{X: 10, Y: 10}},
		{ID: 2, Pos: world.Vec{X: 200, Y: 200}},
		{ID: 3, Pos: world.Vec{X: 20, Y: 12}},
	})
	fmt.Println(g.AppendNear(nil, world.Vec{X: 12, Y: 12}, 16, 0))
	fmt.Println(g.CountNear(world.Vec{X: 12, Y: 12}, 16, 1))
	_, err = world.NewGrid(256, 256, 0)
	fmt.Println(err)
	// Output:
	// [1 3]
	// 1
	// world: cell size 0 out of range [1, 2^20]
}
