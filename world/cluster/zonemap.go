package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world"
)

// ZoneMap says which zone owns which region. The map is cut into Regions vertical strips
// of equal width: region r holds x in [r·Width/Regions, (r+1)·Width/Regions). It lives in
// ZonesBucket under key "map", versioned by the key's revision; a zone claims its region
// with a compare-and-set.
type ZoneMap struct {
	Width   int32    `json:"width"`
	Regions []string `json:"regions"` // zone name by region; "" while no zone holds it
}

// MaxRegions bounds the number of regions.
const MaxRegions = 1024

// RegionOf returns the region that holds x.
func (m *ZoneMap) RegionOf(x int32) int {
	n := int64(len(m.Regions))
	r := int64(max(x, 0)) * n / int64(max(m.Width, 1))
	return int(min(r, n-1))
}

// ZoneAt returns the zone that owns the region holding x ("" if none does).
func (m *ZoneMap) ZoneAt(x int32) string { return m.Regions[m.RegionOf(x)] }

// claimRegion sets region r of the shared map to zone name (creating the map with n
// regions if there is none) and returns the map. It fails if another zone holds r.
func claimRegion(ctx context.Context, kv jetstream.KeyValue, name string, r, n int, width int32) (*ZoneMap, uint64, error) {
	if n < 1 || n > MaxRegions || r < 0 || r >= n {
		return nil, 0, fmt.Errorf("cluster: region %d of %d out of range (at most %d regions)", r, n, MaxRegions)
	}
	for range 100 { // compare-and-set loop: other zones claim at the same time
		m := &ZoneMap{Width: width, Regions: make([]string, n)}
		var rev uint64
		e, err := kv.Get(ctx, "map")
		switch {
		case err == nil:
			if err := json.Unmarshal(e.Value(), m); err != nil || len(m.Regions) == 0 || len(m.Regions) > MaxRegions {
				return nil, 0, fmt.Errorf("cluster: zone map in %s is unreadable: %q", ZonesBucket, e.Value())
			}
			rev = e.Revision()
		case !errors.Is(err, jetstream.ErrKeyNotFound):
			return nil, 0, fmt.Errorf("cluster: zone map: %w", err)
		}
		if len(m.Regions) != n || m.Width != width {
			return nil, 0, fmt.Errorf("cluster: the zone map has %d regions over width %d; this zone was started with %d over %d", len(m.Regions), m.Width, n, width)
		}
		if cur := m.Regions[r]; cur != "" && cur != name {
			return nil, 0, fmt.Errorf("cluster: region %d is held by zone %q", r, cur)
		}
		m.Regions[r] = name
		b, _ := json.Marshal(m)
		if rev, err = kv.Update(ctx, "map", b, rev); err == nil {
			return m, rev, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, 0, fmt.Errorf("cluster: zone map: %w", err)
		}
	}
	return nil, 0, errors.New("cluster: zone map: too many concurrent claims")
}

// regionOf is the region of an entity's position.
func regionOf(m *ZoneMap, e *world.Entity) int { return m.RegionOf(e.Pos.X) }

// takeMap makes the zone map of entry e the zone's when it follows from the current one by
// claims only (a region that no zone held gets one). Anything else (not a map, a deleted
// map, another width or number of regions, a region taken from its zone) is refused: the
// zone keeps its map and logs what is wrong and the map to put back, once per revision.
func (z *Zone) takeMap(e jetstream.KeyValueEntry) {
	cur := z.zmap.Load()
	if err := mapFollows(cur, e); err != nil {
		if z.mapRefused.Swap(e.Revision()) != e.Revision() {
			good, _ := json.Marshal(cur)
			z.log.Error("cluster: zone map refused", "revision", e.Revision(), "err", err,
				"put_back", fmt.Sprintf("nats kv put %s map '%s'", ZonesBucket, good))
		}
		return
	}
	var m ZoneMap
	_ = json.Unmarshal(e.Value(), &m) // checked by mapFollows
	z.zmap.Store(&m)
}

// mapFollows checks that the map of entry e differs from cur by claims only.
func mapFollows(cur *ZoneMap, e jetstream.KeyValueEntry) error {
	if e.Operation() != jetstream.KeyValuePut {
		return fmt.Errorf("key map of %s was deleted", ZonesBucket)
	}
	var m ZoneMap
	if err := json.Unmarshal(e.Value(), &m); err != nil {
		return fmt.Errorf("not a zone map (JSON {\"width\":W,\"regions\":[names]}): %w", err)
	}
	if m.Width != cur.Width || len(m.Regions) != len(cur.Regions) {
		return fmt.Errorf("%d regions over width %d; the zones run %d over %d", len(m.Regions), m.Width, len(cur.Regions), cur.Width)
	}
	for r, name := range m.Regions {
		switch old := cur.Regions[r]; {
		case name == old:
		case old != "":
			return fmt.Errorf("region %d is zone %q's, not %q", r, old, name)
		case !zoneName.MatchString(name):
			return fmt.Errorf("region %d: zone name %q: use 1 to 32 of a-z, 0-9, _ and -", r, name)
		}
	}
	return nil
}
