// Package mapdefs declares map types for the maprange testdata package, to
// show that types from other packages of the module are resolved.
package mapdefs

// Index is a named map type.
type Index map[string]int

// Cells is a struct holding a map.
type Cells struct {
	ByID map[int]string
}

// New returns an Index.
func New() Index { return Index{"a": 1} }
