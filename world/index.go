package world

import "hash/maphash"

// entityIndex maps entity ids to their positions in World.ents: an open-addressing hash
// table with linear probing, at most half full and shrunk when it is less than an eighth
// full, so its memory follows the live entities (16 bytes per slot, 2 to 8 slots per
// entity), never the ids issued so far.
//
// An id's home slot is, normally, its serial plus a multiple of its zone: the ids of one
// zone, issued in order, sit in consecutive slots, so a tick that walks the entities in
// spawn order walks the table in order too. Ids chosen to collide (a hostile snapshot:
// every id a multiple of the table's size) would make that quadratic, so an insert that
// probes more than maxProbe slots switches the table to a hash with a per-process random
// seed: lookups cost a hash then, and stay constant time on average. The table's layout
// never changes what the world does, only how fast it finds an entity.
type entityIndex struct {
	slots  []idxSlot // len is 0 or a power of two; id 0 marks a free slot
	n      int       // live entries
	seeded bool      // home slots come from maphash with seed
	seed   maphash.Seed
}

type idxSlot struct {
	id EntityID
	i  int32
}

const (
	idxMinSlots = 64
	// maxProbe is the longest probe an insert accepts before the table switches to a seeded
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
	if len(x.slots) == 0 || id == 0 {
		return 0, false
	}
	mask := len(x.slots) - 1
	for j := x.home(id, mask); ; j = (j + 1) & mask {
		s := &x.slots[j]
		if s.id == id {
			return int(s.i), true
		}
		if s.id == 0 {
			return 0, false
		}
	}
}

// has reports whether id is in the index.
func (x *entityIndex) has(id EntityID) bool {
	_, ok := x.get(id)
	return ok
}

// set records id's position (-1: no entity). id must not be 0.
func (x *entityIndex) set(id EntityID, i int32) {
	if i < 0 {
		x.remove(id)
		return
	}
	if 2*(x.n+1) > len(x.slots) {
		x.resize(max(2*len(x.slots), idxMinSlots))
	}
	mask := len(x.slots) - 1
	j := x.home(id, mask)
	for probe := 0; ; probe++ {
		s := &x.slots[j]
		switch {
		case s.id == id:
			s.i = i
			return
		case s.id == 0:
			*s = idxSlot{id, i}
			x.n++
			return
		case probe == maxProbe && !x.seeded:
			x.seeded, x.seed = true, maphash.MakeSeed() // determinism: the layout only, never the order of anything
			x.resize(len(x.slots))
			x.set(id, i)
			return
		}
		j = (j + 1) & mask
	}
}

// remove drops id, shifting back the entries after it that would otherwise be cut off from
// their home slot (no tombstones), and shrinks the table when it is mostly empty.
func (x *entityIndex) remove(id EntityID) {
	if len(x.slots) == 0 {
		return
	}
	mask := len(x.slots) - 1
	j := x.home(id, mask)
	for x.slots[j].id != id {
		if x.slots[j].id == 0 {
			return
		}
		j = (j + 1) & mask
	}
	for k := (j + 1) & mask; x.slots[k].id != 0; k = (k + 1) & mask {
		// the entry at k may move to the hole at j if its home is not in (j, k]
		if h := x.home(x.slots[k].id, mask); (k-h)&mask >= (k-j)&mask {
			x.slots[j] = x.slots[k]
			j = k
		}
	}
	x.slots[j] = idxSlot{}
	x.n--
	if len(x.slots) > idxMinSlots && 8*x.n < len(x.slots) {
		x.resize(len(x.slots) / 2)
	}
}

// resize moves the entries into a table of size slots (a power of two, more than twice n).
func (x *entityIndex) resize(size int) {
	old := x.slots
	x.slots, x.n = make([]idxSlot, size), 0
	mask := size - 1
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		j := x.home(s.id, mask)
		for x.slots[j].id != 0 {
			j = (j + 1) & mask
		}
		x.slots[j] = s
		x.n++
	}
}

// len returns the number of live entries.
func (x *entityIndex) len() int { return x.n }
