package world_test

import (
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// migLog is the trace the migrating entities write (tests run one world pair at a time).
var migLog []string

func migf(format string, a ...any) { migLog = append(migLog, fmt.Sprintf(format, a...)) }

// Home is a component that holds a channel handle: it must follow the entity.
var Home = world.RegisterComponent[sim.ChanID]("world_test.Home")

func init() {
	persist.Register[diver]("world_test.diver", "enter", "wait", "woke", "back")
}

// diver descends Depth frames, then takes three messages from its mailbox one at a time,
// waiting with a timeout and sleeping between them, and logs on the way back up: whenever
// it waits it is Depth frames deep.
type diver struct {
	Self         world.EntityID
	Inbox        world.Mailbox[string]
	Depth, Level int
	Got          int
}

const (
	diveEnter sim.PC = iota
	diveWait
	diveWoke
	diveBack
)

func (f *diver) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	switch t.At() {
	case diveEnter:
		if f.Level < f.Depth {
			return t.Call(&diver{Self: f.Self, Inbox: f.Inbox, Depth: f.Depth, Level: f.Level + 1}).Then(diveBack)
		}
		fallthrough
	case diveWait:
		if m, ok := f.Inbox.TryTake(w); ok {
			f.Got++
			migf("tick %d: entity %d level %d took %q (%d), home %v", w.Now(), f.Self, f.Level, m, f.Got, homeOK(w, f))
			if f.Got == 3 {
				return t.Return()
			}
			return t.Sleep(2).Then(diveWait)
		}
		return f.Inbox.WaitFor(t, 5).Then(diveWoke)
	case diveWoke:
		if f.Inbox.TimedOut(t) {
			migf("tick %d: entity %d level %d timed out", w.Now(), f.Self, f.Level)
		}
		return t.Goto(diveWait)
	case diveBack:
		migf("tick %d: entity %d leaves level %d", w.Now(), f.Self, f.Level)
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// homeOK reports whether the entity's Home component still names its own inbox.
func homeOK(w *world.World, f *diver) bool {
	h, ok := Home.Get(w, f.Self)
	return ok && h == f.Inbox.ID
}

func migCodec(t *testing.T) *persist.Codec {
	t.Helper()
	c, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	return c
}

// spawnDiver adds a diver entity (after `pad` other entities, so that ids differ from the
// other world's).
func spawnDiver(t *testing.T, w *world.World, pad int) world.EntityID {
	t.Helper()
	rock := w.Kind("rock")
	for range pad {
		w.NewEntity(rock, world.Vec{X: 1, Y: 1})
	}
	id := w.NewEntity(w.Kind("diver"), world.Vec{X: 10, Y: 20})
	in := world.NewMailbox[string](w, id, "inbox")
	Home.Set(w, id, in.ID)
	_, err := w.Attach(id, &diver{Self: id, Inbox: in, Depth: 3})
	require.NoError(t, err)
	return id
}

// post sends msg to entity id's inbox in whichever world holds it.
func post(t *testing.T, id world.EntityID, msg string, ws ...*world.World) {
	t.Helper()
	for _, w := range ws {
		if mb := w.MailboxOf(id, "inbox"); mb != 0 {
			require.True(t, world.Mailbox[string]{ID: mb}.Post(w, msg))
			return
		}
	}
	t.Fatalf("entity %d is in no world", id)
}

// mails are the ticks (boundaries before them) at which the diver gets mail.
var mails = map[uint64]string{6: "a", 13: "b", 14: "c"}

func TestMigratedEntityBehavesAsIfItStayed(t *testing.T) {
	migLog = nil
	stay := newWorld(t, world.Config{Seed: 1, Zone: 1})
	id := spawnDiver(t, stay, 4)
	for stay.Now() < 30 {
		if m, ok := mails[stay.Now()]; ok {
			post(t, id, m, stay)
		}
		tick(t, stay, 1)
	}
	want := migLog
	require.Len(t, want, 7, "a timeout, three messages, three levels left: %q", want)

	c := migCodec(t)
	for _, moves := range [][]uint64{{0}, {1}, {3}, {6}, {7}, {9}, {13}, {14}, {3, 9}, {7, 8, 13, 14, 15}} {
		t.Run(fmt.Sprint(moves), func(t *testing.T) {
			migLog = nil
			a := newWorld(t, world.Config{Seed: 1, Zone: 1})
			b := newWorld(t, world.Config{Seed: 2, Zone: 2})
			b.NewEntity(b.Kind("tree"), world.Vec{X: 5, Y: 5})
			require.Equal(t, id, spawnDiver(t, a, 4))
			from, to := a, b
			for a.Now() < 30 {
				if m, ok := mails[a.Now()]; ok {
					post(t, id, m, a, b)
				}
				if len(moves) > 0 && moves[0] == a.Now() {
					moves = moves[1:]
					data, err := from.Export(c, []world.EntityID{id})
					require.NoError(t, err)
					require.False(t, from.Alive(id))
					require.Zero(t, from.MailboxOf(id, "inbox"))
					got, err := to.Import(c, data)
					require.NoError(t, err)
					require.Equal(t, []world.EntityID{id}, got)
					require.NoError(t, to.Scheduler().CheckInvariants())
					require.NoError(t, from.Scheduler().CheckInvariants())
					from, to = to, from
				}
				tick(t, a, 1)
				tick(t, b, 1)
			}
			require.Equal(t, want, migLog)
		})
	}
}

// worldShape is what a refused import must leave as it was.
func worldShape(w *world.World) string {
	return fmt.Sprintf("%d entities, %v, %d mailboxes, next ids %v", w.Len(), w.Scheduler().Counts(), len(w.Mailboxes()), fmt.Sprint(w.Scheduler().NextIDs()))
}

func exportOne(t *testing.T) (world.EntityID, []byte) {
	t.Helper()
	a := newWorld(t, world.Config{Seed: 1, Zone: 1})
	id := spawnDiver(t, a, 2)
	tick(t, a, 3)
	data, err := a.Export(migCodec(t), []world.EntityID{id})
	require.NoError(t, err)
	return id, data
}

func TestImportRefusesCorruptPayloads(t *testing.T) {
	c := migCodec(t)
	_, data := exportOne(t)
	b := newWorld(t, world.Config{Seed: 2, Zone: 2})
	tick(t, b, 2)
	before := worldShape(b)
	for n := 0; n < len(data); n += 7 {
		_, err := b.Import(c, data[:n])
		require.ErrorIs(t, err, world.ErrBadPayload, "truncated to %d bytes", n)
		require.Equal(t, before, worldShape(b))
	}
	accepted := 0
	for i := range data {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x5a
		ids, err := b.Import(c, bad)
		if err != nil {
			require.ErrorIs(t, err, world.ErrBadPayload, "byte %d flipped", i)
			require.Equal(t, before, worldShape(b), "byte %d flipped", i)
			continue
		}
		// A flip that still decodes (a changed position, message, tick count) is a
		// different but valid entity: it must be whole.
		accepted++
		require.NoError(t, b.Scheduler().CheckInvariants(), "byte %d flipped", i)
		for _, id := range ids {
			_, err := b.Export(c, []world.EntityID{id})
			require.NoError(t, err, "byte %d flipped: the import can leave again", i)
		}
		require.Equal(t, 0, b.Len())
		before = worldShape(b) // ids are not reused: the next ones moved on
	}
	t.Logf("%d of %d single-byte flips decode to a valid entity", accepted, len(data))
}

func TestImportRefusesDuplicatesAndStrangers(t *testing.T) {
	c := migCodec(t)
	id, data := exportOne(t)
	b := newWorld(t, world.Config{Seed: 2, Zone: 2})
	_, err := b.Import(c, data)
	require.NoError(t, err)
	before := worldShape(b)
	_, err = b.Import(c, data)
	require.ErrorIs(t, err, world.ErrBadPayload)
	require.EqualError(t, err, fmt.Sprintf("world: import: bad migration payload: entity %d is already in this world", id))
	require.Equal(t, before, worldShape(b))

	_, err = b.Import(c, mustSaveMigrant(t, c, nil, nil))
	require.EqualError(t, err, `world: import: bad migration payload: no "migration" section holding a world.Migration`)
	small := newWorld(t, world.Config{Seed: 2, Zone: 2, Width: 8, Height: 8})
	_, err = small.Import(c, data)
	require.EqualError(t, err, fmt.Sprintf("world: import: bad migration payload: entity %d: position (10, 20) outside the 8×8 map", id))
}

// mustSaveMigrant encodes a hand-made payload: a scheduler of the given paused frames and mig.
func mustSaveMigrant(t *testing.T, c *persist.Codec, frames []sim.Frame, mig *world.Migration) []byte {
	t.Helper()
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	for _, f := range frames {
		s.SpawnPaused(f)
	}
	var secs []persist.Section
	if mig != nil {
		secs = append(secs, persist.Section{Name: world.MigrationSection, Value: mig})
	}
	data, _, err := c.Save(s, secs...)
	require.NoError(t, err)
	return data
}

func TestImportRefusesCraftedPayloads(t *testing.T) {
	c := migCodec(t)
	b := newWorld(t, world.Config{Seed: 2, Zone: 2})
	inbox := []world.MailboxSnapshot{{ID: 7, Owner: 9, Name: "inbox"}}
	good := func() world.Migrant {
		return world.Migrant{ID: 9, Kind: "diver", X: 1, Y: 1, Tasklet: 2, Mailboxes: inbox,
			Wait: world.Wait{State: sim.StateBlocked, Dir: -1, Channel: 7, Ticks: 3}}
	}
	frame := func(ch sim.ChanID) []sim.Frame {
		return []sim.Frame{&diver{Self: 9, Inbox: world.Mailbox[string]{ID: ch}, Depth: 1}}
	}
	for _, c2 := range []struct {
		frames []sim.Frame
		edit   func(m *world.Migrant)
		want   string
	}{
		{frame(7), func(m *world.Migrant) {}, ""},
		{frame(8), func(m *world.Migrant) {}, "entity 9: frame 0 (*world_test.diver): channel 8 is neither one of its mailboxes nor a named channel it lists"},
		{frame(7), func(m *world.Migrant) { m.Wait.Channel = 8 }, "entity 9: its tasklet waits on channel 8, not one of its mailboxes"},
		{frame(7), func(m *world.Migrant) { m.Wait = world.Wait{State: sim.StateSleeping} }, "entity 9: a sleeping tasklet without ticks to wait, or with a channel"},
		{frame(7), func(m *world.Migrant) { m.Wait = world.Wait{State: sim.StateDead} }, "entity 9: tasklet state dead cannot be imported"},
		{frame(7), func(m *world.Migrant) { m.Tasklet = 0 }, "entity 9: a wait without a tasklet"},
		{frame(7), func(m *world.Migrant) { m.Tasklet, m.Wait = 0, world.Wait{} }, "1 tasklets belong to no entity"},
		{frame(7), func(m *world.Migrant) { m.Tasklet = 3 }, "entity 9: tasklet 3 is not a paused tasklet of the payload (or belongs to another entity)"},
		{frame(7), func(m *world.Migrant) { m.Mailboxes = []world.MailboxSnapshot{{ID: 7, Owner: 4}} }, "entity 9: mailbox 7 is owned by entity 4"},
		{frame(7), func(m *world.Migrant) { m.Notify = 3 }, "entity 9: AoI notify channel 3 is not one of its mailboxes"},
		{frame(7), func(m *world.Migrant) { m.Components = []world.EntityComponent{{Name: "nope"}} }, `entity 9: component "nope" is not registered (world.RegisterComponent)`},
		{frame(7), func(m *world.Migrant) { m.Components = []world.EntityComponent{{Name: Home.Name(), Value: "x"}} }, `entity 9: component "world_test.Home": entity 9: saved message of type string does not fit sim.ChanID`},
		{frame(7), func(m *world.Migrant) {
			m.Mailboxes = []world.MailboxSnapshot{{ID: 7, Owner: 9, Name: "inbox", Values: []any{"hi", "ho"}}}
		}, ""},
		{frame(7), func(m *world.Migrant) {
			m.Mailboxes = []world.MailboxSnapshot{{ID: 7, Owner: 9, Name: "inbox", Values: []any{"hi", uint64(5)}}}
		}, `entity 9: mailbox 7 ("inbox"): message 1: saved message of type uint64 does not fit string`},
		{frame(7), func(m *world.Migrant) {
			m.Mailboxes = append(m.Mailboxes, world.MailboxSnapshot{ID: 6, Owner: 9, Name: "aoi", Values: []any{"junk"}})
			m.Notify = 6
		}, `entity 9: mailbox 6 ("aoi"): message 0: saved message of type string does not fit world.AoIEvent`},
		{frame(7), func(m *world.Migrant) { m.ID = 0 }, "entity 0: id with serial 0 out of range [1, 281474976710654]"},
		{frame(7), func(m *world.Migrant) { m.Wait.Ticks = 1 << 50 }, "entity 9: 1125899906842624 ticks to wait (limit 281474976710656)"},
	} {
		m := good()
		c2.edit(&m)
		before := worldShape(b)
		ids, err := b.Import(c, mustSaveMigrant(t, c, c2.frames, &world.Migration{Version: world.MigrationVersion, Entities: []world.Migrant{m}}))
		if c2.want == "" {
			require.NoError(t, err)
			_, err = b.Export(c, ids)
			require.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, world.ErrBadPayload)
		require.Equal(t, "world: import: bad migration payload: "+c2.want, err.Error())
		require.Equal(t, before, worldShape(b))
	}
}

// waiter waits on a named channel: not its own, so its entity is pinned while it waits.
type waiter struct{ Ch sim.Chan[int] }

func (f *waiter) Step(t *sim.T) sim.Op {
	if t.At() == 0 {
		return f.Ch.Recv(t).Then(1)
	}
	return t.Return()
}

func init() { persist.Register[waiter]("world_test.waiter", "recv", "got") }

func TestExportRefusesPinnedEntities(t *testing.T) {
	c := migCodec(t)
	a := newWorld(t, world.Config{Seed: 1})
	k := a.Kind("w")
	named := world.Chan[int](a, "market")
	blocked := a.NewEntity(k, world.Vec{})
	_, _ = a.Attach(blocked, &waiter{Ch: named})
	stranger := a.NewEntity(k, world.Vec{})
	other := world.NewMailbox[string](a, 0, "nobody's")
	_, _ = a.Attach(stranger, &diver{Self: stranger, Inbox: other, Depth: 1})
	holder := a.NewEntity(k, world.Vec{})
	own := world.NewMailbox[string](a, holder, "inbox")
	_, _ = a.Attach(holder, &diver{Self: holder, Inbox: own, Depth: 1})
	Home.Set(a, holder, named.ID()) // a named channel in a component moves by name
	tick(t, a, 1)

	before := worldShape(a)
	_, err := a.Export(c, []world.EntityID{holder, blocked})
	require.ErrorIs(t, err, world.ErrPinned)
	require.EqualError(t, err, `world: export entity 1: entity is pinned to its world: tasklet 2 waits on channel 1 "market", which is not the entity's own`)
	var pe *world.PinnedError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, world.PinnedError{Entity: blocked, Tasklet: 2, Channel: named.ID(), Reason: `tasklet 2 waits on channel 1 "market", which is not the entity's own`}, *pe)
	_, err = a.Export(c, []world.EntityID{stranger})
	require.EqualError(t, err, `world: export entity 2: entity is pinned to its world: tasklet 3 waits on channel 2 "nobody's", which is not the entity's own`)
	require.Equal(t, before, worldShape(a), "nothing left")

	keeper := a.NewEntity(k, world.Vec{}) // no tasklet: a component holds another's mailbox
	Home.Set(a, keeper, other.ID)
	err = a.CanExport(keeper)
	require.ErrorIs(t, err, world.ErrPinned)
	require.EqualError(t, err, `world: export entity 4: entity is pinned to its world: component "world_test.Home": channel 2 "nobody's" is neither one of the entity's mailboxes nor a named channel`)
	require.ErrorAs(t, err, &pe)
	require.Equal(t, []any{keeper, sim.ID(0), other.ID}, []any{pe.Entity, pe.Tasklet, pe.Channel})
	a.Despawn(keeper)

	owner := a.NewEntity(k, world.Vec{}) // no tasklet: another entity's tasklet waits on its mailbox
	box := world.NewMailbox[string](a, owner, "box")
	visitor := a.NewEntity(k, world.Vec{})
	vt, _ := a.Attach(visitor, &diver{Self: visitor, Inbox: box, Depth: 1})
	tick(t, a, 1)
	err = a.CanExport(owner)
	require.EqualError(t, err, fmt.Sprintf(`world: export entity %d: entity is pinned to its world: tasklet %d, not the entity's, waits on its mailbox %d "box"`, owner, vt.ID(), box.ID))
	require.ErrorAs(t, err, &pe)
	require.Equal(t, []any{owner, sim.ID(0), box.ID}, []any{pe.Entity, pe.Tasklet, pe.Channel})
	require.NoError(t, a.CanExport(holder))

	data, err := a.Export(c, []world.EntityID{holder})
	require.NoError(t, err)
	b := newWorld(t, world.Config{Seed: 2, Zone: 2})
	world.NewMailbox[int](b, 0, "shifts ids")
	_, err = b.Import(c, data)
	require.NoError(t, err)
	h, _ := Home.Get(b, holder)
	require.Equal(t, world.Chan[int](b, "market").ID(), h, "the named channel is found by name")
	require.NotEqual(t, named.ID(), h)
}

// TestImportRefusesAKindPastMaxKinds: a world that has MaxKinds kinds takes no entity of a
// new kind (a save could not hold it); it once took it as kind 65535, AnyKind.
func TestImportRefusesAKindPastMaxKinds(t *testing.T) {
	_, data := exportOne(t)
	b := newWorld(t, world.Config{Seed: 2, Zone: 2})
	for i := range world.MaxKinds {
		b.Kind(fmt.Sprint("k", i))
	}
	_, err := b.Import(migCodec(t), data)
	require.ErrorIs(t, err, world.ErrBadPayload)
	require.ErrorContains(t, err, "65536 kinds, more than a world has (MaxKinds 65535)")
	require.Len(t, b.Kinds(), world.MaxKinds)
}
