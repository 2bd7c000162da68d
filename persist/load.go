package persist

import (
	"errors"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
	"github.com/stackworld/stackworld/sim"
)

// Load decodes a snapshot into a new scheduler (sim.Options{}; see LoadInto for others).
// Restored tasklets come back as saved, or paused with ro.Paused as Stackless's unpickling
// does (blocked ones stay blocked on their restored channels, in queue order). Snapshots of
// an older schema are upgraded (RegisterUpgrade). The same bytes load any number of times.
// Load checks all of data before building anything; bad input gives a *LoadError naming
// what is wrong and never panics.
func (c *Codec) Load(data []byte, ro sim.RestoreOptions) (*sim.Scheduler, *Snapshot, error) {
	s := sim.NewScheduler(sim.Options{})
	snap, err := c.load(s, data, ro, "")
	if err != nil {
		return nil, nil, err
	}
	return s, snap, nil
}

// LoadInto is Load into s, which must be new (sim.NewScheduler, nothing spawned): for
// callers that choose the scheduler's options.
func (c *Codec) LoadInto(s *sim.Scheduler, data []byte, ro sim.RestoreOptions) (*Snapshot, error) {
	return c.load(s, data, ro, "")
}

// Raw decodes data into its generic form, without registered types and without upgrades:
// for tools (inspect, diff) and tests. The limits apply as for Load.
func (c *Codec) Raw(data []byte) (*Raw, error) {
	raw, err := c.raw(data)
	if err != nil {
		return nil, err
	}
	return raw, nil
}

func (c *Codec) raw(data []byte) (*Raw, error) {
	if err := c.precheck(data); err != nil {
		return nil, err
	}
	if err := c.wellformed(data); err != nil {
		return nil, err
	}
	d := newDecoder(data, c.reg, c.opts, true)
	out, err := d.decode()
	if err != nil {
		return nil, err
	}
	return out.raw, nil
}

func (c *Codec) load(s *sim.Scheduler, data []byte, ro sim.RestoreOptions, file string) (*Snapshot, error) {
	snap, err := c.load1(s, data, ro)
	if le := (*LoadError)(nil); errors.As(err, &le) {
		le.File = file
	}
	return snap, err
}

func (c *Codec) load1(s *sim.Scheduler, data []byte, ro sim.RestoreOptions) (*Snapshot, error) {
	if s == nil {
		return nil, &LoadError{Offset: -1, Err: errors.New("nil scheduler")}
	}
	if err := c.precheck(data); err != nil {
		return nil, err
	}
	// The CBOR library's well-formedness check (the limits of Options) runs beside the
	// decoder, which checks everything it reads too; both finish before s changes.
	wf := make(chan error, 1)
	go func() { wf <- c.wellformed(data) }() // determinism: a pure check of the input, joined below
	reg := c.reg
	d := newDecoder(data, reg, c.opts, false)
	out, err := d.decode()
	if werr := <-wf; werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Format: out.format, Schema: out.schema, Schemas: out.schemas, Tick: out.tick}
	tbl, sections := out.img, out.sections
	if tbl == nil { // an older schema: read it generically, upgrade it, convert it
		rd := newDecoder(data, reg, c.opts, true)
		ro2, err := rd.decode()
		if err != nil {
			return nil, err
		}
		raw := ro2.raw
		for _, t := range raw.Types {
			snap.Types = append(snap.Types, t.Name)
		}
		if err := upgrade(reg, raw); err != nil {
			return nil, err
		}
		conv := &converter{reg: reg, max: c.opts.MaxNesting, from: snap.Schema}
		img, secs, err := conv.image(raw)
		if err != nil {
			return nil, err
		}
		sections = secs
		if err := s.Restore(img, ro); err != nil {
			return nil, &LoadError{Offset: -1, Err: err}
		}
	} else {
		for _, ft := range d.table {
			snap.Types = append(snap.Types, ft.name)
		}
		if err := s.RestoreTable(tbl, ro); err != nil {
			return nil, &LoadError{Offset: -1, Err: err}
		}
	}
	snap.Sections = sections
	return snap, nil
}

// upgrade applies the registered upgrades to raw: the program's first, then each
// package's, in the order of the packages' names, each from the document's schema to the
// current one.
func upgrade(reg *registry, raw *Raw) error {
	for _, ps := range reg.schemas() {
		for from := raw.SchemaOf(ps.pkg); from < ps.schema; from++ {
			if err := reg.upgrades[upgradeKey{ps.pkg, from}](raw); err != nil {
				where := fmt.Sprintf("upgrade from schema %d", from)
				if ps.pkg != "" {
					where = fmt.Sprintf("upgrade of package %q from schema %d", ps.pkg, from)
				}
				return &LoadError{Where: where, Offset: -1, Err: err}
			}
			raw.setSchema(ps.pkg, from+1)
		}
	}
	return nil
}

// precheck looks at the header, so that a file that is not a snapshot, or of a newer
// format, says so, and checks the document's checksum (format 2 on) unless
// Options.SkipChecksum.
func (c *Codec) precheck(data []byte) error {
	if len(data) > c.opts.MaxBytes {
		return &LoadError{Offset: -1, Err: errorf(ErrLimit, "%d bytes over the limit %d (MaxBytes)", len(data), c.opts.MaxBytes)}
	}
	r := reader{b: data}
	m, n := r.head()
	magic := r.rawBytes(majText, 64, "magic")
	if r.err != nil || m != majArray || n < 2 || string(magic) != Magic {
		if len(data) == 0 {
			return &LoadError{Offset: -1, Err: errorf(ErrTruncated, "empty file")}
		}
		return &LoadError{Offset: -1, Err: errorf(ErrBadMagic, "not a stackworld snapshot (it does not start with [%q, ...])", Magic)}
	}
	f := r.uint()
	if r.err == nil && f > Format {
		return &LoadError{Where: "header", Offset: -1, Err: errorf(ErrNewerFormat, "format %d is newer than this program reads (%d): update stackworld", f, Format)}
	}
	if f >= 2 && !c.opts.SkipChecksum {
		if err := verifyChecksum(data); err != nil {
			return &LoadError{Offset: -1, Err: err}
		}
	}
	return nil
}

// wellformed has the CBOR library check that data is one well-formed CBOR item within
// the limits (nesting, array and map lengths).
func (c *Codec) wellformed(data []byte) error {
	if err := c.dm.Wellformed(data); err != nil {
		kind := ErrMalformed
		var (
			e1 *cbor.MaxNestedLevelError
			e2 *cbor.MaxArrayElementsError
			e3 *cbor.MaxMapPairsError
			e4 *cbor.ExtraneousDataError
		)
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			kind = ErrTruncated
			err = errors.New("truncated: unexpected end of data")
		case errors.As(err, &e1), errors.As(err, &e2), errors.As(err, &e3):
			kind = ErrLimit
		case errors.As(err, &e4):
		}
		return &LoadError{Offset: -1, Err: errorf(kind, "%v", err)}
	}
	return nil
}
