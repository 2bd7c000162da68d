package world

// entityIndex maps entity ids to their positions in World.ents. It is paged: pages of
// idxPage positions are allocated when an id in them is first used, so its memory follows
// the ids in use, not the largest one — a snapshot that claims a single entity with a huge
// id costs one page, not gigabytes. A dense world pays 4 bytes per id issued, as a flat
// slice would, plus one pointer per page.
type entityIndex struct {
	pages []*[idxPage]int32
}

const (
	idxPageBits = 10
	idxPage     = 1 << idxPageBits
)

// get returns id's position, or false if id is not a live entity.
func (x *entityIndex) get(id EntityID) (int, bool) {
	p := int(id >> idxPageBits)
	if p >= len(x.pages) || x.pages[p] == nil {
		return 0, false
	}
	i := x.pages[p][id&(idxPage-1)]
	return int(i), i >= 0
}

// set records id's position (-1: no entity).
func (x *entityIndex) set(id EntityID, i int32) {
	p := int(id >> idxPageBits)
	for p >= len(x.pages) {
		x.pages = append(x.pages, nil)
	}
	pg := x.pages[p]
	if pg == nil {
		if i < 0 {
			return // absent already
		}
		pg = new([idxPage]int32)
		for j := range pg {
			pg[j] = -1
		}
		x.pages[p] = pg
	}
	pg[id&(idxPage-1)] = i
}
