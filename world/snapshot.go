package world

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"math/rand/v2"
	"slices"
	"unsafe"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// SnapshotVersion is the version of the Snapshot layout. Change it only with an upgrade.
const SnapshotVersion = 1

// Snapshot is everything of a world but its scheduler, as plain data: what a snapshot saves in
// its "world" section beside the scheduler's image. References are ids. Entity fields are
// columns (one slice per field, in the world's order), which encode compactly.
type Snapshot struct {
	Version    uint32
	Width      int32
	Height     int32
	CellSize   int32
	TickBudget uint32 // steps per tasklet per tick: it decides pre-emptions, so it is state
	RNG        []byte // math/rand/v2 PCG state (MarshalBinary)
	NextEntity EntityID
	Seq        uint64
	Failed     uint64
	Kinds      []string
	Entities   EntityColumns
	Components []ComponentSnapshot // by name
	Channels   []NamedChannel      // by name
	Mailboxes  []MailboxSnapshot   // in creation order
	Monitors   []MonitorSnapshot   // by tasklet id
	// Index is the spatial index and the areas of interest as the last tick left them. It is
	// saved only when the main program changed entities since that tick ended (otherwise a
	// load recomputes the same index from the entities).
	Index *IndexSnapshot `cbor:",omitempty"`
	// InterestCap is Config.InterestCap (0: no cap), or InterestCapNotSaved in a save
	// written before the cap was saved (world schema 1): then the loading config's applies.
	InterestCap int32
}

// InterestCapNotSaved is Snapshot.InterestCap of a save that did not record the cap (world
// schema 1, upgraded): Restore takes the cap from the config, as those saves required.
const InterestCapNotSaved = -1

// EntityColumns holds entity fields column by column; all slices have the same length.
type EntityColumns struct {
	ID       []EntityID
	Kind     []Kind
	State    []uint16
	X, Y     []int32
	VX, VY   []int32
	Interest []int32
	Tasklet  []sim.ID
	Notify   []sim.ChanID
}

// ComponentSnapshot is one component's values, by entity id.
type ComponentSnapshot struct {
	Name   string
	IDs    []EntityID
	Values []any
}

// NamedChannel is a named channel.
type NamedChannel struct {
	Name string
	ID   sim.ChanID
}

// MailboxSnapshot is a mailbox and its queued messages, oldest first.
type MailboxSnapshot struct {
	ID     sim.ChanID
	Owner  EntityID
	Name   string
	Values []any
}

// MonitorSnapshot says that mailbox Mailbox receives an Exit when Tasklet fails.
type MonitorSnapshot struct {
	Tasklet sim.ID
	Mailbox sim.ChanID
}

// IndexState is the spatial index's items and each watcher's visible set.
type IndexSnapshot struct {
	Items    []GridItem
	Watchers []WatcherSnapshot
	Died     int
}

// WatcherState is one entity's area-of-interest set.
type WatcherSnapshot struct {
	ID  EntityID
	Set []EntityID
}

// Snapshot returns the world's state as plain data (the values in it are the live ones: encode
// it before the world runs again). Call it from the main program between ticks.
func (w *World) Snapshot() (*Snapshot, error) {
	st, err := w.snapshotHead()
	if err != nil {
		return nil, err
	}
	st.Entities = entityColumns(w.ents)
	w.addComponents(st)
	w.addMailboxes(st)
	st.Monitors = monitorRows(w.liveMonitors(), w.monitor)
	st.Index = w.indexSnapshot()
	return st, nil
}

// snapshotHead returns a Snapshot holding the world's scalars, kinds, RNG state and named
// channels, or an error if called from a running tasklet.
func (w *World) snapshotHead() (*Snapshot, error) {
	if w.s.Current() != w.s.Main() {
		return nil, errors.New("world: save: called from a running tasklet; save between ticks")
	}
	rng, err := w.pcg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("world: save: rng: %w", err)
	}
	st := &Snapshot{
		Version: SnapshotVersion, Width: w.cfg.Width, Height: w.cfg.Height, CellSize: w.cfg.CellSize, TickBudget: w.cfg.TickBudget,
		RNG: rng, NextEntity: w.nextID, Seq: w.seq, Failed: w.failed, Kinds: slices.Clone(w.kinds),
		InterestCap: w.cfg.InterestCap,
	}
	for _, name := range w.channelNames() {
		st.Channels = append(st.Channels, NamedChannel{Name: name, ID: w.names[name]})
	}
	return st, nil
}

// monitorRows returns the saved monitors of the tasklets ids (sorted, each in monitors):
// nil for none, as a world with no monitors saves.
func monitorRows(ids []sim.ID, monitors map[sim.ID]sim.ChanID) []MonitorSnapshot {
	var rows []MonitorSnapshot
	for _, id := range ids {
		rows = append(rows, MonitorSnapshot{Tasklet: id, Mailbox: monitors[id]})
	}
	return rows
}

// entityColumns returns the entities' fields column by column.
func entityColumns(ents []Entity) EntityColumns {
	n := len(ents)
	c := EntityColumns{
		ID: make([]EntityID, n), Kind: make([]Kind, n), State: make([]uint16, n),
		X: make([]int32, n), Y: make([]int32, n), VX: make([]int32, n), VY: make([]int32, n),
		Interest: make([]int32, n), Tasklet: make([]sim.ID, n), Notify: make([]sim.ChanID, n),
	}
	for i, e := range ents {
		c.ID[i], c.Kind[i], c.State[i] = e.ID, e.Kind, e.State
		c.X[i], c.Y[i], c.VX[i], c.VY[i] = e.Pos.X, e.Pos.Y, e.Vel.X, e.Vel.Y
		c.Interest[i], c.Tasklet[i], c.Notify[i] = e.Interest, e.Tasklet, e.Notify
	}
	return c
}

// addComponents adds the components' live values to st, by name.
func (w *World) addComponents(st *Snapshot) {
	for _, name := range w.componentNames() {
		cs := w.comps[name].save()
		if len(cs.IDs) == 0 {
			continue
		}
		cs.Name = name
		st.Components = append(st.Components, cs)
	}
}

// addMailboxes adds the mailboxes and their live values to st, in creation order.
func (w *World) addMailboxes(st *Snapshot) {
	if len(w.mailIDs) > 0 { // none stays nil, as saves have it
		st.Mailboxes = make([]MailboxSnapshot, 0, len(w.mailIDs)) // often one per entity: grown, it would copy them log n times
	}
	for _, id := range w.mailIDs {
		q := w.mail[id]
		st.Mailboxes = append(st.Mailboxes, MailboxSnapshot{ID: id, Owner: q.Owner(), Name: q.Name(), Values: q.values()})
	}
}

// indexSnapshot returns the spatial index and the areas of interest if the main program
// changed entities since the last tick ended (see Snapshot.Index), else nil.
func (w *World) indexSnapshot() *IndexSnapshot {
	if !w.dirty {
		return nil
	}
	ix := &IndexSnapshot{Items: slices.Clone(w.grid.items), Died: w.died}
	for k := range w.watchers {
		wt := &w.watchers[k]
		ix.Watchers = append(ix.Watchers, WatcherSnapshot{ID: wt.id, Set: wt.appendVisible(nil)})
	}
	return ix
}

// Restore returns a world made of s, a scheduler restored from a snapshot (sim.Scheduler
// Restore, persist.Load), and st, the world section of the same snapshot. cfg gives what is
// not saved (clock, budgets, logger); its map size, cell size, TickBudget (which decides
// pre-emptions), InterestCap (which decides what entities see) and Zone must be zero or
// equal the saved ones (to change the cap of a loaded world on purpose, call
// SetInterestCap). A save written before the cap was saved takes the config's cap.
//
// st is untrusted input (a file, another process's migration): Restore checks every id and
// reference in it against the others and against s before it builds anything (see
// checkSnapshot), and refuses what a world never writes with an error naming the object.
// Then it asks every frame that is a Validator, and converts the messages of each mailbox
// whose type it can tell, refusing one that does not fit (see mailboxQueues). Beyond what
// s and st hold, it allocates the entity table and index (about 60 bytes per entity), the
// areas of interest and the spatial grid (4 bytes per cell: at most MaxLoadGridCells plus
// LoadGridCellsPerEntity per saved entity, unless cfg names the map).
func Restore(s *sim.Scheduler, st *Snapshot, cfg Config) (*World, error) {
	if st == nil {
		return nil, errors.New("world: load: no world section")
	}
	if st.Version != SnapshotVersion {
		return nil, fmt.Errorf("world: load: world section version %d, want %d", st.Version, SnapshotVersion)
	}
	cfg, err := restoredConfig(st, cfg)
	if err != nil {
		return nil, err
	}
	chk, err := checkSnapshot(s, st)
	if err != nil {
		return nil, err
	}
	if err := validateFrames(s); err != nil {
		return nil, err
	}
	queues, err := chk.mailboxQueues()
	if err != nil {
		return nil, fmt.Errorf("world: load: %s: %w", sectionWhere, err)
	}
	pcg := &rand.PCG{}
	if err := pcg.UnmarshalBinary(st.RNG); err != nil {
		return nil, fmt.Errorf("world: load: %s: rng state: %w", sectionWhere, err)
	}
	s.SetTickBudget(cfg.TickBudget)
	w := newWorld(cfg, s)
	w.pcg, w.rand = pcg, rand.New(pcg)
	w.nextID, w.seq, w.failed = st.NextEntity, st.Seq, st.Failed
	for _, k := range st.Kinds {
		w.Kind(k)
	}
	w.restoreEntities(&st.Entities, chk)
	w.comps = chk.stores
	for _, nc := range st.Channels {
		w.names[nc.Name] = nc.ID
	}
	for i, m := range st.Mailboxes {
		w.setMail(m.ID, queues[i])
	}
	for _, m := range st.Monitors {
		w.monitor[m.Tasklet] = m.Mailbox
	}
	if ix := st.Index; ix != nil {
		w.restoreIndex(ix)
	} else {
		w.endTick(false)
	}
	return w, nil
}

// Limits of the spatial grid a load builds, so that a small snapshot cannot make it
// allocate what its map merely claims (the grid takes 4 bytes per cell).
const (
	// MaxLoadGridCells is the most grid cells Restore builds whatever the snapshot holds
	// (1 MiB of grid): a 16384×16384 map with cells of 32.
	MaxLoadGridCells = 1 << 18
	// LoadGridCellsPerEntity is how many more cells Restore builds per saved entity. A
	// map with more cells loads when the config names it (Width, Height and CellSize set
	// to the saved values).
	LoadGridCellsPerEntity = 16
)

// gridCells returns the number of cells of the spatial grid of a width×height map.
func gridCells(width, height, cellSize int32) int {
	return int((width+cellSize-1)/cellSize) * int((height+cellSize-1)/cellSize)
}

// restoredConfig returns cfg with the saved map, budget, zone and interest cap, or an error
// if cfg sets them otherwise, they are out of range, or the map's grid has more cells than
// a load builds for the saved entities (MaxLoadGridCells) and cfg does not name the map.
func restoredConfig(st *Snapshot, cfg Config) (Config, error) {
	for _, g := range []struct {
		name      string
		cfg, save int64
	}{{"width", int64(cfg.Width), int64(st.Width)}, {"height", int64(cfg.Height), int64(st.Height)},
		{"cell size", int64(cfg.CellSize), int64(st.CellSize)}, {"tick budget", int64(cfg.TickBudget), int64(st.TickBudget)},
		{"zone", int64(cfg.Zone), int64(st.NextEntity.Zone())}, {"interest cap", int64(cfg.InterestCap), int64(st.InterestCap)}} {
		if g.cfg != 0 && g.cfg != g.save && !(g.name == "interest cap" && g.save == InterestCapNotSaved) {
			return cfg, fmt.Errorf("world: load: config %s %d differs from the saved %d (leave it 0 to use the saved one)", g.name, g.cfg, g.save)
		}
	}
	if st.TickBudget == 0 || st.TickBudget > 1<<30 {
		return cfg, fmt.Errorf("world: load: %s: tick budget %d out of range [1, 2^30]", sectionWhere, st.TickBudget)
	}
	named := cfg.Width != 0 && cfg.Height != 0 && cfg.CellSize != 0 // equal to the saved ones: checked above
	if st.InterestCap != InterestCapNotSaved {
		if st.InterestCap < 0 || st.InterestCap > MaxInterestCap {
			return cfg, fmt.Errorf("world: load: %s: interest cap %d out of range [0, %d]", sectionWhere, st.InterestCap, MaxInterestCap)
		}
		cfg.InterestCap = st.InterestCap
	}
	cfg.Width, cfg.Height, cfg.CellSize, cfg.TickBudget = st.Width, st.Height, st.CellSize, st.TickBudget
	cfg.Zone = st.NextEntity.Zone()
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return cfg, fmt.Errorf("world: load: %s: %w", sectionWhere, err)
	}
	if cells, most := gridCells(cfg.Width, cfg.Height, cfg.CellSize), MaxLoadGridCells+LoadGridCellsPerEntity*len(st.Entities.ID); !named && cells > most {
		return cfg, fmt.Errorf("world: load: %s: the %d×%d map with cell size %d has %d grid cells, more than a load builds for %d entities (%d); "+
			"if the save is yours, name its map in the config (Width %d, Height %d, CellSize %d)",
			sectionWhere, cfg.Width, cfg.Height, cfg.CellSize, cells, len(st.Entities.ID), most, cfg.Width, cfg.Height, cfg.CellSize)
	}
	return cfg, nil
}

// restoreEntities builds the entity table, its index and the watchers from checked columns.
func (w *World) restoreEntities(c *EntityColumns, chk *snapshotCheck) {
	n := len(c.ID)
	w.ents = make([]Entity, n)
	w.tasks = make([]*sim.Tasklet, n)
	w.idx = chk.idx
	for i := range n {
		e := Entity{ID: c.ID[i], Kind: c.Kind[i], State: c.State[i], Pos: Vec{c.X[i], c.Y[i]}, Vel: Vec{c.VX[i], c.VY[i]},
			Interest: c.Interest[i], Tasklet: c.Tasklet[i], Notify: c.Notify[i]}
		w.ents[i] = e
		if e.Interest > 0 {
			w.watchers = append(w.watchers, watcher{id: e.ID})
		}
		if e.Tasklet != 0 {
			w.tasks[i] = chk.tasklets[e.Tasklet] // nil if it had ended: the entity has no live tasklet
		}
	}
	slices.SortFunc(w.watchers, func(a, b watcher) int { return cmpID(a.id, b.id) })
}

// restoreIndex restores the spatial index and the interest sets as a save between ticks
// left them (the main program had changed entities since the last tick's end).
func (w *World) restoreIndex(ix *IndexSnapshot) {
	w.grid.Build(ix.Items)
	w.died = ix.Died
	for _, ws := range ix.Watchers {
		k, _ := slices.BinarySearchFunc(w.watchers, ws.ID, func(x watcher, id EntityID) int { return cmpID(x.id, id) })
		w.watchers[k].set = slices.Clone(ws.Set) // checked: every saved watcher is a watcher
	}
	w.dirty = true
	w.sum = w.checksum()
}

// ---- codecs ----

// A Codec turns a world's scheduler and Snapshot into bytes and back: the snapshot format.
// NewCodec and DefaultCodec make one of a persist.Codec.
type Codec interface {
	// Encode encodes s and st and reports what it saved (hard tasklets left out, counts).
	Encode(s *sim.Scheduler, st *Snapshot) ([]byte, *persist.Report, error)
	Decode(data []byte) (*sim.Scheduler, *Snapshot, error)
}

// Save encodes the whole world (entities, components, tasklets, channels, timers, RNG,
// mailboxes) with c. Call it between ticks. SaveReport also says what was saved.
func (w *World) Save(c Codec) ([]byte, error) {
	data, _, err := w.SaveReport(c)
	return data, err
}

// SaveReport is Save with persist's Report of what was saved: the hard tasklets left out
// (with persist.OmitHard; the default refuses them), the tasklets, frames and channels
// saved, the size.
func (w *World) SaveReport(c Codec) ([]byte, *persist.Report, error) {
	st, err := w.Snapshot()
	if err != nil {
		return nil, nil, err
	}
	return c.Encode(w.s, st)
}

// Load decodes a world saved with Save. cfg gives what is not saved (see Restore).
func Load(c Codec, data []byte, cfg Config) (*World, error) {
	s, st, err := c.Decode(data)
	if err != nil {
		return nil, err
	}
	return Restore(s, st, cfg)
}

// CaptureCopy implements persist.CaptureCopier for a Snapshot fresh from World.Snapshot
// whose caller hands it over (reads and changes it no more): its columns, kinds, RNG
// state, channels, monitors and index are its own and kept; the components' and
// mailboxes' values, which are the world's live values, are replaced in st by copies made
// with deep (an empty list is kept: nothing can change in it). It returns st. Cost: the
// copy of those values. World.CaptureSection costs the capture less.
func (st *Snapshot) CaptureCopy(deep func(v any) any) any {
	for i := range st.Components {
		st.Components[i].Values = deep(st.Components[i].Values).([]any)
	}
	for i := range st.Mailboxes {
		if len(st.Mailboxes[i].Values) > 0 {
			st.Mailboxes[i].Values = deep(st.Mailboxes[i].Values).([]any)
		}
	}
	return st
}

// CaptureSection returns w's section for a persist capture of w's scheduler
// (persist.Codec.Capture or Recapture), which must follow at once: a value that saves as
// the Snapshot of this moment but holds the capture for less. The capture's copy
// (CaptureCopy, on the main program, just before the walk of the tasklets) takes the
// entity table and the mailbox lists in one copy each, the queued messages and the
// components' values (unsorted), the index and the monitors, into the memory of the
// capture before (kept by w); SaveCapture's goroutine then turns the entities into
// columns, makes the mailbox rows, sorts the components and keeps the monitors of the
// tasklets the capture holds (FinishCapture). Unlike Snapshot it does not drop from the
// world the monitors of tasklets that are not alive (the save leaves them out all the
// same). Call it from the main program between ticks; pass it to one capture only.
// Cost: the world's scalars and named channels; the rest is the capture's.
func (w *World) CaptureSection() (persist.Section, error) {
	st, err := w.snapshotHead()
	if err != nil {
		return persist.Section{}, err
	}
	return persist.Section{Name: SectionName, Value: &worldCopier{w: w, st: st}}, nil
}

// worldCopier is CaptureSection's value, until the capture copies it.
type worldCopier struct {
	w  *World
	st *Snapshot // the head CaptureSection made
}

// worldCopy is what a capture copies of a world beyond the Snapshot's head, in memory
// reused from one capture to the next (World.spareCopy).
type worldCopy struct {
	ents     []Entity
	mailIDs  []sim.ChanID
	mailQs   []mailQueue // the queues, read on the writer only for their owner and name
	mailVals []mailValues
	comps    []compCopy
}

// mailValues is the copied messages of the mailbox at mailIDs[slot].
type mailValues struct {
	slot int
	vals []any
}

// compCopy is one component's copied values, in no order.
type compCopy struct {
	name  string
	pairs []compPair
}

// CaptureCopy implements persist.CaptureCopier: it copies what the world holds beyond the
// head into a capturedWorld. Cost: one copy of the entity table and of the mailbox lists,
// one look at each mailbox's queue, a deep copy of each queued message and component
// value; no allocation but for those copies once the memory of earlier captures is there.
func (c *worldCopier) CaptureCopy(deep func(v any) any) any {
	w, st := c.w, c.st
	wc := w.spareCopy.Swap(nil)
	if wc == nil {
		wc = &worldCopy{}
	}
	wc.ents = append(wc.ents[:0], w.ents...)
	wc.mailIDs = append(wc.mailIDs[:0], w.mailIDs...)
	wc.mailQs = append(wc.mailQs[:0], w.mailQs...)
	wc.mailVals = wc.mailVals[:0]
	for i, q := range w.mailQs {
		if q.Len() > 0 {
			vals := q.values() // a slice of its own
			for j := range vals {
				vals[j] = deep(vals[j])
			}
			wc.mailVals = append(wc.mailVals, mailValues{slot: i, vals: vals})
		}
	}
	wc.comps = wc.comps[:0]
	for _, name := range w.componentNames() {
		if n := len(wc.comps); n < cap(wc.comps) {
			wc.comps = wc.comps[:n+1]
			wc.comps[n].name, wc.comps[n].pairs = name, w.comps[name].appendPairs(wc.comps[n].pairs[:0], deep)
		} else {
			wc.comps = append(wc.comps, compCopy{name: name, pairs: w.comps[name].appendPairs(nil, deep)})
		}
	}
	st.Index = w.indexSnapshot()
	return &capturedWorld{w: w, st: st, copy: wc, monitors: maps.Clone(w.monitor)}
}

// CaptureRoom is the size of what a capture of a world copies beyond its scheduler.
type CaptureRoom struct {
	Entities, Mailboxes int
}

// CaptureRoom returns the room a capture of w takes now. Call it from the main program;
// constant time.
func (w *World) CaptureRoom() CaptureRoom {
	return CaptureRoom{Entities: len(w.ents), Mailboxes: len(w.mailIDs)}
}

// PrepareCapture gives w's next CaptureSection room for r and an eighth more (the entity
// table and the mailbox lists), its memory written once (faulted in), unless the memory w
// keeps from the last capture has that room: a capture then copies them into memory it
// neither allocates nor faults in (each finished capture leaves its memory for the next,
// grown off the tick loop when the world nears its room). Unlike w's other methods it may
// be called from any goroutine, while w runs (a server calls it on its writer goroutine
// when it starts, with the CaptureRoom it took on the loop). Cost: allocation and one
// store per page of about 60 bytes per entity and 24 per mailbox, unless the memory is
// there.
func (w *World) PrepareCapture(r CaptureRoom) {
	if old := w.spareCopy.Load(); old != nil && cap(old.ents) >= r.Entities+r.Entities/8 && cap(old.mailQs) >= r.Mailboxes+r.Mailboxes/8 {
		return
	}
	wc := &worldCopy{}
	wc.reserve(r.Entities, r.Mailboxes)
	w.spareCopy.Store(wc)
}

// reserve gives wc room for entities entities and mailboxes mailboxes and a quarter more,
// unless it has an eighth more, the memory it adds written once (faulted in).
func (wc *worldCopy) reserve(entities, mailboxes int) {
	wc.ents = ahead(wc.ents, entities)
	wc.mailIDs = ahead(wc.mailIDs, mailboxes)
	wc.mailQs = ahead(wc.mailQs, mailboxes)
}

// ahead returns s emptied, with room for n and an eighth more: if it has not, new memory
// with room for n and a quarter more, written once per page (the first write faults a
// page in).
func ahead[E any](s []E, n int) []E {
	n = max(n, 0)
	if cap(s) >= n+n/8 {
		return s[:0]
	}
	s = make([]E, n+n/4)
	var zero E
	for i := 0; i < len(s); i += max(pageBytes/max(int(unsafe.Sizeof(zero)), 1), 1) {
		s[i] = zero
	}
	return s[:0]
}

// pageBytes is the smallest page size of the systems Go runs on: ahead writes once per
// page (memory fresh from the system is faulted in at its first write).
const pageBytes = 4096

// capturedWorld is a world section copied by a capture: its Snapshot but the entity
// columns, mailboxes, components and monitors, which FinishCapture adds.
type capturedWorld struct {
	w        *World // for its spareCopy only
	st       *Snapshot
	copy     *worldCopy            // the copy at the capture (nil once finished)
	monitors map[sim.ID]sim.ChanID // the world's monitors at the capture
	finished bool
}

// FinishCapture implements persist.CaptureFinisher: it turns the copied entity table into
// columns, the mailbox lists and messages into rows, sorts the components' values by
// entity id, and adds the monitors of the alive tasklets, by id, as Snapshot does (once;
// later calls return the same Snapshot). Then it leaves the copy's memory to the world's
// next capture, grown if the world nears its room.
func (c *capturedWorld) FinishCapture(alive iter.Seq[sim.ID]) any {
	if c.finished {
		return c.st
	}
	wc := c.copy
	c.st.Entities = entityColumns(wc.ents)
	c.st.Mailboxes = mailboxRows(wc)
	c.st.Components = componentColumns(wc.comps)
	clear(wc.mailQs) // let the queues go
	clear(wc.mailVals)
	for i := range wc.comps {
		clear(wc.comps[i].pairs)
	}
	wc.reserve(len(wc.ents), len(wc.mailIDs))
	c.w.spareCopy.Store(wc) // for the next capture
	c.copy = nil
	var ids []sim.ID
	if len(c.monitors) > 0 {
		for id := range alive {
			if _, ok := c.monitors[id]; ok {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	c.st.Monitors = monitorRows(ids, c.monitors)
	c.finished = true
	return c.st
}

// mailboxRows returns the rows of the mailboxes wc copied, in creation order (nil for
// none, as saves have it): the owner and name, fixed for a queue's life, read from the
// queues, the messages from the copies.
func mailboxRows(wc *worldCopy) []MailboxSnapshot {
	if len(wc.mailIDs) == 0 {
		return nil
	}
	rows := make([]MailboxSnapshot, len(wc.mailIDs))
	for i, id := range wc.mailIDs {
		q := wc.mailQs[i]
		rows[i] = MailboxSnapshot{ID: id, Owner: q.Owner(), Name: q.Name(), Values: []any{}}
	}
	for _, mv := range wc.mailVals {
		rows[mv.slot].Values = mv.vals
	}
	return rows
}

// componentColumns returns the components wc copied, by name (those with values only),
// each's values sorted by entity id, as Snapshot has them.
func componentColumns(comps []compCopy) []ComponentSnapshot {
	var out []ComponentSnapshot
	for _, cc := range comps {
		if len(cc.pairs) == 0 {
			continue
		}
		slices.SortFunc(cc.pairs, func(a, b compPair) int { return cmpID(a.ID, b.ID) })
		cs := ComponentSnapshot{Name: cc.name, IDs: make([]EntityID, len(cc.pairs)), Values: make([]any, len(cc.pairs))}
		for i, p := range cc.pairs {
			cs.IDs[i], cs.Values[i] = p.ID, p.V
		}
		out = append(out, cs)
	}
	return out
}
