package model

import "github.com/stackworld/stackworld/world"

// Highlight is what the map marks beyond the markers: the selected entity, its area of
// interest (radius Interest around it) and the neighbours in it, and entities that differ
// (in a diff).
type Highlight struct {
	Selected   world.EntityID
	Interest   int32
	Neighbours []world.EntityID
	Differ     []world.EntityID
}

// Select fills hl for entity id of w: its interest radius and the entities in its area of
// interest at the end of the last tick (world.World.Visible). Differ is left as it is.
func (hl *Highlight) Select(w *world.World, id world.EntityID) {
	hl.Selected, hl.Interest, hl.Neighbours = id, 0, hl.Neighbours[:0]
	if e := w.Entity(id); e != nil {
		hl.Interest = e.Interest
		hl.Neighbours = append(hl.Neighbours, w.Visible(id)...)
	}
}
