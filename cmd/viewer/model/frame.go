package model

import (
	"time"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/debugapi"
)

// A Marker is what the map draws for one entity.
type Marker struct {
	ID      world.EntityID
	Pos     world.Vec
	Kind    world.Kind
	Outline Outline
}

// A Frame is what one drawn frame shows of a world: the entity markers and the HUD's
// figures. Capture fills it from a live world between ticks; a debug client fills it from
// a server's answers. A Frame is plain data: the viewer draws it while the world ticks on.
type Frame struct {
	Tick     uint64
	Width    int32 // the map's size, in world units
	Height   int32
	CellSize int32 // the spatial grid's cell size
	Kinds    []string
	Markers  []Marker
	Stats    world.Stats
	Timings  []world.TickTiming // the last ticks' timings, oldest first
	Failures []world.Failure    // the most recent failures, oldest first
}

// Capture fills f from w, reusing f's slices: one Marker per entity, in the world's order.
// It reads w's views (Entities, TaskletOf, Stats, Timings, Failures) and copies 20 bytes
// per entity; call it between ticks. O(entities), no allocation once f's slices have grown.
func (f *Frame) Capture(w *world.World) {
	cfg := w.Config()
	f.Tick, f.Width, f.Height, f.CellSize = w.Now(), cfg.Width, cfg.Height, cfg.CellSize
	f.Kinds = append(f.Kinds[:0], w.Kinds()...)
	ents := w.Entities()
	f.Markers = f.Markers[:0]
	for i := range ents {
		e := &ents[i]
		f.Markers = append(f.Markers, Marker{ID: e.ID, Pos: e.Pos, Kind: e.Kind, Outline: debugapi.EntityOutline(w, e)})
	}
	f.Stats = w.Stats()
	f.Timings = w.Timings(f.Timings[:0])
	f.Failures = append(f.Failures[:0], w.Failures()...)
}

// Find returns the marker of entity id, if the frame has it. O(markers).
func (f *Frame) Find(id world.EntityID) (Marker, bool) {
	for _, m := range f.Markers {
		if m.ID == id {
			return m, true
		}
	}
	return Marker{}, false
}

// Pick returns the entity whose marker covers screen pixel (x, y) under camera c, the one
// nearest the pixel's centre if several do (the first in the world's order on a tie), or
// 0. O(markers).
func (f *Frame) Pick(c Camera, x, y float64) world.EntityID {
	half := c.MarkerPixels()/2 + 1
	best, bestD := world.EntityID(0), 0.0
	for _, m := range f.Markers {
		sx, sy := c.ToScreen(m.Pos)
		dx, dy := sx-x, sy-y
		if dx < -half || dx > half || dy < -half || dy > half {
			continue
		}
		if d := dx*dx + dy*dy; best == 0 || d < bestD {
			best, bestD = m.ID, d
		}
	}
	return best
}

// FromDebug fills f from a frame read from a debug endpoint (checked by
// debugapi.DecodeFrame), reusing f's slices. O(entities).
func (f *Frame) FromDebug(d *debugapi.Frame) {
	f.Tick, f.Width, f.Height, f.CellSize = d.Tick, d.Width, d.Height, d.CellSize
	f.Kinds = append(f.Kinds[:0], d.Kinds...)
	f.Markers = f.Markers[:0]
	for i := 0; i+debugapi.EntityFields <= len(d.Entities); i += debugapi.EntityFields {
		e := d.Entities[i : i+debugapi.EntityFields]
		f.Markers = append(f.Markers, Marker{
			ID: world.EntityID(e[0]), Kind: world.Kind(e[1]), Pos: world.Vec{X: int32(e[2]), Y: int32(e[3])}, Outline: Outline(e[4]),
		})
	}
	f.Stats = world.Stats{Tick: d.Tick, Entities: len(f.Markers), Preempted: d.Preempted, Failures: d.Failed, Dilation: d.Dilation}
	f.Stats.Tasklets = sim.Counts{Runnable: d.Runnable, Blocked: d.Blocked, Sleeping: d.Sleeping, Paused: d.Paused, Watching: d.Watching}
	f.Timings = f.Timings[:0]
	for _, ns := range d.TickNanos {
		f.Timings = append(f.Timings, world.TickTiming{Wall: time.Duration(ns)})
	}
	f.Failures = f.Failures[:0]
	for _, fl := range d.Failures {
		f.Failures = append(f.Failures, world.Failure{Tick: fl.Tick, Tasklet: sim.ID(fl.Tasklet), Entity: world.EntityID(fl.Entity), Err: fl.Err, Stack: fl.Stack})
	}
}
