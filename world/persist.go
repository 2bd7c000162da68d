package world

import (
	"errors"
	"fmt"
	"os"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

// SectionName is the name of the world's section in a snapshot.
const SectionName = "world"

func init() {
	persist.Register[IndexSnapshot]("world.IndexState") // before Snapshot, which points to it
	persist.Register[Snapshot]("world.State")           // the name is the format's: it stays
	persist.Register[AoIEvent]("world.AoIEvent")
	persist.Register[Exit]("world.Exit")
	persist.RegisterPackageUpgrade("world", 1, upgradeInterestCap)
}

// upgradeInterestCap upgrades a world section of schema 1 to schema 2, which saves
// Config.InterestCap: an older save records no cap, so the loading config's applies
// (InterestCapNotSaved), as it did before.
func upgradeInterestCap(r *persist.Raw) error {
	for _, sec := range r.Sections {
		if v := sec.Value; v != nil && (v.Type == "world.State" || v.Type == "*world.State") {
			if st, ok := v.Value.(*persist.RawStruct); ok {
				st.Set("InterestCap", int64(InterestCapNotSaved))
			}
		}
	}
	return nil
}

// persistCodec is the persist snapshot format as a Codec: the scheduler's image plus the
// world's Snapshot in the section "world".
type persistCodec struct{ c *persist.Codec }

// NewCodec returns the Codec that saves worlds with c (persist.DefaultOptions().Codec()).
func NewCodec(c *persist.Codec) Codec { return persistCodec{c} }

// DefaultCodec returns NewCodec of a persist codec with the default options.
func DefaultCodec() Codec {
	c, err := persist.DefaultOptions().Codec()
	if err != nil {
		panic(err) // the defaults are valid
	}
	return persistCodec{c}
}

func (p persistCodec) Encode(s *sim.Scheduler, st *Snapshot) ([]byte, *persist.Report, error) {
	return p.c.Save(s, persist.Section{Name: SectionName, Value: st})
}

func (p persistCodec) Decode(data []byte) (*sim.Scheduler, *Snapshot, error) {
	s, snap, err := p.c.Load(data, sim.RestoreOptions{})
	if err != nil {
		return nil, nil, err
	}
	st, ok := snap.Section(SectionName).(*Snapshot)
	if !ok {
		if v := snap.Section(SectionName); v != nil {
			return nil, nil, fmt.Errorf("world: load: section %q holds a %T, not a world.Snapshot", SectionName, v)
		}
		return nil, nil, errors.New(`world: load: the snapshot has no "world" section (it was not saved by World.Save)`)
	}
	return s, st, nil
}

// SaveFile saves the world with c to path atomically (a crash leaves the old file or the
// new one, never a mix) and returns the Report of what was saved (Report.Bytes is the
// file's size; Report.Omitted lists the hard tasklets left out).
func (w *World) SaveFile(c Codec, path string) (*persist.Report, error) {
	data, rep, err := w.SaveReport(c)
	if err != nil {
		return nil, err
	}
	if err := persist.WriteFileAtomic(path, data); err != nil {
		return nil, err
	}
	return rep, nil
}

// MaxFileBytes is the largest snapshot file LoadFile reads.
const MaxFileBytes = 1 << 30

// LoadFile loads the world saved in path with c (see Restore for cfg).
func LoadFile(c Codec, path string, cfg Config) (*World, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("world: load: %w", err) // the PathError names the file
	}
	if fi.Size() > MaxFileBytes {
		return nil, fmt.Errorf("world: load %s: %d bytes, more than the limit of %d", path, fi.Size(), MaxFileBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("world: load: %w", err)
	}
	w, err := Load(c, data, cfg)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return w, nil
}
