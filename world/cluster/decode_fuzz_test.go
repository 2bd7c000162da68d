package cluster

import (
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// These fuzzers feed what a zone reads from NATS and from its KV buckets to the decoders
// and the code that acts on the decoded values, seeded with real encodings.

// FuzzDecodeEnvelope: a migration envelope from the stream is refused or checked whole.
func FuzzDecodeEnvelope(f *testing.F) {
	e := envelope{ID: "z1-1", From: "z1", To: "z2", Tick: 7, Epochs: []uint64{1, 2}, Revs: []uint64{3, 4}, Payload: []byte{0xa0}}
	b, err := e.encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEnvelope(b, "z2")
		if err != nil {
			return
		}
		if e.To != "z2" || e.From == "z2" || len(e.Epochs) != len(e.Revs) || len(e.Epochs) > world.MaxMigrants {
			t.Fatalf("accepted %+v", e)
		}
	})
}

// FuzzDecodeOwner: a directory entry is an owner with a zone, or an error.
func FuzzDecodeOwner(f *testing.F) {
	f.Add(Owner{Zone: "z1", Epoch: 3}.encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		if o, err := decodeOwner(b); err == nil && o.Zone == "" {
			t.Fatalf("accepted an owner without a zone from %q", b)
		}
	})
}

// mapEntry is a put of the zone map's key with value b, as the bucket's watcher gives it.
type mapEntry struct{ b []byte }

func (e mapEntry) Bucket() string                  { return ZonesBucket }
func (e mapEntry) Key() string                     { return "map" }
func (e mapEntry) Value() []byte                   { return e.b }
func (e mapEntry) Revision() uint64                { return 2 }
func (e mapEntry) Created() time.Time              { return time.Time{} }
func (e mapEntry) Delta() uint64                   { return 0 }
func (e mapEntry) Operation() jetstream.KeyValueOp { return jetstream.KeyValuePut }

// FuzzZoneMap: a zone map read from the bucket (takeMap) answers ZoneAt for every x
// with one of its regions' names.
func FuzzZoneMap(f *testing.F) {
	b, _ := json.Marshal(ZoneMap{Width: 4096, Regions: []string{"z1", "z2", "z3"}})
	f.Add(b, int32(2000))
	f.Add(b, int32(-1))
	f.Fuzz(func(t *testing.T, b []byte, x int32) {
		z := &Zone{log: slog.New(slog.DiscardHandler)}
		z.zmap.Store(&ZoneMap{Width: 4096, Regions: []string{"z1", "", "z3"}})
		z.takeMap(mapEntry{b})
		m := z.Map()
		r := m.RegionOf(x)
		if r < 0 || r >= len(m.Regions) {
			t.Fatalf("map %q: x %d in region %d of %d", b, x, r, len(m.Regions))
		}
		_ = m.ZoneAt(x)
	})
}

// FuzzJournalEntry: a journal entry read back on recovery is decoded and its lists are
// checked before recoverOut indexes them.
func FuzzJournalEntry(f *testing.F) {
	b, _ := json.Marshal(journalEntry{ID: "z1-1", To: "z2", IDs: []world.EntityID{5}, Epochs: []uint64{1}, Revs: []uint64{9}, Seq: 4})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var j journalEntry
		if json.Unmarshal(b, &j) != nil {
			return
		}
		z := &Zone{w: fuzzWorld(t)}
		defer z.w.Close()
		if len(j.Epochs) != len(j.IDs) || len(j.Revs) != len(j.IDs) || j.ID == "" {
			if err := z.recoverOut(t.Context(), j); err != nil {
				t.Fatalf("recoverOut of a foreign entry %+v: %v", j, err)
			}
		}
	})
}

// fuzzWorld is a world with entity 1 and its "inbox" of strings.
func fuzzWorld(tb testing.TB) *world.World {
	w, err := world.New(world.Config{Seed: 1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	id := w.NewEntity(w.Kind("sheep"), world.Vec{X: 1, Y: 1})
	if id != 1 {
		tb.Fatalf("entity %d, want 1", id)
	}
	world.NewMailbox[string](w, id, "inbox")
	return w
}

// FuzzLetter: a letter from the mail stream is decoded and posted (z.post) to an entity
// of the world: a bad letter is refused (mailBad) or dropped, never posted half.
func FuzzLetter(f *testing.F) {
	codec, err := persist.DefaultOptions().Codec()
	if err != nil {
		f.Fatal(err)
	}
	s := sim.NewScheduler(sim.Options{})
	v, _, err := codec.Save(s, persist.Section{Name: "mail", Value: "hello"})
	s.Close()
	if err != nil {
		f.Fatal(err)
	}
	b, err := cbor.Marshal(letter{From: 9, Seq: 1, To: 1, Box: "inbox", Value: v})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var l letter
		if letterDec.Unmarshal(b, &l) != nil {
			return
		}
		w := fuzzWorld(t)
		defer w.Close()
		z := &Zone{w: w, cfg: Config{Codec: codec}, log: slog.New(slog.DiscardHandler)}
		z.post(l)
		if err := w.Scheduler().CheckInvariants(); err != nil {
			t.Fatal(err)
		}
		if err := w.Tick(); err != nil {
			t.Fatal(err)
		}
	})
}
