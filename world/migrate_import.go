package world

import (
	"fmt"
	"reflect"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// DecodeMigration decodes a payload with c's checked decoder (its limits apply) and checks
// the migration section's shape and each entity's data (channel handles, component
// values, queued messages against their mailboxes' types), without touching any world:
// what a zone does with bytes from the network before it decides anything. The scheduler it returns holds the
// payload's tasklets, paused.
func DecodeMigration(c *persist.Codec, data []byte) (*sim.Scheduler, *Migration, error) {
	s, snap, err := c.Load(data, sim.RestoreOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("world: import: %w: %w", ErrBadPayload, err)
	}
	mig, ok := snap.Section(MigrationSection).(*Migration)
	if !ok {
		s.Close()
		return nil, nil, fmt.Errorf("world: import: %w: no %q section holding a world.Migration", ErrBadPayload, MigrationSection)
	}
	if err := mig.check(s); err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("world: import: %w: %w", ErrBadPayload, err)
	}
	return s, mig, nil
}

// check validates the section against the payload's scheduler s: ids, names, waits, that
// every tasklet belongs to one entity and every wait is on one of the entity's mailboxes;
// then each entity's data (checkMigrantData: handles, components, messages).
func (mig *Migration) check(s *sim.Scheduler) error {
	if mig.Version != MigrationVersion {
		return fmt.Errorf("migration version %d, want %d", mig.Version, MigrationVersion)
	}
	if len(mig.Entities) > MaxMigrants {
		return fmt.Errorf("%d entities, more than %d", len(mig.Entities), MaxMigrants)
	}
	tasklets := map[sim.ID]bool{}
	s.Each(func(t *sim.Tasklet) bool {
		if !t.IsMain() {
			tasklets[t.ID()] = t.State() == sim.StatePaused
		}
		return true
	})
	ents := make(map[EntityID]bool, len(mig.Entities))
	for k := range mig.Entities {
		m := &mig.Entities[k]
		if err := m.check(tasklets); err != nil {
			return fmt.Errorf("entity %d: %w", m.ID, err)
		}
		if ents[m.ID] {
			return fmt.Errorf("entity %d: listed twice", m.ID)
		}
		ents[m.ID] = true
		if m.Tasklet != 0 {
			delete(tasklets, m.Tasklet)
		}
	}
	if len(tasklets) != 0 {
		return fmt.Errorf("%d tasklets belong to no entity", len(tasklets))
	}
	byID := map[sim.ID]*sim.Tasklet{}
	s.Each(func(t *sim.Tasklet) bool {
		byID[t.ID()] = t
		return true
	})
	for k := range mig.Entities {
		m := &mig.Entities[k]
		if _, err := checkMigrantData(m, byID[m.Tasklet]); err != nil {
			return fmt.Errorf("entity %d: %w", m.ID, err)
		}
	}
	return nil
}

func (m *Migrant) check(tasklets map[sim.ID]bool) error {
	if m.ID == 0 || m.ID.Serial() > MaxEntitySerial {
		return fmt.Errorf("id with serial %d out of range [1, %d]", m.ID.Serial(), uint64(MaxEntitySerial))
	}
	if m.Kind == "" || len(m.Kind) > maxNameBytes {
		return fmt.Errorf("kind name of %d bytes (want 1 to %d)", len(m.Kind), maxNameBytes)
	}
	if len(m.Mailboxes) > MaxMigrantMailboxes {
		return fmt.Errorf("%d mailboxes (limit %d)", len(m.Mailboxes), MaxMigrantMailboxes)
	}
	own := map[sim.ChanID]bool{}
	for _, mb := range m.Mailboxes {
		switch {
		case mb.ID == 0 || own[mb.ID]:
			return fmt.Errorf("mailbox id %d is zero or repeated", mb.ID)
		case mb.Owner != m.ID:
			return fmt.Errorf("mailbox %d is owned by entity %d", mb.ID, mb.Owner)
		case len(mb.Values) > MaxMailboxLen:
			return fmt.Errorf("mailbox %d holds %d messages (limit %d)", mb.ID, len(mb.Values), MaxMailboxLen)
		case len(mb.Name) > maxNameBytes:
			return fmt.Errorf("mailbox %d: name of %d bytes (limit %d)", mb.ID, len(mb.Name), maxNameBytes)
		}
		own[mb.ID] = true
	}
	if m.Notify != 0 && !own[m.Notify] {
		return fmt.Errorf("AoI notify channel %d is not one of its mailboxes", m.Notify)
	}
	names := map[string]bool{}
	for _, nc := range m.Named {
		if nc.ID == 0 || own[nc.ID] || nc.Name == "" || len(nc.Name) > maxNameBytes || names[nc.Name] {
			return fmt.Errorf("named channel %q (%d) is empty, too long, repeated or one of its mailboxes", nc.Name, nc.ID)
		}
		names[nc.Name] = true
		own[nc.ID] = true // distinct from every mailbox, checked above
	}
	for _, c := range m.Components {
		if len(c.Name) > maxNameBytes {
			return fmt.Errorf("component name of %d bytes (limit %d)", len(c.Name), maxNameBytes)
		}
		if _, ok := newStore(c.Name); !ok {
			return fmt.Errorf("component %q is not registered (world.RegisterComponent)", c.Name)
		}
	}
	if m.Tasklet == 0 {
		if m.Wait != (Wait{}) {
			return fmt.Errorf("a wait without a tasklet")
		}
		return nil
	}
	if paused, ok := tasklets[m.Tasklet]; !ok || !paused {
		return fmt.Errorf("tasklet %d is not a paused tasklet of the payload (or belongs to another entity)", m.Tasklet)
	}
	return m.Wait.check(m.Mailboxes)
}

func (wt Wait) check(mbs []MailboxSnapshot) error {
	if wt.Ticks > sim.MaxTransferTicks {
		return fmt.Errorf("%d ticks to wait (limit %d)", wt.Ticks, uint64(sim.MaxTransferTicks))
	}
	switch wt.State {
	case sim.StateRunnable, sim.StatePaused:
		if wt.Dir != 0 || wt.Channel != 0 || wt.Ticks != 0 {
			return fmt.Errorf("a %s tasklet with a channel or ticks to wait", wt.State)
		}
	case sim.StateSleeping:
		if wt.Ticks == 0 || wt.Dir != 0 || wt.Channel != 0 {
			return fmt.Errorf("a sleeping tasklet without ticks to wait, or with a channel")
		}
	case sim.StateBlocked:
		found := false
		for _, mb := range mbs {
			found = found || mb.ID == wt.Channel
		}
		switch {
		case !found:
			return fmt.Errorf("its tasklet waits on channel %d, not one of its mailboxes", wt.Channel)
		case wt.Dir != 1 && wt.Dir != -1:
			return fmt.Errorf("blocked direction %d", wt.Dir)
		case wt.Ticks != 0 && wt.Dir != -1:
			return fmt.Errorf("a deadline on a blocked send")
		}
	default:
		return fmt.Errorf("tasklet state %s cannot be imported", wt.State)
	}
	return nil
}

// Import adds the entities of a payload made by Export (in another world, or in this one
// to undo an export) and returns their ids in payload order. Call it from the main
// program between ticks. The payload is untrusted: it is decoded with c's limits and
// checked whole, and refused with an error matching ErrBadPayload (corrupt, hostile — a
// message that does not fit its mailbox's type among them — or naming an entity that is
// already here, a kind or position this world cannot take)
// before anything changes. Each entity keeps its id; its tasklet gets a new id and resumes
// where it was, its waits measured from this world's tick; its mailboxes get new channel
// ids, with their messages; channel handles in its data follow. Cost: one persist load
// plus O(size of the entities' data).
func (w *World) Import(c *persist.Codec, data []byte) ([]EntityID, error) {
	if err := w.s.CanSnapshot(); err != nil {
		return nil, fmt.Errorf("world: import: %w", err)
	}
	s, mig, err := DecodeMigration(c, data)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return w.ImportDecoded(s, mig)
}

// ImportDecoded is Import of a payload already decoded by DecodeMigration (s and mig are used up).
func (w *World) ImportDecoded(s *sim.Scheduler, mig *Migration) ([]EntityID, error) {
	if err := w.s.CanSnapshot(); err != nil {
		return nil, fmt.Errorf("world: import: %w", err)
	}
	if err := w.fits(mig); err != nil {
		return nil, fmt.Errorf("world: import: %w: %w", ErrBadPayload, err)
	}
	byID := map[sim.ID]*sim.Tasklet{}
	s.Each(func(t *sim.Tasklet) bool {
		byID[t.ID()] = t
		return true
	})
	// Every handle, component and message is checked before anything is made (again, if
	// DecodeMigration made s and mig: the mailboxes' types are needed here).
	types := make([]boxTypeSet, len(mig.Entities))
	for k := range mig.Entities {
		m := &mig.Entities[k]
		var err error
		if types[k], err = checkMigrantData(m, byID[m.Tasklet]); err != nil {
			return nil, fmt.Errorf("world: import: %w: entity %d: %w", ErrBadPayload, m.ID, err)
		}
	}
	ids := make([]EntityID, 0, len(mig.Entities))
	for k := range mig.Entities {
		m := &mig.Entities[k]
		if err := w.arrive(s, m, byID[m.Tasklet], types[k]); err != nil {
			return ids, fmt.Errorf("world: import entity %d: %w", m.ID, err) // not reached: checked above
		}
		ids = append(ids, m.ID)
	}
	return ids, nil
}

// CanImport reports what keeps the entities of a decoded payload out of w (an id already
// here, a position outside the map, an id of w's zone not issued yet, too many kinds),
// or nil: the check ImportDecoded makes first, for callers that must decide before
// they commit. Cost: O(entities).
func (w *World) CanImport(mig *Migration) error {
	if err := w.fits(mig); err != nil {
		return fmt.Errorf("world: import: %w: %w", ErrBadPayload, err)
	}
	return nil
}

// fits reports what keeps mig's entities out of w: an id already here, a position outside
// the map, or more kinds than a world has (MaxKinds: a save could not hold them).
func (w *World) fits(mig *Migration) error {
	kinds := len(w.kinds)
	newKinds := map[string]bool{}
	for _, m := range mig.Entities {
		switch {
		case w.Alive(m.ID):
			return fmt.Errorf("entity %d is already in this world", m.ID)
		case m.ID.Zone() == w.nextID.Zone() && m.ID >= w.nextID:
			return fmt.Errorf("entity %d: this world's zone %d has not issued it yet (next id %d)", m.ID, m.ID.Zone(), w.nextID)
		case m.X < 0 || m.X >= w.cfg.Width || m.Y < 0 || m.Y >= w.cfg.Height:
			return fmt.Errorf("entity %d: position (%d, %d) outside the %d×%d map", m.ID, m.X, m.Y, w.cfg.Width, w.cfg.Height)
		}
		if _, ok := w.kindIdx[m.Kind]; !ok && !newKinds[m.Kind] {
			newKinds[m.Kind] = true
			kinds++
		}
	}
	if kinds > MaxKinds {
		return fmt.Errorf("%d kinds, more than a world has (MaxKinds %d)", kinds, MaxKinds)
	}
	return nil
}

// checkMigrantData checks m's data against the payload alone: every channel handle of m
// (and of its tasklet t's frames) is one of its mailboxes or named channels, every
// component value fits its registered type, and every queued message fits its mailbox's
// type where m's data tells it (a typed handle, the AoI notify mailbox: see
// mailbox_type.go). It returns the mailboxes' types. Cost: one walk of m's data and t's
// frames, one conversion of each component value and message.
func checkMigrantData(m *Migrant, t *sim.Tasklet) (boxTypeSet, error) {
	types := boxTypeSet{}
	if m.Notify != 0 {
		types.add(m.Notify, aoiBox)
	}
	if err := checkMigrantHandles(m, t, types); err != nil {
		return nil, err
	}
	for _, c := range m.Components {
		st, _ := newStore(c.Name) // registered: checked by Migrant.check
		if err := st.load(ComponentSnapshot{IDs: []EntityID{m.ID}, Values: []any{c.Value}}); err != nil {
			return nil, fmt.Errorf("component %q: %w", c.Name, err)
		}
	}
	for _, mb := range m.Mailboxes {
		if b := types.of(mb.ID); b != nil && len(mb.Values) > 0 {
			if _, err := b.typedQueue(&loaded{vals: mb.Values}); err != nil {
				return nil, fmt.Errorf("mailbox %d (%q): %w", mb.ID, mb.Name, err)
			}
		}
	}
	return types, nil
}

// checkMigrantHandles checks that every channel handle of m (and its tasklet t) is one of
// its mailboxes or named channels, and adds the typed mailbox handles to types.
func checkMigrantHandles(m *Migrant, t *sim.Tasklet, types boxTypeSet) error {
	known := map[sim.ChanID]bool{}
	for _, mb := range m.Mailboxes {
		known[mb.ID] = true
	}
	for _, nc := range m.Named {
		known[nc.ID] = true
	}
	f := func(ch sim.ChanID) (sim.ChanID, error) {
		if !known[ch] {
			return ch, fmt.Errorf("channel %d is neither one of its mailboxes nor a named channel it lists", ch)
		}
		return ch, nil
	}
	return mapTaskletData(m, t, handleWalker{f: f, box: types.add})
}

// mapTaskletData maps the handles in t's frames and in m's data with h.
func mapTaskletData(m *Migrant, t *sim.Tasklet, h handleWalker) error {
	if t != nil {
		k := 0
		var err error
		t.Frames(func(fr sim.Frame, _ sim.PC) bool {
			if err = h.walk(reflect.ValueOf(&fr).Elem(), 0); err != nil {
				err = fmt.Errorf("frame %d (%T): %w", k, fr, err)
			}
			k++
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	return mapMigrantData(m, h)
}

// arrive adds checked migrant m, with its tasklet t of the payload's scheduler and its
// mailboxes' types, to w.
func (w *World) arrive(s *sim.Scheduler, m *Migrant, t *sim.Tasklet, types boxTypeSet) error {
	remap := make(map[sim.ChanID]sim.ChanID, len(m.Mailboxes)+len(m.Named))
	for _, mb := range m.Mailboxes {
		remap[mb.ID] = w.s.NewChannel().ID()
	}
	for _, nc := range m.Named {
		remap[nc.ID] = Chan[any](w, nc.Name).ID()
	}
	f := func(ch sim.ChanID) (sim.ChanID, error) { return remap[ch], nil }
	var tr sim.Transfer
	if t != nil {
		var err error
		if tr, err = s.Release(t); err != nil {
			return err
		}
		for k := range tr.Frames {
			if err := mapHandles(reflect.ValueOf(&tr.Frames[k].Frame).Elem(), f); err != nil {
				return err
			}
		}
		if err := mapHandles(reflect.ValueOf(&tr.TempVal).Elem(), f); err != nil {
			return err
		}
	}
	if err := mapMigrantData(m, handleWalker{f: f}); err != nil {
		return err
	}
	for _, mb := range m.Mailboxes {
		var q mailQueue = &loaded{vals: mb.Values, mailInfo: mailInfo{owner: m.ID, name: mb.Name}}
		if b := types.of(mb.ID); b != nil {
			if tq, err := b.typedQueue(q.(*loaded)); err == nil { // checked by ImportDecoded
				q = tq
			}
		}
		w.setMail(remap[mb.ID], q)
	}
	w.touch()
	i := len(w.ents)
	w.idx.set(m.ID, int32(i))
	w.ents = append(w.ents, Entity{ID: m.ID, Kind: w.Kind(m.Kind), State: m.State, Pos: Vec{m.X, m.Y},
		Vel: Vec{m.VX, m.VY}, Interest: m.Interest, Notify: remap[m.Notify]})
	w.tasks = append(w.tasks, nil)
	if m.Interest > 0 {
		w.ents[i].Interest = 0
		w.SetInterest(m.ID, m.Interest, Mailbox[AoIEvent]{ID: remap[m.Notify]})
	}
	for _, c := range m.Components {
		store, ok := w.comps[c.Name]
		if !ok {
			store, _ = newStore(c.Name) // registered: checked
			w.comps[c.Name] = store
		}
		_ = store.load(ComponentSnapshot{IDs: []EntityID{m.ID}, Values: []any{c.Value}}) // checked by ImportDecoded
	}
	w.emit(Event{Type: EventSpawn, Entity: m.ID})
	if t == nil {
		return nil
	}
	tr.State, tr.Dir, tr.Channel, tr.Ticks = m.Wait.State, m.Wait.Dir, remap[m.Wait.Channel], m.Wait.Ticks
	nt, err := w.s.Adopt(tr)
	if err != nil {
		return err
	}
	w.ents[i].Tasklet, w.tasks[i] = nt.ID(), nt
	return nil
}
