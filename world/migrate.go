package world

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// Migration: moving running entities from one World to another (another process, another
// machine) between ticks.
//
// Export takes entities out of a world at a tick boundary with everything that is theirs:
// the entity record, its tasklet exactly where it is (every frame and resume point, value
// slot, pending error, flags, the channel wait with its deadline, the sleep with its wake
// tick), its mailboxes with the messages queued in them, and its components. They go into
// one persist document (the payload): a scheduler of paused tasklets plus the section
// "migration". Import decodes a payload with the checked decoder of saves (its limits
// apply: a payload is untrusted input), checks it whole, and only then adds the entities:
// tasklet ids and channel ids are new (local to the importing world), entity ids are kept.
// Waits are relative: a tasklet that had 3 ticks left to sleep sleeps 3 more ticks after
// the import, whatever the two clocks say.
//
// What can move. Channel ids are local to a world, so every channel handle in a moving
// entity's data (frames, value slot, queued messages, components, its AoI notify mailbox)
// must be one of its own mailboxes (mapped to the new mailboxes) or a named channel
// (mapped by name; the importing world makes it if it has none). An entity whose data holds
// any other channel, whose tasklet waits on a channel that is not its own, or that is
// monitored by (or monitors into) a mailbox that stays, is pinned: Export refuses it with
// ErrPinned, and a caller retries at a later tick, when the wait is over. A hard tasklet
// never moves. Other tasklets the entity started (timers, helpers) are not the entity's
// and stay. The area of interest is recomputed by the importing world (its neighbours
// differ), so enter events follow the move.

// MigrationVersion is the version of the migration section's layout.
const MigrationVersion = 1

// MigrationSection is the name of the payload's section.
const MigrationSection = "migration"

// Limits on a payload, beside the persist codec's.
const (
	// MaxMigrants is the most entities one payload carries.
	MaxMigrants = 1 << 20
	// MaxMigrantMailboxes is the most mailboxes one migrating entity owns.
	MaxMigrantMailboxes = 64
	// maxNameBytes bounds kind, mailbox, channel and component names.
	maxNameBytes = 256
)

// ErrPinned: an entity cannot move now (see the package's migration notes). Export and
// CanExport report it as a *PinnedError.
var ErrPinned = errors.New("entity is pinned to its world")

// A PinnedError says why entity Entity cannot be exported now. It matches ErrPinned
// (errors.Is); its message names the entity, its tasklet and the channel that pins it
// (by id, and by name if it has one).
type PinnedError struct {
	Entity  EntityID
	Tasklet sim.ID     // the entity's tasklet, or 0 if it has none
	Channel sim.ChanID // the channel that pins it, or 0 if none does (a hard, running or watchdog tasklet, too many mailboxes)
	Reason  string     // the rest, in words
}

func (e *PinnedError) Error() string {
	return fmt.Sprintf("world: export entity %d: %v: %s", e.Entity, ErrPinned, e.Reason)
}

// Unwrap returns ErrPinned.
func (e *PinnedError) Unwrap() error { return ErrPinned }

// channelLabel names channel id in a pinned reason: the noun ("channel", "mailbox"), the id
// and its name, if it has one (a named channel's or a mailbox's): `channel 3 "market"`.
func (w *World) channelLabel(noun string, id sim.ChanID) string {
	if name := w.ChannelName(id); name != "" {
		return fmt.Sprintf("%s %d %q", noun, id, name)
	}
	return fmt.Sprintf("%s %d", noun, id)
}

// pinner makes the PinnedErrors of one entity, its tasklet t (nil if none).
type pinner struct {
	id EntityID
	t  *sim.Tasklet
}

// at returns the PinnedError of channel ch (0: none) for the reason format, a.
func (p pinner) at(ch sim.ChanID, format string, a ...any) error {
	e := &PinnedError{Entity: p.id, Channel: ch, Reason: fmt.Sprintf(format, a...)}
	if p.t != nil {
		e.Tasklet = p.t.ID()
	}
	return e
}

// ErrBadPayload: a migration payload is corrupt, hostile or does not fit this world.
var ErrBadPayload = errors.New("bad migration payload")

func init() {
	persist.Register[Migration]("world.Migration")
}

// Migration is the section of a migration payload: the entities, in export order.
type Migration struct {
	Version  uint32
	Tick     uint64 // the exporting world's tick
	Entities []Migrant
}

// Migrant is one entity of a payload. Channel ids are the exporting world's.
type Migrant struct {
	ID       EntityID
	Kind     string
	State    uint16
	X, Y     int32
	VX, VY   int32
	Interest int32
	Notify   sim.ChanID // one of Mailboxes, or 0
	// Tasklet is the id of the entity's tasklet in the payload's scheduler, 0 for none;
	// the tasklet is saved paused and Wait says where it really was.
	Tasklet    sim.ID
	Wait       Wait
	Mailboxes  []MailboxSnapshot // the entity's own, in the exporting world's creation order
	Named      []NamedChannel    // named channels its data refers to
	Components []EntityComponent
}

// Wait is where a migrating tasklet was: runnable, paused, blocked (direction, channel —
// one of the entity's mailboxes — and ticks left to its receive deadline, 0 none) or
// sleeping (ticks left, at least 1).
type Wait struct {
	State   sim.State
	Dir     int8
	Channel sim.ChanID
	Ticks   uint64
}

// EntityComponent is one component value of a migrating entity.
type EntityComponent struct {
	Name  string
	Value any
}

// ---- export ----

// CanExport reports why entity id cannot be exported now (ErrPinned, or no such entity),
// or nil. Cost: a walk of the entity's data.
func (w *World) CanExport(id EntityID) error {
	if err := w.s.CanSnapshot(); err != nil {
		return fmt.Errorf("world: export entity %d: %w", id, err)
	}
	_, _, err := w.emigrant(id, w.exportIndex())
	return err
}

// Exportable reports for each of ids why it cannot be exported now (as CanExport), or nil.
// Cost: O(mailboxes + monitors) once, plus a walk of each entity's data.
func (w *World) Exportable(ids []EntityID) []error {
	out := make([]error, len(ids))
	if err := w.s.CanSnapshot(); err != nil {
		for i := range out {
			out[i] = fmt.Errorf("world: export entity %d: %w", ids[i], err)
		}
		return out
	}
	ix := w.exportIndex()
	for i, id := range ids {
		_, _, out[i] = w.emigrant(id, ix)
	}
	return out
}

// exportIndex is what emigrant looks up, gathered once per export: named channels by id,
// mailboxes by owner, monitors by mailbox.
type exportIndex struct {
	named     map[sim.ChanID]string
	boxes     map[EntityID][]sim.ChanID
	monitored map[sim.ChanID]sim.ID
}

func (w *World) exportIndex() *exportIndex {
	ix := &exportIndex{named: w.namedByID(), boxes: map[EntityID][]sim.ChanID{}, monitored: map[sim.ChanID]sim.ID{}}
	for _, id := range w.mailIDs {
		if o := w.mail[id].Owner(); o != 0 {
			ix.boxes[o] = append(ix.boxes[o], id)
		}
	}
	for tid, mb := range w.monitor { // determinism: builds a map; the tasklet kept for a mailbox is named only in an error
		if prev, ok := ix.monitored[mb]; !ok || tid < prev {
			ix.monitored[mb] = tid
		}
	}
	return ix
}

// Export removes the entities ids from w and returns them as one payload encoded with c,
// for Import into another world. Call it from the main program between ticks. Either all
// of them leave or, with an error naming the first that cannot (ErrPinned, unknown,
// duplicate, or a value persist cannot encode), none does and w is unchanged. The payload
// is the only copy: keep it until the importing side has it (Import it back into w to
// undo). Cost: O(size of the entities' data) plus one persist save.
func (w *World) Export(c *persist.Codec, ids []EntityID) ([]byte, error) {
	if err := w.s.CanSnapshot(); err != nil {
		return nil, fmt.Errorf("world: export: %w", err)
	}
	if len(ids) > MaxMigrants {
		return nil, fmt.Errorf("world: export: %d entities, more than the %d of one payload", len(ids), MaxMigrants)
	}
	ix := w.exportIndex()
	mig := &Migration{Version: MigrationVersion, Tick: w.Now(), Entities: make([]Migrant, 0, len(ids))}
	img := &sim.Image{Tick: w.Now(), NextID: 2, NextChan: 1}
	seen := make(map[EntityID]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return nil, fmt.Errorf("world: export: entity %d listed twice", id)
		}
		seen[id] = true
		m, t, err := w.emigrant(id, ix)
		if err != nil {
			return nil, err
		}
		if t != nil {
			m.Tasklet = img.NextID
			img.NextID++
			addPaused(img, m.Tasklet, t)
		}
		mig.Entities = append(mig.Entities, m)
	}
	data, err := encodeMigration(c, img, mig)
	if err != nil {
		return nil, fmt.Errorf("world: export: %w", err)
	}
	dropped := false
	for _, m := range mig.Entities {
		dropped = w.leave(m) || dropped
	}
	if dropped {
		w.filterMail(func(id sim.ChanID, _ mailQueue) bool { return w.mail[id] != nil })
	}
	return data, nil
}

// emigrant gathers entity id's Migrant and its tasklet (nil if none), checking that it
// can move.
func (w *World) emigrant(id EntityID, ix *exportIndex) (Migrant, *sim.Tasklet, error) {
	i, ok := w.index(id)
	if !ok {
		return Migrant{}, nil, fmt.Errorf("world: export entity %d: no such entity", id)
	}
	e := &w.ents[i]
	m := Migrant{ID: id, Kind: w.kinds[e.Kind], State: e.State, X: e.Pos.X, Y: e.Pos.Y, VX: e.Vel.X, VY: e.Vel.Y,
		Interest: e.Interest, Notify: e.Notify}
	own := map[sim.ChanID]bool{}
	for _, mid := range ix.boxes[id] {
		q := w.mail[mid]
		own[mid] = true
		m.Mailboxes = append(m.Mailboxes, MailboxSnapshot{ID: mid, Owner: id, Name: q.Name(), Values: q.values()})
	}
	t := w.tasks[i]
	if t != nil && !t.Alive() {
		t = nil
	}
	pinned := pinner{id: id, t: t}
	if len(m.Mailboxes) > MaxMigrantMailboxes {
		return m, nil, pinned.at(0, "it owns %d mailboxes (limit %d)", len(m.Mailboxes), MaxMigrantMailboxes)
	}
	if t != nil {
		if err := w.checkTasklet(t, own, pinned); err != nil {
			return m, nil, err
		}
		m.Wait = Wait{State: t.State(), Dir: int8(t.BlockedDir()), Channel: t.BlockedOn()}
		if wk := t.WakeTick(); wk != 0 {
			m.Wait.Ticks = wk - w.Now()
		}
	}
	for _, mb := range m.Mailboxes {
		if ch := w.s.Channel(mb.ID); ch != nil && ch.Balance() != 0 && (t == nil || t.BlockedOn() != mb.ID || ch.Balance() != int(t.BlockedDir())) {
			return m, nil, pinned.at(mb.ID, "tasklet %d, not the entity's, waits on its %s", otherWaiter(ch, t), w.channelLabel("mailbox", mb.ID))
		}
	}
	for _, mb := range ix.boxes[id] {
		if tid, ok := ix.monitored[mb]; ok {
			return m, nil, pinned.at(mb, "its %s receives the exit of tasklet %d, which stays", w.channelLabel("mailbox", mb), tid)
		}
	}
	for _, name := range w.componentNames() {
		if g, ok := w.comps[name].(valueGetter); ok {
			if v, ok := g.valueOf(id); ok {
				m.Components = append(m.Components, EntityComponent{Name: name, Value: v})
			}
		}
	}
	refs := map[sim.ChanID]bool{}
	var foreign sim.ChanID
	check := func(ch sim.ChanID) (sim.ChanID, error) {
		switch {
		case own[ch]:
		case ix.named[ch] != "":
			refs[ch] = true
		default:
			foreign = ch
			return ch, fmt.Errorf("%s is neither one of the entity's mailboxes nor a named channel", w.channelLabel("channel", ch))
		}
		return ch, nil
	}
	if err := w.eachHandle(&m, t, check); err != nil {
		return m, nil, pinned.at(foreign, "%v", err)
	}
	for _, ch := range slices.Sorted(maps.Keys(refs)) {
		m.Named = append(m.Named, NamedChannel{Name: ix.named[ch], ID: ch})
	}
	return m, t, nil
}

// checkTasklet pins an entity whose tasklet cannot move.
func (w *World) checkTasklet(t *sim.Tasklet, own map[sim.ChanID]bool, pinned pinner) error {
	switch {
	case !t.Restorable():
		return pinned.at(0, "tasklet %d is a hard tasklet", t.ID())
	case t.IsCurrent():
		return pinned.at(0, "tasklet %d is running", t.ID())
	case t.Blocked() && !own[t.BlockedOn()]:
		return pinned.at(t.BlockedOn(), "tasklet %d waits on %s, which is not the entity's own", t.ID(), w.channelLabel("channel", t.BlockedOn()))
	case t.State() == sim.StateWatching:
		return pinned.at(0, "tasklet %d is a watchdog", t.ID())
	}
	if mb, ok := w.monitor[t.ID()]; ok && !own[mb] {
		return pinned.at(mb, "tasklet %d is monitored by %s, which stays", t.ID(), w.channelLabel("mailbox", mb))
	}
	return nil
}

// otherWaiter returns the id of the first tasklet waiting on ch that is not t.
func otherWaiter(ch *sim.Channel, t *sim.Tasklet) (id sim.ID) {
	ch.Queue(func(q *sim.Tasklet) bool {
		if q != t {
			id = q.ID()
		}
		return id == 0
	})
	return id
}

// eachHandle calls f for every channel handle in m's data and in tasklet t's frames and
// value slot (live values: f must return its argument unchanged).
func (w *World) eachHandle(m *Migrant, t *sim.Tasklet, f func(sim.ChanID) (sim.ChanID, error)) error {
	if m.Notify != 0 {
		if _, err := f(m.Notify); err != nil {
			return fmt.Errorf("AoI notify: %w", err)
		}
	}
	if t != nil {
		k := 0
		var err error
		t.Frames(func(fr sim.Frame, _ sim.PC) bool {
			if err = mapHandles(reflect.ValueOf(&fr).Elem(), f); err != nil {
				err = fmt.Errorf("tasklet %d, frame %d (%T): %w", t.ID(), k, fr, err)
			}
			k++
			return err == nil
		})
		if err != nil {
			return err
		}
		if v := t.TempVal(); v != nil {
			if err := mapHandles(reflect.ValueOf(&v).Elem(), f); err != nil {
				return fmt.Errorf("tasklet %d, value slot: %w", t.ID(), err)
			}
		}
	}
	return mapMigrantData(m, handleWalker{f: f})
}

// mapMigrantData maps the handles in m's mailbox messages and components with h.
func mapMigrantData(m *Migrant, h handleWalker) error {
	for _, mb := range m.Mailboxes {
		if err := h.walk(reflect.ValueOf(mb.Values), 0); err != nil {
			return fmt.Errorf("mailbox %d: %w", mb.ID, err)
		}
	}
	for k := range m.Components {
		if err := h.walk(reflect.ValueOf(&m.Components[k].Value).Elem(), 0); err != nil {
			return fmt.Errorf("component %q: %w", m.Components[k].Name, err)
		}
	}
	return nil
}

// addPaused adds t to img as a paused tasklet with id; where it waits is in Migrant.Wait.
func addPaused(img *sim.Image, id sim.ID, t *sim.Tasklet) {
	ts := t.Saved()
	ts.ID, ts.State, ts.Dir, ts.Channel, ts.Wake = id, sim.StatePaused, 0, 0, 0
	ts.FrameStart = uint32(len(img.Frames))
	t.Frames(func(f sim.Frame, pc sim.PC) bool {
		img.Frames = append(img.Frames, sim.FrameState{Frame: f, PC: pc})
		return true
	})
	img.Tasklets = append(img.Tasklets, ts)
}

// encodeMigration restores img into a scheduler of its own and saves it with mig.
func encodeMigration(c *persist.Codec, img *sim.Image, mig *Migration) ([]byte, error) {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	if err := s.Restore(img, sim.RestoreOptions{}); err != nil {
		return nil, err
	}
	data, _, err := c.Save(s, persist.Section{Name: MigrationSection, Value: mig})
	return data, err
}

// leave takes exported entity m out of w: its tasklet released (not killed), its
// mailboxes dropped at once (a Post to them reports false from now on), the entity gone.
// It reports whether it dropped mailboxes (the caller then compacts mailIDs, once).
func (w *World) leave(m Migrant) bool {
	if t := w.TaskletOf(m.ID); t != nil && t.Alive() {
		_, _ = w.s.Release(t) // cannot fail: checked by emigrant
		delete(w.monitor, t.ID())
	}
	for _, mb := range m.Mailboxes {
		_ = w.s.DropChannel(mb.ID) // cannot fail: nobody waits (checked)
		delete(w.mail, mb.ID)
	}
	w.Despawn(m.ID) // its tasklet is dead: nothing is killed
	return len(m.Mailboxes) > 0
}

// valueGetter reads one entity's component value.
type valueGetter interface{ valueOf(id EntityID) (any, bool) }

func (s *compStore[C]) valueOf(id EntityID) (any, bool) {
	v, ok := s.m[id]
	return v, ok
}

// MailboxOf returns the id of the mailbox named name that entity owner owns, or 0: how a
// message addressed to an entity (which may have moved here from another world, with new
// channel ids) finds its mailbox. Cost: O(mailboxes).
func (w *World) MailboxOf(owner EntityID, name string) sim.ChanID {
	for _, id := range w.mailIDs {
		if q := w.mail[id]; q.Owner() == owner && q.Name() == name {
			return id
		}
	}
	return 0
}
