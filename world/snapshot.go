package world

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

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
}

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
	}
	n := len(w.ents)
	c := EntityColumns{
		ID: make([]EntityID, n), Kind: make([]Kind, n), State: make([]uint16, n),
		X: make([]int32, n), Y: make([]int32, n), VX: make([]int32, n), VY: make([]int32, n),
		Interest: make([]int32, n), Tasklet: make([]sim.ID, n), Notify: make([]sim.ChanID, n),
	}
	for i, e := range w.ents {
		c.ID[i], c.Kind[i], c.State[i] = e.ID, e.Kind, e.State
		c.X[i], c.Y[i], c.VX[i], c.VY[i] = e.Pos.X, e.Pos.Y, e.Vel.X, e.Vel.Y
		c.Interest[i], c.Tasklet[i], c.Notify[i] = e.Interest, e.Tasklet, e.Notify
	}
	st.Entities = c
	for _, name := range w.componentNames() {
		cs := w.comps[name].save()
		if len(cs.IDs) == 0 {
			continue
		}
		cs.Name = name
		st.Components = append(st.Components, cs)
	}
	for _, name := range w.channelNames() {
		st.Channels = append(st.Channels, NamedChannel{Name: name, ID: w.names[name]})
	}
	for _, id := range w.mailIDs {
		q := w.mail[id]
		st.Mailboxes = append(st.Mailboxes, MailboxSnapshot{ID: id, Owner: q.Owner(), Name: q.Name(), Values: q.values()})
	}
	tids := make([]sim.ID, 0, len(w.monitor))
	for id := range w.monitor { // determinism: sorted below
		tids = append(tids, id)
	}
	slices.Sort(tids)
	for _, id := range tids {
		st.Monitors = append(st.Monitors, MonitorSnapshot{Tasklet: id, Mailbox: w.monitor[id]})
	}
	if w.dirty {
		ix := &IndexSnapshot{Items: slices.Clone(w.grid.items), Died: w.died}
		for _, wt := range w.watchers {
			ix.Watchers = append(ix.Watchers, WatcherSnapshot{ID: wt.id, Set: slices.Clone(wt.set)})
		}
		st.Index = ix
	}
	return st, nil
}

// Restore returns a world made of s, a scheduler restored from a snapshot (sim.Scheduler
// Restore, persist.Load), and st, the world section of the same snapshot. cfg gives what is
// not saved (clock, budgets, logger); its map size and cell size must be zero or equal the
// saved ones, and so must its TickBudget (which decides pre-emptions). Restore checks st
// before building anything.
func Restore(s *sim.Scheduler, st *Snapshot, cfg Config) (*World, error) {
	if st == nil {
		return nil, errors.New("world: load: no world section")
	}
	if st.Version != SnapshotVersion {
		return nil, fmt.Errorf("world: load: state version %d, want %d", st.Version, SnapshotVersion)
	}
	for _, g := range []struct {
		name      string
		cfg, save int32
	}{{"width", cfg.Width, st.Width}, {"height", cfg.Height, st.Height}, {"cell size", cfg.CellSize, st.CellSize},
		{"tick budget", int32(cfg.TickBudget), int32(st.TickBudget)}, {"zone", int32(cfg.Zone), int32(st.NextEntity.Zone())}} {
		if g.cfg != 0 && g.cfg != g.save {
			return nil, fmt.Errorf("world: load: config %s %d differs from the saved %d (leave it 0 to use the saved one)", g.name, g.cfg, g.save)
		}
	}
	if st.TickBudget == 0 || st.TickBudget > 1<<30 {
		return nil, fmt.Errorf("world: load: tick budget %d out of range [1, 2^30]", st.TickBudget)
	}
	cfg.Width, cfg.Height, cfg.CellSize, cfg.TickBudget = st.Width, st.Height, st.CellSize, st.TickBudget
	cfg.Zone = st.NextEntity.Zone()
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if err := st.check(); err != nil {
		return nil, err
	}
	pcg := &rand.PCG{}
	if err := pcg.UnmarshalBinary(st.RNG); err != nil {
		return nil, fmt.Errorf("world: load: rng state: %w", err)
	}
	s.SetTickBudget(cfg.TickBudget)
	w := newWorld(cfg, s)
	w.pcg, w.rand = pcg, rand.New(pcg)
	w.nextID, w.seq, w.failed = st.NextEntity, st.Seq, st.Failed
	for _, k := range st.Kinds {
		w.Kind(k)
	}
	c := &st.Entities
	n := len(c.ID)
	w.ents = make([]Entity, n)
	w.tasks = make([]*sim.Tasklet, n)
	w.idx = entityIndex{}
	for i := range n {
		e := Entity{ID: c.ID[i], Kind: c.Kind[i], State: c.State[i], Pos: Vec{c.X[i], c.Y[i]}, Vel: Vec{c.VX[i], c.VY[i]},
			Interest: c.Interest[i], Tasklet: c.Tasklet[i], Notify: c.Notify[i]}
		w.ents[i] = e
		w.idx.set(e.ID, int32(i))
		if e.Interest > 0 {
			w.watchers = append(w.watchers, watcher{id: e.ID})
		}
	}
	slices.SortFunc(w.watchers, func(a, b watcher) int { return cmpID(a.id, b.id) })
	w.linkTasklets()
	for _, cs := range st.Components {
		store, ok := newStore(cs.Name)
		if !ok {
			return nil, fmt.Errorf("world: load: component %q is not registered (world.RegisterComponent)", cs.Name)
		}
		if err := store.load(cs); err != nil {
			return nil, fmt.Errorf("world: load: component %q: %w", cs.Name, err)
		}
		w.comps[cs.Name] = store
	}
	for _, nc := range st.Channels {
		w.names[nc.Name] = nc.ID
	}
	for _, m := range st.Mailboxes {
		w.setMail(m.ID, &loaded{vals: m.Values, owner: m.Owner, name: m.Name})
	}
	for _, m := range st.Monitors {
		w.monitor[m.Tasklet] = m.Mailbox
	}
	if ix := st.Index; ix != nil {
		w.grid.Build(ix.Items)
		w.died = ix.Died
		for _, ws := range ix.Watchers {
			k, ok := slices.BinarySearchFunc(w.watchers, ws.ID, func(x watcher, id EntityID) int { return cmpID(x.id, id) })
			if ok {
				w.watchers[k].set = slices.Clone(ws.Set)
			}
		}
		w.dirty = true
		w.sum = w.checksum()
	} else {
		w.endTick(false)
	}
	return w, nil
}

// linkTasklets finds the tasklet of every entity in the restored scheduler.
func (w *World) linkTasklets() {
	byID := map[sim.ID]*sim.Tasklet{}
	w.s.Each(func(t *sim.Tasklet) bool {
		byID[t.ID()] = t
		return true
	})
	for i := range w.ents {
		if id := w.ents[i].Tasklet; id != 0 {
			w.tasks[i] = byID[id] // nil if it had ended: the entity just has no live tasklet
		}
	}
}

// check validates st's shape: nothing is built from a Snapshot that fails it.
func (st *Snapshot) check() error {
	bad := func(format string, a ...any) error { return fmt.Errorf("world: load: "+format, a...) }
	c := &st.Entities
	n := len(c.ID)
	for _, col := range []struct {
		name string
		len  int
	}{{"kind", len(c.Kind)}, {"state", len(c.State)}, {"x", len(c.X)}, {"y", len(c.Y)}, {"vx", len(c.VX)},
		{"vy", len(c.VY)}, {"interest", len(c.Interest)}, {"tasklet", len(c.Tasklet)}, {"notify", len(c.Notify)}} {
		if col.len != n {
			return bad("entity column %q has %d values for %d entities", col.name, col.len, n)
		}
	}
	next := st.NextEntity
	if s := next.Serial(); s < 1 || s > MaxEntitySerial+1 {
		return bad("next entity id %d: serial %d out of range [1, %d]", next, s, uint64(MaxEntitySerial+1))
	}
	seen := make(map[EntityID]bool, n)
	for i, id := range c.ID {
		switch {
		case id == 0 || id.Serial() > MaxEntitySerial:
			return bad("entity %d: not an entity id", id)
		case id.Zone() == next.Zone() && id >= next:
			return bad("entity %d: not issued yet (the next id of zone %d is %d)", id, next.Zone(), next)
		case seen[id]:
			return bad("entity %d: duplicate", id)
		case int(c.Kind[i]) >= len(st.Kinds):
			return bad("entity %d: kind %d not among the %d saved kinds", id, c.Kind[i], len(st.Kinds))
		case c.X[i] < 0 || c.X[i] >= st.Width || c.Y[i] < 0 || c.Y[i] >= st.Height:
			return bad("entity %d: position (%d, %d) outside the %d×%d map", id, c.X[i], c.Y[i], st.Width, st.Height)
		}
		seen[id] = true
	}
	for _, m := range st.Mailboxes {
		if len(m.Values) > MaxMailboxLen {
			return bad("mailbox %d holds %d messages (limit %d)", m.ID, len(m.Values), MaxMailboxLen)
		}
	}
	return nil
}

// ---- codecs ----

// A Codec turns a world's scheduler and Snapshot into bytes and back: the snapshot format.
// Package persist provides it (world does not import persist, so that persist may import
// world for entity export).
type Codec interface {
	Encode(s *sim.Scheduler, st *Snapshot) ([]byte, error)
	Decode(data []byte) (*sim.Scheduler, *Snapshot, error)
}

// Save encodes the whole world (entities, components, tasklets, channels, timers, RNG,
// mailboxes) with c. Call it between ticks.
func (w *World) Save(c Codec) ([]byte, error) {
	st, err := w.Snapshot()
	if err != nil {
		return nil, err
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
