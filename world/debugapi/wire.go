package debugapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/stackworld/stackworld/world"
)

// Limits of what Decode accepts.
const (
	MaxResponseBytes = 64 << 20  // the most bytes read of one answer
	MaxEntities      = 4_000_000 // entities in a Frame
	MaxKinds         = 1 << 16
	MaxTimings       = 4096
	MaxFailures      = 1024
	MaxLines         = 1 << 16 // lines of an Entity or rows of Tasklets
	MaxTextLen       = 1 << 14 // bytes of one line, kind name or error
	EntityFields     = 5       // numbers per entity in Frame.Entities
)

// A Frame is one picture of the world: what the viewer draws and its HUD shows.
type Frame struct {
	Tick     uint64   `json:"tick"`
	Width    int32    `json:"width"`
	Height   int32    `json:"height"`
	CellSize int32    `json:"cell"`
	Kinds    []string `json:"kinds"`
	// Entities holds EntityFields numbers per entity, in the world's order: id (all 64 bits:
	// a zone of 32768 or more sets the top one), kind, x, y, outline (an Outline).
	Entities  []uint64  `json:"entities"`
	Runnable  int       `json:"runnable"`
	Blocked   int       `json:"blocked"`
	Sleeping  int       `json:"sleeping"`
	Paused    int       `json:"paused"`
	Watching  int       `json:"watching"`
	Preempted uint64    `json:"preempted"`
	Failed    uint64    `json:"failed"`
	Dilation  float64   `json:"dilation"`
	TickNanos []int64   `json:"tick_ns"` // the last ticks' wall times, oldest first
	Failures  []Failure `json:"failures"`
	Stopped   bool      `json:"stopped"` // the server is paused
	Rate      float64   `json:"rate"`
	Control   bool      `json:"control"` // the server takes control requests
	// Waiting is why the next tick has not run (server.Stats.Waiting: a world/cluster
	// LockStep zone waiting at the barrier names the peer zone and the tick); "": it does
	// not wait. TickWaits counts the ticks that waited (server.Stats.TickWaits).
	Waiting   string `json:"waiting,omitempty"`
	TickWaits uint64 `json:"tick_waits"`
}

// A Failure is a tasklet failure as a Frame lists it.
type Failure struct {
	Tick    uint64         `json:"tick"`
	Tasklet uint64         `json:"tasklet"`
	Entity  world.EntityID `json:"entity"`
	Err     string         `json:"err"`
	Stack   string         `json:"stack,omitempty"` // a panic's stack trace
}

// Entity is the inspector's text for one entity, and what the map highlights around it.
type Entity struct {
	ID    world.EntityID `json:"id"`
	Lines []string       `json:"lines"`
	// Interest is the radius of the entity's area of interest (0: none); Neighbours are the
	// entities in it at the end of the last tick, sorted by id (world.World.Visible).
	Interest   int32            `json:"interest"`
	Neighbours []world.EntityID `json:"neighbours"`
}

// Tasklets is the tasklet list.
type Tasklets struct {
	Rows    []TaskletRow `json:"rows"`
	Matched int          `json:"matched"`
}

// decodeLimited decodes one JSON value of at most max bytes from r into v.
func decodeLimited(r io.Reader, max int64, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return fmt.Errorf("debugapi: read: %w", err)
	}
	if int64(len(data)) > max {
		return fmt.Errorf("debugapi: answer longer than %d bytes", max)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("debugapi: decode: %w", err)
	}
	return nil
}

// DecodeFrame reads and checks a Frame: at most MaxResponseBytes, EntityFields numbers per
// entity, ids and positions in range, kinds and outlines known, texts bounded and valid
// UTF-8. A Frame it returns can be drawn without further checks.
func DecodeFrame(r io.Reader) (*Frame, error) { return decodeFrame(r, MaxResponseBytes) }

func decodeFrame(r io.Reader, max int64) (*Frame, error) {
	f := &Frame{}
	if err := decodeLimited(r, max, f); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *Frame) check() error {
	switch {
	case f.Width < 1 || f.Height < 1 || f.Width > 1<<30 || f.Height > 1<<30:
		return fmt.Errorf("debugapi: frame: map size %dx%d out of range [1, 2^30]", f.Width, f.Height)
	case f.CellSize < 1 || f.CellSize > 1<<20:
		return fmt.Errorf("debugapi: frame: cell size %d out of range [1, 2^20]", f.CellSize)
	case len(f.Kinds) > MaxKinds:
		return fmt.Errorf("debugapi: frame: %d kinds, more than %d", len(f.Kinds), MaxKinds)
	case len(f.Entities)%EntityFields != 0:
		return fmt.Errorf("debugapi: frame: %d entity numbers, not a multiple of %d", len(f.Entities), EntityFields)
	case len(f.Entities)/EntityFields > MaxEntities:
		return fmt.Errorf("debugapi: frame: %d entities, more than %d", len(f.Entities)/EntityFields, MaxEntities)
	case len(f.TickNanos) > MaxTimings:
		return fmt.Errorf("debugapi: frame: %d timings, more than %d", len(f.TickNanos), MaxTimings)
	case len(f.Failures) > MaxFailures:
		return fmt.Errorf("debugapi: frame: %d failures, more than %d", len(f.Failures), MaxFailures)
	case f.Runnable < 0 || f.Blocked < 0 || f.Sleeping < 0 || f.Paused < 0 || f.Watching < 0:
		return errors.New("debugapi: frame: a negative tasklet count")
	case !(f.Dilation >= 0 && f.Dilation <= 1) || !(f.Rate >= 0 && f.Rate <= 1e9):
		return fmt.Errorf("debugapi: frame: dilation %g or rate %g out of range", f.Dilation, f.Rate)
	}
	for i, k := range f.Kinds {
		if err := checkText(k); err != nil {
			return fmt.Errorf("debugapi: frame: kind %d: %w", i, err)
		}
	}
	for i := 0; i < len(f.Entities); i += EntityFields {
		id, kind, x, y, o := f.Entities[i], f.Entities[i+1], f.Entities[i+2], f.Entities[i+3], f.Entities[i+4]
		switch {
		case id == 0:
			return fmt.Errorf("debugapi: frame: entity %d: id 0 (ids start at 1)", i/EntityFields)
		case kind >= uint64(max(len(f.Kinds), 1)):
			return fmt.Errorf("debugapi: frame: entity %d: kind %d of %d", id, kind, len(f.Kinds))
		case x >= uint64(f.Width) || y >= uint64(f.Height):
			return fmt.Errorf("debugapi: frame: entity %d: position (%d, %d) outside the %dx%d map", id, x, y, f.Width, f.Height)
		case o >= uint64(NumOutlines):
			return fmt.Errorf("debugapi: frame: entity %d: outline %d unknown", id, o)
		}
	}
	if err := checkText(f.Waiting); err != nil {
		return fmt.Errorf("debugapi: frame: waiting: %w", err)
	}
	for i, fl := range f.Failures {
		if err := checkText(fl.Err); err != nil {
			return fmt.Errorf("debugapi: frame: failure %d: %w", i, err)
		}
		if err := checkText(fl.Stack); err != nil {
			return fmt.Errorf("debugapi: frame: failure %d: stack: %w", i, err)
		}
	}
	return nil
}

func checkText(s string) error {
	if len(s) > MaxTextLen {
		return fmt.Errorf("text of %d bytes, more than %d", len(s), MaxTextLen)
	}
	if !utf8.ValidString(s) {
		return errors.New("text is not valid UTF-8")
	}
	return nil
}

func checkLines(ls []string) error {
	if len(ls) > MaxLines {
		return fmt.Errorf("%d lines, more than %d", len(ls), MaxLines)
	}
	for i, l := range ls {
		if err := checkText(l); err != nil {
			return fmt.Errorf("line %d: %w", i, err)
		}
	}
	return nil
}

// DecodeEntity reads and checks an Entity answer.
func DecodeEntity(r io.Reader) (*Entity, error) {
	e := &Entity{}
	if err := decodeLimited(r, MaxResponseBytes, e); err != nil {
		return nil, err
	}
	if err := checkLines(e.Lines); err != nil {
		return nil, fmt.Errorf("debugapi: entity %d: %w", e.ID, err)
	}
	if err := e.checkInterest(); err != nil {
		return nil, fmt.Errorf("debugapi: entity %d: %w", e.ID, err)
	}
	return e, nil
}

// checkInterest checks the area of interest: a radius that is not negative, at most
// MaxEntities neighbours, ids in increasing order (so none twice) and none the entity's own.
func (e *Entity) checkInterest() error {
	switch {
	case e.ID == 0:
		return errors.New("id 0 (ids start at 1)")
	case e.Interest < 0:
		return fmt.Errorf("interest radius %d is negative", e.Interest)
	case len(e.Neighbours) > MaxEntities:
		return fmt.Errorf("%d neighbours, more than %d", len(e.Neighbours), MaxEntities)
	}
	prev := world.EntityID(0)
	for i, id := range e.Neighbours {
		switch {
		case id <= prev:
			return fmt.Errorf("neighbour %d: id %d not above the one before (%d): want ids sorted, each once, none 0", i, id, prev)
		case id == e.ID:
			return fmt.Errorf("neighbour %d: the entity itself", i)
		}
		prev = id
	}
	return nil
}

// DecodeTasklets reads and checks a Tasklets answer.
func DecodeTasklets(r io.Reader) (*Tasklets, error) {
	t := &Tasklets{}
	if err := decodeLimited(r, MaxResponseBytes, t); err != nil {
		return nil, err
	}
	if len(t.Rows) > MaxLines || t.Matched < 0 {
		return nil, fmt.Errorf("debugapi: tasklets: %d rows, %d matched: out of range", len(t.Rows), t.Matched)
	}
	for i, r := range t.Rows {
		if r.Outline >= NumOutlines {
			return nil, fmt.Errorf("debugapi: tasklets: row %d: outline %d unknown", i, r.Outline)
		}
		if err := checkText(r.Text); err != nil {
			return nil, fmt.Errorf("debugapi: tasklets: row %d: %w", i, err)
		}
	}
	return t, nil
}
