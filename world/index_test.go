package world

import "testing"

// TestEntityIndexIsPaged: a huge id costs one page, not an index up to it (a hostile
// snapshot could otherwise claim gigabytes with one entity).
func TestEntityIndexIsPaged(t *testing.T) {
	var x entityIndex
	x.set(3, 0)
	x.set(MaxEntityID, 1)
	if i, ok := x.get(3); !ok || i != 0 {
		t.Fatalf("get(3) = %d, %v; want 0, true", i, ok)
	}
	if i, ok := x.get(MaxEntityID); !ok || i != 1 {
		t.Fatalf("get(max) = %d, %v; want 1, true", i, ok)
	}
	for _, id := range []EntityID{0, 4, 1 << 20, MaxEntityID - 1} {
		if _, ok := x.get(id); ok {
			t.Fatalf("get(%d) found an entity", id)
		}
	}
	pages := 0
	for _, p := range x.pages {
		if p != nil {
			pages++
		}
	}
	if pages != 2 {
		t.Fatalf("%d pages allocated, want 2", pages)
	}
	x.set(3, -1)
	if _, ok := x.get(3); ok {
		t.Fatal("id 3 still found after removal")
	}
	x.set(5<<idxPageBits, -1) // removing an id on an unallocated page allocates nothing
	if x.pages[5] != nil {
		t.Fatal("removal allocated a page")
	}
}
