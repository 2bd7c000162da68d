package world_test

import (
	"encoding/binary"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// FuzzImport feeds Import a mutated real migration payload (a diver three frames deep,
// exported at several points of its life, with mail queued): a refused payload must leave
// the target world exactly as it was (same deep checksum), an accepted one must leave a
// scheduler whose invariants hold, whose entities can leave again and which ticks.
func FuzzImport(f *testing.F) {
	for _, at := range []int{0, 3, 7} {
		f.Add(exportAt(f, at))
	}
	c, err := persist.DefaultOptions().Codec()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) { importChecked(t, c, data) })
}

// importChecked imports data into a small world: a refusal must leave it as it was (same
// deep checksum); an acceptance must keep the scheduler's invariants, tick, and let every
// imported entity still alive leave again.
func importChecked(t *testing.T, c *persist.Codec, data []byte) {
	b := newWorld(t, world.Config{Seed: 2, Zone: 2})
	b.NewEntity(b.Kind("tree"), world.Vec{X: 5, Y: 5})
	tick(t, b, 2)
	before, err := b.DeepChecksum()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := b.Import(c, data)
	if err != nil {
		after, err2 := b.DeepChecksum()
		if err2 != nil {
			t.Fatalf("refused (%v), then no deep checksum: %v", err, err2)
		}
		if after != before {
			t.Fatalf("refused (%v) but the world changed: deep checksum %x, was %x", err, after, before)
		}
		return
	}
	if err := b.Scheduler().CheckInvariants(); err != nil {
		t.Fatalf("accepted %v, invariants broken: %v", ids, err)
	}
	tick(t, b, 3)
	for _, id := range ids {
		if !b.Alive(id) {
			continue // it may have finished
		}
		if _, err := b.Export(c, []world.EntityID{id}); err != nil {
			t.Fatalf("accepted entity %d cannot leave: %v", id, err)
		}
	}
}

// exportAt is the payload of a diver exported after n ticks, with one message queued.
func exportAt(tb testing.TB, n int) []byte {
	a, err := world.New(world.Config{Seed: 1, Zone: 1, Logger: quiet(), UnsavedFrames: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer a.Close()
	rock := a.Kind("rock")
	a.NewEntity(rock, world.Vec{X: 1, Y: 1})
	id := a.NewEntity(a.Kind("diver"), world.Vec{X: 10, Y: 20})
	in := world.NewMailbox[string](a, id, "inbox")
	Home.Set(a, id, in.ID)
	if _, err := a.Attach(id, &diver{Self: id, Inbox: in, Depth: 3}); err != nil {
		tb.Fatal(err)
	}
	for range n {
		if err := a.Tick(); err != nil {
			tb.Fatal(err)
		}
	}
	in.Post(a, "hello")
	c, err := persist.DefaultOptions().Codec()
	if err != nil {
		tb.Fatal(err)
	}
	data, err := a.Export(c, []world.EntityID{id})
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// FuzzImportEdited decodes a real payload, changes fields of its migration section as the
// fuzzer's bytes say (ids, kinds, positions, the tasklet and its wait, mailbox ids, owners
// and messages, the notify mailbox, named channels), encodes it again with a good checksum
// and imports it: byte flips mostly fail the checksum, this reaches Import's checks. The
// properties are FuzzImport's.
func FuzzImportEdited(f *testing.F) {
	c, err := persist.DefaultOptions().Codec()
	if err != nil {
		f.Fatal(err)
	}
	base := exportAt(f, 3)
	f.Add([]byte{})
	for op := range byte(importEdits) {
		f.Add([]byte{op, 0, 0, 0, 0, 0, 0, 0, 1})
		f.Add([]byte{op, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		f.Add([]byte{op, 2, 0, 0, 0, 0, 0, 0, 0, op + 1, 0, 0, 0, 0, 0, 0, 0, 7})
	}
	f.Fuzz(func(t *testing.T, edits []byte) {
		s, mig, err := world.DecodeMigration(c, base)
		if err != nil {
			t.Fatal(err)
		}
		for len(edits) >= 9 {
			editMigration(mig, edits[0], binary.LittleEndian.Uint64(edits[1:9]))
			edits = edits[9:]
		}
		data, _, err := c.Save(s, persist.Section{Name: world.MigrationSection, Value: mig})
		s.Close()
		if err != nil {
			return // Save refuses what Load would
		}
		importChecked(t, c, data)
	})
}

// importEdits is the number of edits editMigration knows.
const importEdits = 16

// editMigration changes one field of mig's first entity (op) to a value made of v.
func editMigration(mig *world.Migration, op byte, v uint64) {
	if len(mig.Entities) == 0 {
		return
	}
	m := &mig.Entities[0]
	switch op % importEdits {
	case 0:
		m.ID = world.EntityID(v)
	case 1:
		m.Kind = string(rune(v))
	case 2:
		m.X, m.Y = int32(v), int32(v>>32)
	case 3:
		m.Tasklet = sim.ID(v)
	case 4:
		m.Wait.State = sim.State(v)
	case 5:
		m.Wait.Dir = int8(v)
	case 6:
		m.Wait.Channel = sim.ChanID(v)
	case 7:
		m.Wait.Ticks = v
	case 8:
		if len(m.Mailboxes) > 0 {
			m.Mailboxes[v%uint64(len(m.Mailboxes))].ID = sim.ChanID(v >> 8)
		}
	case 9:
		if len(m.Mailboxes) > 0 {
			m.Mailboxes[v%uint64(len(m.Mailboxes))].Owner = world.EntityID(v >> 8)
		}
	case 10:
		if len(m.Mailboxes) > 0 {
			mb := &m.Mailboxes[v%uint64(len(m.Mailboxes))]
			mb.Values = append(mb.Values, int64(v)) // a message of another type than the box's
		}
	case 11:
		m.Notify = sim.ChanID(v)
	case 12:
		if len(m.Mailboxes) <= world.MaxMigrantMailboxes { // past the limit once, not 2^200 times
			m.Mailboxes = append(m.Mailboxes, m.Mailboxes...) // duplicate ids and names
		}
	case 13:
		m.Named = append(m.Named, world.NamedChannel{Name: string(rune(v & 0xffff)), ID: sim.ChanID(v >> 16)})
	case 14:
		mig.Entities = append(mig.Entities, *m) // the same entity twice
	case 15:
		m.VX, m.VY, m.Interest, m.State = int32(v), int32(v>>16), int32(v>>32), uint16(v>>48)
	}
}
