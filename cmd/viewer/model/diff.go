package model

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/debugapi"
)

// A Change is one entity or tasklet that differs between two worlds.
type Change struct {
	Entity  world.EntityID // the entity, or the entity the tasklet drives (0: none)
	Tasklet sim.ID         // the tasklet, for a tasklet's change
	What    string         // "added", "removed" or "changed"
	Fields  []string       // for "changed": "field: a -> b", one per field that differs
}

// A Diff is what differs between world A and world B: entities by id (their records and
// components), then tasklets by id (state, frames with their types, resume points and
// fields). Ids present in both are compared; the rest are added or removed.
type Diff struct {
	TickA, TickB uint64
	Entities     []Change // by entity id
	Tasklets     []Change // by tasklet id
}

// Compare returns the differences from a to b. Call it between ticks of both.
// O(entities + tasklets + frames) with a few allocations per change.
func Compare(a, b *world.World) *Diff {
	d := &Diff{TickA: a.Now(), TickB: b.Now()}
	d.Entities = compareEntities(a, b)
	d.Tasklets = compareTasklets(a, b)
	return d
}

// Differ returns the ids of the entities that changed or were added, and of those whose
// tasklet changed, sorted: the entities to highlight in b.
func (d *Diff) Differ() []world.EntityID {
	var ids []world.EntityID
	for _, c := range append(slices.Clip(d.Entities), d.Tasklets...) {
		if c.Entity != 0 && c.What != "removed" {
			ids = append(ids, c.Entity)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Lines returns the diff as text: a heading, then one line per change with its fields
// indented below it.
func (d *Diff) Lines() []string {
	lines := []string{fmt.Sprintf("diff tick %d -> tick %d: %d entities and %d tasklets differ", d.TickA, d.TickB, len(d.Entities), len(d.Tasklets))}
	for _, c := range d.Entities {
		lines = append(lines, fmt.Sprintf("entity %d %s", c.Entity, c.What))
		for _, f := range c.Fields {
			lines = append(lines, "  "+f)
		}
	}
	for _, c := range d.Tasklets {
		lines = append(lines, fmt.Sprintf("tasklet %d (entity %d) %s", c.Tasklet, c.Entity, c.What))
		for _, f := range c.Fields {
			lines = append(lines, "  "+f)
		}
	}
	return lines
}

// For returns the changes that concern entity id (its record, its tasklet).
func (d *Diff) For(id world.EntityID) []Change {
	var out []Change
	for _, c := range append(slices.Clip(d.Entities), d.Tasklets...) {
		if c.Entity == id {
			out = append(out, c)
		}
	}
	return out
}

func compareEntities(a, b *world.World) []Change {
	ca, cb := componentsByEntity(a), componentsByEntity(b)
	ea, eb := sortedEntities(a), sortedEntities(b)
	var out []Change
	i, j := 0, 0
	for i < len(ea) || j < len(eb) {
		switch {
		case j == len(eb) || (i < len(ea) && ea[i].ID < eb[j].ID):
			out = append(out, Change{Entity: ea[i].ID, What: "removed"})
			i++
		case i == len(ea) || eb[j].ID < ea[i].ID:
			out = append(out, Change{Entity: eb[j].ID, What: "added"})
			j++
		default:
			fs := entityFields(a, b, ea[i], eb[j])
			fs = append(fs, diffStrings("component ", ca[ea[i].ID], cb[eb[j].ID])...)
			if len(fs) > 0 {
				out = append(out, Change{Entity: ea[i].ID, What: "changed", Fields: fs})
			}
			i, j = i+1, j+1
		}
	}
	return out
}

func sortedEntities(w *world.World) []world.Entity {
	es := slices.Clone(w.Entities())
	slices.SortFunc(es, func(x, y world.Entity) int { return cmp.Compare(x.ID, y.ID) })
	return es
}

// entityFields lists the fields of an entity's record that differ.
func entityFields(a, b *world.World, x, y world.Entity) []string {
	var fs []string
	add := func(name string, u, v any) {
		if u != v {
			fs = append(fs, fmt.Sprintf("%s: %v -> %v", name, u, v))
		}
	}
	add("kind", a.KindName(x.Kind), b.KindName(y.Kind))
	add("state", x.State, y.State)
	add("pos", x.Pos, y.Pos)
	add("vel", x.Vel, y.Vel)
	add("interest", x.Interest, y.Interest)
	add("tasklet", x.Tasklet, y.Tasklet)
	add("notify", x.Notify, y.Notify)
	return fs
}

// componentsByEntity returns "name = value" lines per entity, by component name.
func componentsByEntity(w *world.World) map[world.EntityID][]string {
	out := map[world.EntityID][]string{}
	st, err := w.Snapshot()
	if err != nil {
		return out
	}
	for _, cs := range st.Components {
		for i, id := range cs.IDs {
			out[id] = append(out[id], cs.Name+" = "+debugapi.FormatValue(cs.Values[i]))
		}
	}
	return out
}

// diffStrings compares two lists of "key = value" lines by position and reports the
// lines that differ as "prefix a -> b".
func diffStrings(prefix string, a, b []string) []string {
	var fs []string
	for k := range max(len(a), len(b)) {
		var u, v string
		if k < len(a) {
			u = a[k]
		}
		if k < len(b) {
			v = b[k]
		}
		if u != v {
			fs = append(fs, fmt.Sprintf("%s%s -> %s", prefix, orNone(u), orNone(v)))
		}
	}
	return fs
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// taskletInfo is what Compare compares of a tasklet.
type taskletInfo struct {
	id     sim.ID
	entity world.EntityID
	lines  []string // "state ...", then per frame "frame i type pc", then its fields
}

func taskletInfos(w *world.World) []taskletInfo {
	byTasklet := map[sim.ID]world.EntityID{}
	for _, e := range w.Entities() {
		if e.Tasklet != 0 {
			byTasklet[e.Tasklet] = e.ID
		}
	}
	var out []taskletInfo
	w.Tasklets(sim.AllStates, func(t *sim.Tasklet) bool {
		if t.IsMain() {
			return true
		}
		ti := taskletInfo{id: t.ID(), entity: byTasklet[t.ID()]}
		ti.lines = append(ti.lines, "state = "+t.State().String())
		if t.State() == sim.StateBlocked {
			ti.lines = append(ti.lines, fmt.Sprintf("channel = %d", t.BlockedOn()))
		}
		for i, fi := range world.FrameStack(nil, t) {
			ti.lines = append(ti.lines, fmt.Sprintf("frame %d = %s at %q (pc %d)", i, fi.Type, fi.PCName, fi.PC))
			for _, f := range debugapi.Fields(fi.Frame) {
				ti.lines = append(ti.lines, fmt.Sprintf("frame %d %s", i, f))
			}
		}
		out = append(out, ti)
		return true
	})
	slices.SortFunc(out, func(x, y taskletInfo) int { return cmp.Compare(x.id, y.id) })
	return out
}

func compareTasklets(a, b *world.World) []Change {
	ta, tb := taskletInfos(a), taskletInfos(b)
	var out []Change
	i, j := 0, 0
	for i < len(ta) || j < len(tb) {
		switch {
		case j == len(tb) || (i < len(ta) && ta[i].id < tb[j].id):
			out = append(out, Change{Tasklet: ta[i].id, Entity: ta[i].entity, What: "removed"})
			i++
		case i == len(ta) || tb[j].id < ta[i].id:
			out = append(out, Change{Tasklet: tb[j].id, Entity: tb[j].entity, What: "added"})
			j++
		default:
			if fs := diffStrings("", ta[i].lines, tb[j].lines); len(fs) > 0 {
				out = append(out, Change{Tasklet: ta[i].id, Entity: tb[j].entity, What: "changed", Fields: fs})
			}
			i, j = i+1, j+1
		}
	}
	return out
}
