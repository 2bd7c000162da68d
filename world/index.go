package world

import "hash/maphash"

// entityIndex maps entity ids to their positions in World.ents: an open-addressing hash
// table with Robin Hood linear probing, at most half full and shrunk when it is less than
// an eighth full, so its memory follows the live entities (16 bytes per slot, 2 to 8 slots
// per entity), never the ids issued so far.
//
// An id's home slot is, normally, its serial plus a multiple of its zone: the ids of one
// zone, issued in order, sit in consecutive slots, so a tick that walks the entities in
// spawn order walks the table in order too. Each slot keeps its entry's distance from its
// home, and an insert moves on the entries nearer their home than the new one (Robin
// Hood), so the entries of a run of slots lie in the order of their homes. That bounds
// every walk by distances instead of run lengths: a lookup stops at the first entry nearer
// its home than the probe, and a removal shifts back only the entries after the hole that
// are away from their home (backward-shift deletion, no tombstones), stopping at the first
// one at home. Removing or looking up any id of a run of consecutive ids costs a few
// probes, whatever the run's length and the order of the removals.
//
// Ids chosen to collide (a hostile snapshot: every id a multiple of the table's size)
// would make inserts quadratic, so an insert that would walk more than maxProbe slots
// switches the table to a hash with a per-process random seed: lookups cost a hash then,
// and stay constant time on average. The table's layout never changes what the world
// does, only how fast it finds an entity.
type entityIndex struct {
	slots  []idxSlot // len is 0 or a power of two; id 0 marks a free slot
	n      int       // live entries
	seeded bool      // home slots come from maphash with seed
	seed   maphash.Seed
	probes int // slots visited (tests count them)
}

// idxSlot is one slot: an entry and its distance from its home slot (in the padding an
// id and a position leave, so it costs no memory).
type idxSlot struct {
	id   EntityID
	i    int32
	dist int32
}

const (
	idxMinSlots = 64
	// maxProbe is the longest walk an insert accepts before the table switches to a seeded
	// hash. At most half full, linear probing over well-spread keys probes about 2.5 slots.
	maxProbe = 64
)

// home returns id's home slot in a table of mask+1 slots.
func (x *entityIndex) home(id EntityID, mask int) int {
	if x.seeded {
		return int(maphash.Comparable(x.seed, id)) & mask
	}
	return int(uint64(id)+uint64(id.Zone())*0x9e3779b97f4a7c15) & mask
}

// get returns id's position, or false if id is not a live entity. Constant time on average.
func (x *entityIndex) get(id EntityID) (int, bool) {
	j, ok := x.find(id)
	if !ok {
		return 0, false
	}
	return int(x.slots[j].i), true
}

// find returns the slot holding id, or false. It walks from id's home and stops at id, at a
// free slot, or at an entry nearer its home than id would be there (Robin Hood order: id
// cannot lie beyond it).
func (x *entityIndex) find(id EntityID) (int, bool) {
	if len(x.slots) == 0 || id == 0 {
		return 0, false
	}
	mask := len(x.slots) - 1
	j := x.home(id, mask)
	for d := int32(0); ; d++ {
		s := &x.slots[j]
		if s.id == id {
			x.probes += int(d) + 1 // one store per lookup, not one per slot
			return j, true
		}
		if s.id == 0 || s.dist < d {
			x.probes += int(d) + 1
			return 0, false
		}
		j = (j + 1) & mask
	}
}

// has reports whether id is in the index.
func (x *entityIndex) has(id EntityID) bool {
	_, ok := x.find(id)
	return ok
}

// set records id's position (-1: no entity). id must not be 0. Constant time on average.
func (x *entityIndex) set(id EntityID, i int32) {
	if i < 0 {
		x.remove(id)
		return
	}
	if j, ok := x.find(id); ok {
		x.slots[j].i = i
		return
	}
	if 2*(x.n+1) > len(x.slots) {
		x.resize(max(2*len(x.slots), idxMinSlots))
	}
	if !x.seeded && x.walk(id) > maxProbe {
		x.seeded, x.seed = true, maphash.MakeSeed() // determinism: the layout only, never the order of anything
		x.resize(len(x.slots))
	}
	x.insert(idxSlot{id: id, i: i})
	x.n++
}

// walk returns the number of slots an insert of id (not in the table) visits: from its
// home to the first free slot.
func (x *entityIndex) walk(id EntityID) int {
	mask := len(x.slots) - 1
	n := 0
	for j := x.home(id, mask); x.slots[j].id != 0 && n <= maxProbe; j = (j + 1) & mask {
		n++
	}
	x.probes += n
	return n
}

// insert places e (not in the table; a free slot exists) in Robin Hood order: walking from
// e's home, it takes the slot of the first entry nearer its home than e and carries that
// entry on in the same way, up to a free slot.
func (x *entityIndex) insert(e idxSlot) {
	mask := len(x.slots) - 1
	j := x.home(e.id, mask)
	for e.dist = 0; ; e.dist++ {
		x.probes++
		s := &x.slots[j]
		if s.id == 0 {
			*s = e
			return
		}
		if s.dist < e.dist {
			*s, e = e, *s
		}
		j = (j + 1) & mask
	}
}

// remove drops id and shifts back the entries after it that are away from their home,
// up to the first free slot or entry at home, and shrinks the table when it is mostly
// empty. Constant time on average.
func (x *entityIndex) remove(id EntityID) {
	j, ok := x.find(id)
	if !ok {
		return
	}
	mask := len(x.slots) - 1
	for k := (j + 1) & mask; x.slots[k].id != 0 && x.slots[k].dist > 0; k = (k + 1) & mask {
		x.probes++
		x.slots[j] = x.slots[k]
		x.slots[j].dist--
		j = k
	}
	x.probes++
	x.slots[j] = idxSlot{}
	x.n--
	if len(x.slots) > idxMinSlots && 8*x.n < len(x.slots) {
		x.resize(len(x.slots) / 2)
	}
}

// resize moves the entries into a table of size slots (a power of two, more than twice n).
func (x *entityIndex) resize(size int) {
	old := x.slots
	x.slots = make([]idxSlot, size)
	for _, s := range old {
		if s.id != 0 {
			x.insert(s)
		}
	}
}

// len returns the number of live entries.
func (x *entityIndex) len() int { return x.n }
