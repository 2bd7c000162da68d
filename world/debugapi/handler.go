package debugapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// Prefix is where the handler's paths live.
const Prefix = "/debug/world/"

// doTimeout bounds how long a request waits for a tick boundary.
const doTimeout = 5 * time.Second

// A Runtime is what the handler needs of the server running the world
// (*server.Server is one).
type Runtime interface {
	Do(ctx context.Context, f func(w *world.World)) error
	Pause()
	Resume()
	Step(n uint64)
	SetRate(ticksPerSecond float64) error
	Stats() server.Stats
}

// Options configure the handler. The zero value serves read-only views.
type Options struct {
	// Control lets clients pause, resume, step and pace the world (POST control).
	Control bool
}

// handler serves the debug endpoint.
type handler struct {
	rt  Runtime
	o   Options
	mux *http.ServeMux
}

// NewHandler returns the debug endpoint's handler for the world rt runs; mount it at
// Prefix. Every view is read on the world's goroutine between ticks (Runtime.Do) and costs
// O(entities) for a frame, O(entities) for an entity's inspector (its components) and
// O(tasklets + entities) for the tasklet list. Safe for concurrent use.
func NewHandler(rt Runtime, o Options) http.Handler {
	h := &handler{rt: rt, o: o, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+Prefix+"frame", h.frame)
	h.mux.HandleFunc("GET "+Prefix+"entity", h.entity)
	h.mux.HandleFunc("GET "+Prefix+"tasklets", h.tasklets)
	h.mux.HandleFunc("POST "+Prefix+"control", h.control)
	return h.mux
}

// view runs f between ticks, bounded by doTimeout and the request's context.
func (h *handler) view(r *http.Request, f func(w *world.World)) error {
	ctx, cancel := context.WithTimeout(r.Context(), doTimeout)
	defer cancel()
	return h.rt.Do(ctx, f)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		return // the client went away: nothing to tell it
	}
}

func fail(w http.ResponseWriter, code int, err error) {
	http.Error(w, err.Error(), code)
}

func (h *handler) frame(w http.ResponseWriter, r *http.Request) {
	f := &Frame{}
	if err := h.view(r, func(wd *world.World) { FillFrame(f, wd) }); err != nil {
		fail(w, http.StatusServiceUnavailable, err)
		return
	}
	st := h.rt.Stats()
	f.Stopped, f.Rate, f.Control = st.Paused, st.Rate, h.o.Control
	f.Waiting, f.TickWaits = clipText(st.Waiting), st.TickWaits
	writeJSON(w, f)
}

// FillFrame fills f from w's views, between ticks: O(entities).
func FillFrame(f *Frame, w *world.World) {
	cfg := w.Config()
	st := w.Stats()
	f.Tick, f.Width, f.Height, f.CellSize = w.Now(), cfg.Width, cfg.Height, cfg.CellSize
	f.Kinds = append(f.Kinds[:0], w.Kinds()...)
	ents := w.Entities()
	f.Entities = f.Entities[:0]
	for i := range ents {
		e := &ents[i]
		// positions lie in [0, Width) × [0, Height): the conversions lose nothing
		f.Entities = append(f.Entities, uint64(e.ID), uint64(e.Kind), uint64(e.Pos.X), uint64(e.Pos.Y), uint64(EntityOutline(w, e)))
	}
	c := st.Tasklets
	f.Runnable, f.Blocked, f.Sleeping, f.Paused, f.Watching = c.Runnable, c.Blocked, c.Sleeping, c.Paused, c.Watching
	f.Preempted, f.Failed, f.Dilation = st.Preempted, st.Failures, st.Dilation
	f.TickNanos = f.TickNanos[:0]
	for _, t := range w.Timings(nil) {
		f.TickNanos = append(f.TickNanos, int64(t.Wall))
	}
	f.Failures = f.Failures[:0]
	for _, fl := range w.Failures() {
		f.Failures = append(f.Failures, Failure{Tick: fl.Tick, Tasklet: uint64(fl.Tasklet), Entity: fl.Entity,
			Err: clipText(fl.Err), Stack: clipText(fl.Stack)})
	}
}

func (h *handler) entity(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.URL.Query().Get("id"), 10, 64)
	if err != nil || id == 0 {
		fail(w, http.StatusBadRequest, fmt.Errorf("debugapi: entity: want ?id=N with N an entity id (1 to 2^64-1)"))
		return
	}
	e := &Entity{ID: world.EntityID(id)}
	if err := h.view(r, func(wd *world.World) { e.fill(wd, world.EntityID(id)) }); err != nil {
		fail(w, http.StatusServiceUnavailable, err)
		return
	}
	writeJSON(w, e)
}

// fill fills e for entity id of w, between ticks: the inspector's lines, and its area of
// interest with the entities in it at the end of the last tick (world.World.Visible).
func (e *Entity) fill(w *world.World, id world.EntityID) {
	e.Lines = clip(InspectEntity(w, id))
	if ent := w.Entity(id); ent != nil {
		e.Interest = ent.Interest
		e.Neighbours = append(e.Neighbours[:0], w.Visible(id)...)
	}
}

// clipText bounds s to what Decode accepts (MaxTextLen bytes, valid UTF-8).
func clipText(s string) string {
	if len(s) > MaxTextLen {
		s = s[:MaxTextLen]
	}
	return strings.ToValidUTF8(s, "?")
}

// clip bounds lines to what DecodeEntity accepts.
func clip(ls []string) []string {
	if len(ls) > MaxLines {
		ls = ls[:MaxLines]
	}
	for i, l := range ls {
		ls[i] = clipText(l)
	}
	return ls
}

func (h *handler) tasklets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state, all := OutlineNone, true
	if s := q.Get("state"); s != "" {
		var ok bool
		if state, ok = ParseOutline(s); !ok {
			fail(w, http.StatusBadRequest, fmt.Errorf("debugapi: tasklets: state %q: want none, runnable, blocked, sleeping, paused or failed", s))
			return
		}
		all = false
	}
	t := &Tasklets{}
	if err := h.view(r, func(wd *world.World) { t.Rows, t.Matched = ListTasklets(wd, state, all, q.Get("q")) }); err != nil {
		fail(w, http.StatusServiceUnavailable, err)
		return
	}
	writeJSON(w, t)
}

// MaxStep is the most ticks one step request runs.
const MaxStep = 10_000

func (h *handler) control(w http.ResponseWriter, r *http.Request) {
	if !h.o.Control {
		fail(w, http.StatusForbidden, errors.New("debugapi: control is off: start the server with --debug-control to pause and step it from a viewer"))
		return
	}
	q := r.URL.Query()
	switch op := q.Get("op"); op {
	case "pause":
		h.rt.Pause()
	case "resume":
		h.rt.Resume()
	case "step":
		n, err := strconv.ParseUint(q.Get("n"), 10, 32)
		if err != nil || n < 1 || n > MaxStep {
			fail(w, http.StatusBadRequest, fmt.Errorf("debugapi: step: want n in [1, %d]", MaxStep))
			return
		}
		h.rt.Pause()
		h.rt.Step(n)
	case "rate":
		rate, err := strconv.ParseFloat(q.Get("r"), 64)
		if err == nil {
			err = h.rt.SetRate(rate)
		}
		if err != nil {
			fail(w, http.StatusBadRequest, fmt.Errorf("debugapi: rate: want r in [0, %g] ticks per second (0: as fast as possible): %w", server.MaxRate, err))
			return
		}
	default:
		fail(w, http.StatusBadRequest, fmt.Errorf("debugapi: control: op %q: want pause, resume, step or rate", op))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
