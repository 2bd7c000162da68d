package world

import (
	"fmt"

	"github.com/stackworld/stackworld/sim"
)

// sectionWhere names the world section in load errors, as persist names its sections.
const sectionWhere = `section "world"`

// MaxKinds is the most entity kinds a world has (Kind is 16 bits; AnyKind is reserved).
const MaxKinds = int(AnyKind)

// A Validator is a frame that can tell whether its fields make sense. Restore asks every
// loaded frame that is one, after the scheduler and the world section pass their checks and
// before the world runs: a frame whose fields would make a step allocate without bound (a
// spawner told to keep 2^40 entities) or loop forever is refused at load with the frame
// named, instead of taking the process down at the next tick. Validate must be cheap, must
// not change the frame and must not depend on anything but its fields.
type Validator interface {
	Validate() error
}

// snapshotCheck is what the checks of a world section learn on the way, kept for Restore.
type snapshotCheck struct {
	s        *sim.Scheduler
	st       *Snapshot
	idx      entityIndex               // the saved entities → their rows
	tasklets map[sim.ID]*sim.Tasklet   // the scheduler's live tasklets
	nextTask sim.ID                    // tasklet ids below it have been issued
	nextChan sim.ChanID                // channel ids below it have been issued
	stores   map[string]componentStore // the components, converted
}

// checkSnapshot checks every id and reference of the world section st against the others
// and against s, the scheduler restored from the same snapshot. It refuses what a world
// never writes — an id never issued, a duplicate, a reference to nothing that would have
// to exist, an entity column of another length — with an error naming the section and the
// object. Time and memory are linear in the sizes of s and st.
func checkSnapshot(s *sim.Scheduler, st *Snapshot) (*snapshotCheck, error) {
	chk := &snapshotCheck{s: s, st: st, tasklets: map[sim.ID]*sim.Tasklet{}}
	chk.nextTask, chk.nextChan = s.NextIDs()
	s.Each(func(t *sim.Tasklet) bool {
		chk.tasklets[t.ID()] = t
		return true
	})
	for _, step := range []func() error{chk.kinds, chk.entities, chk.components, chk.channels, chk.mailboxes, chk.monitors, chk.index} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("world: load: %s: %w", sectionWhere, err)
		}
	}
	return chk, nil
}

// issuedEntity reports whether id may name an entity that exists or existed: an id of
// another zone (entities migrate), or one this world's zone has issued.
func (chk *snapshotCheck) issuedEntity(id EntityID) bool {
	next := chk.st.NextEntity
	return id != 0 && id.Serial() <= MaxEntitySerial && (id.Zone() != next.Zone() || id < next)
}

func (chk *snapshotCheck) kinds() error {
	if len(chk.st.Kinds) > MaxKinds {
		return fmt.Errorf("%d kinds (limit %d)", len(chk.st.Kinds), MaxKinds)
	}
	seen := make(map[string]bool, len(chk.st.Kinds))
	for i, k := range chk.st.Kinds {
		if seen[k] {
			return fmt.Errorf("kind %d: name %q used twice", i, k)
		}
		seen[k] = true
	}
	return nil
}

func (chk *snapshotCheck) entities() error {
	st := chk.st
	c := &st.Entities
	n := len(c.ID)
	for _, col := range []struct {
		name string
		len  int
	}{{"kind", len(c.Kind)}, {"state", len(c.State)}, {"x", len(c.X)}, {"y", len(c.Y)}, {"vx", len(c.VX)},
		{"vy", len(c.VY)}, {"interest", len(c.Interest)}, {"tasklet", len(c.Tasklet)}, {"notify", len(c.Notify)}} {
		if col.len != n {
			return fmt.Errorf("entity column %q has %d values for %d entities", col.name, col.len, n)
		}
	}
	next := st.NextEntity
	if s := next.Serial(); s < 1 || s > MaxEntitySerial+1 {
		return fmt.Errorf("next entity id %d: serial %d out of range [1, %d]", next, s, uint64(MaxEntitySerial+1))
	}
	driven := make(map[sim.ID]EntityID)
	for i, id := range c.ID {
		if err := chk.entity(i, id, driven); err != nil {
			return fmt.Errorf("entity %d: %w", id, err)
		}
		chk.idx.set(id, int32(i))
	}
	return nil
}

// entity checks row i of the entity columns.
func (chk *snapshotCheck) entity(i int, id EntityID, driven map[sim.ID]EntityID) error {
	st := chk.st
	c := &st.Entities
	switch {
	case id == 0 || id.Serial() > MaxEntitySerial:
		return fmt.Errorf("not an entity id")
	case !chk.issuedEntity(id):
		return fmt.Errorf("not issued yet (the next id of zone %d is %d)", st.NextEntity.Zone(), st.NextEntity)
	case chk.hasEntity(id):
		return fmt.Errorf("saved twice")
	case int(c.Kind[i]) >= len(st.Kinds):
		return fmt.Errorf("kind %d not among the %d saved kinds", c.Kind[i], len(st.Kinds))
	case c.X[i] < 0 || c.X[i] >= st.Width || c.Y[i] < 0 || c.Y[i] >= st.Height:
		return fmt.Errorf("position (%d, %d) outside the %d×%d map", c.X[i], c.Y[i], st.Width, st.Height)
	case c.Interest[i] < 0:
		return fmt.Errorf("negative interest radius %d", c.Interest[i])
	case c.Notify[i] != 0 && c.Notify[i] >= chk.nextChan:
		return fmt.Errorf("notify mailbox %d was never made (channel ids end at %d)", c.Notify[i], chk.nextChan)
	}
	tid := c.Tasklet[i]
	if tid == 0 {
		return nil
	}
	if tid >= chk.nextTask {
		return fmt.Errorf("tasklet %d was never made (tasklet ids end at %d)", tid, chk.nextTask)
	}
	if other, dup := driven[tid]; dup {
		return fmt.Errorf("tasklet %d also drives entity %d", tid, other)
	}
	if t := chk.tasklets[tid]; t != nil && t.IsMain() {
		return fmt.Errorf("driven by the main tasklet %d", tid)
	}
	driven[tid] = id
	return nil
}

func (chk *snapshotCheck) hasEntity(id EntityID) bool {
	_, ok := chk.idx.get(id)
	return ok
}

// components checks the components and converts their values to the registered types.
func (chk *snapshotCheck) components() error {
	chk.stores = make(map[string]componentStore, len(chk.st.Components))
	for _, cs := range chk.st.Components {
		if err := chk.component(cs); err != nil {
			return fmt.Errorf("component %q: %w", cs.Name, err)
		}
	}
	return nil
}

func (chk *snapshotCheck) component(cs ComponentSnapshot) error {
	if chk.stores[cs.Name] != nil {
		return fmt.Errorf("saved twice")
	}
	store, ok := newStore(cs.Name)
	if !ok {
		return fmt.Errorf("not registered (world.RegisterComponent)")
	}
	if len(cs.IDs) != len(cs.Values) {
		return fmt.Errorf("%d ids for %d values", len(cs.IDs), len(cs.Values))
	}
	for i, id := range cs.IDs {
		switch {
		case !chk.hasEntity(id):
			return fmt.Errorf("entity %d: no such entity", id)
		case i > 0 && id <= cs.IDs[i-1]:
			return fmt.Errorf("entity %d: after entity %d (ids are saved in increasing order, once)", id, cs.IDs[i-1])
		}
	}
	if err := store.load(cs); err != nil {
		return err
	}
	chk.stores[cs.Name] = store
	return nil
}

// channels checks the named channels: each name once, each channel under one name (Chan
// gives a new channel to a new name, so a world never holds two names of one channel).
func (chk *snapshotCheck) channels() error {
	seen := make(map[string]bool, len(chk.st.Channels))
	byID := make(map[sim.ChanID]string, len(chk.st.Channels))
	for _, nc := range chk.st.Channels {
		other, named := byID[nc.ID]
		switch {
		case seen[nc.Name]:
			return fmt.Errorf("named channel %q: saved twice", nc.Name)
		case nc.ID >= chk.nextChan:
			return fmt.Errorf("named channel %q: channel %d was never made (channel ids end at %d)", nc.Name, nc.ID, chk.nextChan)
		case named:
			return fmt.Errorf("named channels %q and %q: both name channel %d (a channel has one name)", other, nc.Name, nc.ID)
		}
		seen[nc.Name], byID[nc.ID] = true, nc.Name
	}
	return nil
}

func (chk *snapshotCheck) mailboxes() error {
	seen := make(map[sim.ChanID]bool, len(chk.st.Mailboxes))
	for _, m := range chk.st.Mailboxes {
		switch {
		case chk.s.Channel(m.ID) == nil:
			return fmt.Errorf("mailbox %d (%q): no channel %d in the snapshot", m.ID, m.Name, m.ID)
		case seen[m.ID]:
			return fmt.Errorf("mailbox %d (%q): saved twice", m.ID, m.Name)
		case m.Owner != 0 && !chk.issuedEntity(m.Owner):
			return fmt.Errorf("mailbox %d (%q): owner %d was never an entity", m.ID, m.Name, m.Owner)
		case len(m.Values) > MaxMailboxLen:
			return fmt.Errorf("mailbox %d (%q): %d messages (limit %d)", m.ID, m.Name, len(m.Values), MaxMailboxLen)
		}
		seen[m.ID] = true
	}
	return nil
}

func (chk *snapshotCheck) monitors() error {
	for i, m := range chk.st.Monitors {
		t := chk.tasklets[m.Tasklet]
		switch {
		case i > 0 && m.Tasklet <= chk.st.Monitors[i-1].Tasklet:
			return fmt.Errorf("monitor of tasklet %d: after tasklet %d (monitors are saved by tasklet id, once)", m.Tasklet, chk.st.Monitors[i-1].Tasklet)
		case t == nil || t.IsMain():
			return fmt.Errorf("monitor of tasklet %d: no such tasklet (a monitor ends with its tasklet)", m.Tasklet)
		case m.Mailbox == 0 || m.Mailbox >= chk.nextChan:
			return fmt.Errorf("monitor of tasklet %d: mailbox %d was never made (channel ids end at %d)", m.Tasklet, m.Mailbox, chk.nextChan)
		}
	}
	return nil
}

// index checks the saved spatial index: its items are the entities of the last tick's end,
// of which Died have despawned since (they are still listed); each watcher is an entity
// with an interest radius, its set sorted ids.
func (chk *snapshotCheck) index() error {
	ix := chk.st.Index
	if ix == nil {
		return nil
	}
	st := chk.st
	if ix.Died < 0 || ix.Died > len(ix.Items) {
		return fmt.Errorf("index: %d despawned of %d items", ix.Died, len(ix.Items))
	}
	var listed entityIndex
	ghosts := 0
	for _, it := range ix.Items {
		switch {
		case !chk.issuedEntity(it.ID):
			return fmt.Errorf("index: item %d was never an entity", it.ID)
		case listed.has(it.ID):
			return fmt.Errorf("index: item %d listed twice", it.ID)
		case it.Pos.X < 0 || it.Pos.X >= st.Width || it.Pos.Y < 0 || it.Pos.Y >= st.Height:
			return fmt.Errorf("index: item %d at (%d, %d), outside the %d×%d map", it.ID, it.Pos.X, it.Pos.Y, st.Width, st.Height)
		}
		listed.set(it.ID, 0)
		if !chk.hasEntity(it.ID) {
			ghosts++
		}
	}
	if ghosts > ix.Died {
		return fmt.Errorf("index: %d items are no entity, but only %d despawned since the index was built", ghosts, ix.Died)
	}
	for i, ws := range ix.Watchers {
		if err := chk.watcher(i, ws, len(ix.Items)); err != nil {
			return fmt.Errorf("index: watcher %d: %w", ws.ID, err)
		}
	}
	return nil
}

func (chk *snapshotCheck) watcher(i int, ws WatcherSnapshot, items int) error {
	ix := chk.st.Index
	row, ok := chk.idx.get(ws.ID)
	switch {
	case !ok:
		return fmt.Errorf("no such entity")
	case chk.st.Entities.Interest[row] <= 0:
		return fmt.Errorf("the entity has no interest radius")
	case i > 0 && ws.ID <= ix.Watchers[i-1].ID:
		return fmt.Errorf("after watcher %d (watchers are saved by id, once)", ix.Watchers[i-1].ID)
	case len(ws.Set) > items:
		return fmt.Errorf("sees %d entities of %d", len(ws.Set), items)
	}
	for j, id := range ws.Set {
		switch {
		case !chk.issuedEntity(id):
			return fmt.Errorf("sees %d, never an entity", id)
		case j > 0 && id <= ws.Set[j-1]:
			return fmt.Errorf("sees %d after %d (sets are sorted, without duplicates)", id, ws.Set[j-1])
		}
	}
	return nil
}

// validateFrames asks every frame of s that is a Validator (time linear in the frames).
func validateFrames(s *sim.Scheduler) (err error) {
	s.Each(func(t *sim.Tasklet) bool {
		depth := 0
		t.Frames(func(f sim.Frame, pc sim.PC) bool {
			if v, ok := f.(Validator); ok {
				if e := v.Validate(); e != nil {
					err = fmt.Errorf("world: load: tasklet %d, frame %d (%T): %w", t.ID(), depth, f, e)
					return false
				}
			}
			depth++
			return true
		})
		return err == nil
	})
	return err
}
