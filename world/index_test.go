package world

import (
	"math/rand/v2"
	"testing"
)

// TestEntityIndexMatchesAMap drives the index and a map with the same random inserts,
// updates and removals, ids of several zones among them, and compares every lookup.
func TestEntityIndexMatchesAMap(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 1))
		var x entityIndex
		ref := map[EntityID]int32{}
		var ids []EntityID
		next := uint64(1)
		for op := range 20_000 {
			switch k := r.IntN(10); {
			case k < 5 || len(ids) == 0:
				id := MakeEntityID(uint16(r.IntN(3)), next)
				next += 1 + uint64(r.IntN(3))
				x.set(id, int32(op))
				ref[id] = int32(op)
				ids = append(ids, id)
			case k < 7:
				id := ids[r.IntN(len(ids))]
				if _, ok := ref[id]; ok {
					x.set(id, int32(op))
					ref[id] = int32(op)
				}
			default:
				j := r.IntN(len(ids))
				id := ids[j]
				x.set(id, -1)
				delete(ref, id)
				ids[j] = ids[len(ids)-1]
				ids = ids[:len(ids)-1]
			}
			if x.len() != len(ref) {
				t.Fatalf("seed %d, op %d: %d entries, want %d", seed, op, x.len(), len(ref))
			}
		}
		for _, id := range ids {
			i, ok := x.get(id)
			if want, live := ref[id]; ok != live || (ok && int32(i) != want) {
				t.Fatalf("seed %d: get(%d) = %d, %v; want %d, %v", seed, id, i, ok, want, live)
			}
		}
		for id := range EntityID(next) {
			if _, ok := x.get(id); ok != hasKey(ref, id) {
				t.Fatalf("seed %d: get(%d) found = %v", seed, id, ok)
			}
		}
	}
}

func hasKey(m map[EntityID]int32, id EntityID) bool { _, ok := m[id]; return ok }

// TestEntityIndexFollowsLiveEntities: memory follows the live entries, not the ids issued.
func TestEntityIndexFollowsLiveEntities(t *testing.T) {
	var x entityIndex
	for id := EntityID(1); id <= 1_000_000; id++ {
		x.set(id, 0)
		if id > 100 {
			x.set(id-100, -1)
		}
	}
	if x.len() != 100 || len(x.slots) > 8*128 {
		t.Fatalf("%d entries in %d slots after a million ids, 100 alive", x.len(), len(x.slots))
	}
	x.set(MakeEntityID(0xffff, MaxEntitySerial), 7) // the largest id costs a slot like any other
	if i, ok := x.get(MakeEntityID(0xffff, MaxEntitySerial)); !ok || i != 7 {
		t.Fatalf("get(max) = %d, %v", i, ok)
	}
}

// TestEntityIndexSurvivesCollidingIDs: ids chosen to share one home slot (every id a
// multiple of the table's size, as a hostile snapshot could choose them) switch the table
// to a seeded hash instead of making inserts quadratic.
func TestEntityIndexSurvivesCollidingIDs(t *testing.T) {
	var x entityIndex
	const n = 200_000
	for k := range EntityID(n) {
		x.set((k+1)<<20, int32(k))
	}
	if !x.seeded {
		t.Fatal("the table did not switch to a seeded hash")
	}
	for k := range EntityID(n) {
		if i, ok := x.get((k + 1) << 20); !ok || i != int(k) {
			t.Fatalf("get(%d) = %d, %v", (k+1)<<20, i, ok)
		}
	}
}

// TestEntityIndexRemovesRunsInConstantTime: removing a run of consecutive ids (they sit in
// consecutive slots), lowest or highest first, and looking up the removed ids costs a few
// probes per id, where scanning to the end of the run on every removal or failed lookup
// cost n²/2 probes.
func TestEntityIndexRemovesRunsInConstantTime(t *testing.T) {
	const n = 100_000
	for _, lowestFirst := range []bool{true, false} {
		var x entityIndex
		for id := EntityID(1); id <= n; id++ {
			x.set(id, int32(id))
		}
		x.probes = 0
		for k := EntityID(1); k <= n; k++ {
			id := k
			if !lowestFirst {
				id = n + 1 - k
			}
			x.set(id, -1)
			if x.has(id) {
				t.Fatalf("lowest first %v: id %d still found after its removal", lowestFirst, id)
			}
		}
		if x.len() != 0 {
			t.Fatalf("lowest first %v: %d entries left", lowestFirst, x.len())
		}
		// per id: two lookups and a cleared slot; the shrinking resizes re-insert fewer
		// than n entries in all
		if x.probes > 6*n {
			t.Fatalf("lowest first %v: %d probes to remove %d consecutive ids, want at most %d",
				lowestFirst, x.probes, n, 6*n)
		}
	}
}
