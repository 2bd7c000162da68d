// Package maprange ranges over maps in every way the checker knows.
package maprange

import (
	"maps"
	"reflect"
	"slices"

	"github.com/stackworld/stackworld/sim/detcheck/testdata/mapdefs"
)

// Grid is a named map type.
type Grid map[int]string

// Alias is an alias of a map type.
type Alias = map[string]bool

// World has a map field.
type World struct {
	cells Grid
	flags Alias
}

// Sum ranges over maps.
func Sum(w *World, m map[string]int) int {
	n := 0
	for k, v := range m { // want "map-range"
		n += len(k) + v
	}
	for id := range w.cells { // want "map-range"
		n += id
	}
	for k := range w.flags { // want "map-range"
		n += len(k)
	}
	for k := range mapdefs.New() { // want "map-range"
		n += len(k)
	}
	var c mapdefs.Cells
	for id := range c.ByID { // want "map-range"
		n += id
	}
	for k := range maps.Keys(m) { // want "map-range"
		n += len(k)
	}
	for v := range maps.Values(m) { // want "map-range"
		n += v
	}
	for k, v := range (maps.All[map[string]int])(m) { // want "map-range"
		n += len(k) + v
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		n += len(k)
	}
	n += len(reflect.ValueOf(m).MapKeys()) // want "map-range"
	it := reflect.ValueOf(m).MapRange()    // want "map-range"
	for it.Next() {
		n++
	}
	return n
}

// Generic ranges over a type parameter constrained to maps.
func Generic[M ~map[K]V, K comparable, V any](m M) int {
	n := 0
	for range m { // want "map-range"
		n++
	}
	return n
}

// Counter admits only maps from string to int.
type Counter interface {
	~map[string]int
}

// MapLike is a constraint interface that embeds one admitting only maps.
type MapLike interface {
	Counter
	Len() int
}

// Constrained ranges over a type parameter constrained by MapLike.
func Constrained[M MapLike](m M) int {
	n := 0
	for range m { // want "map-range"
		n++
	}
	return n
}

// NotMap ranges over a type parameter that may be a slice: no finding
// (it cannot be ranged, so only len is used).
func NotMap[S ~[]int | ~map[int]int](s S) int { return len(s) }
