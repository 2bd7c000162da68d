package persist

import (
	"errors"
	"fmt"
	"slices"

	"github.com/fxamacker/cbor/v2"
	"github.com/stackworld/stackworld/sim"
)

// Format is the version of the snapshot layout this package writes (the document's
// structure, not the user types in it: those have the schema version). Format 2 added
// the document checksum, format 3 the packages' schemas; format 1 and 2 documents still
// load.
const Format = 3

// Magic is the first element of every snapshot document.
const Magic = "stackworld"

// HardPolicy says what Save does with hard tasklets, which cannot be saved.
type HardPolicy uint8

const (
	// RefuseHard makes Save fail with an error naming the first hard tasklet (default).
	RefuseHard HardPolicy = iota
	// OmitHard leaves hard tasklets out (a blocked one leaves its channel's queue too)
	// and lists them in Report.Omitted.
	OmitHard
)

func (p HardPolicy) valid() bool { return p <= OmitHard }

// Options configure a Codec. The zero value of each field means its default, so Options{}
// and DefaultOptions() behave alike; DefaultOptions spells the defaults out. The limits
// bound what Load accepts from untrusted bytes: nothing is allocated for more than the
// input actually holds, and these cap the rest.
type Options struct {
	// HardTasklets: RefuseHard (default) or OmitHard.
	HardTasklets HardPolicy
	// Schema is the program's schema version Save writes; 0 means CurrentSchema(). Set it
	// only to produce old saves in tests of upgrades.
	Schema uint64

	// The limits bound what is alive in a document (counts, lengths, bytes), never the
	// value of an id. Save applies the same limits as Load and fails with an error
	// (matching ErrLimit) instead of writing a document Load would refuse.
	MaxBytes       int // size of a document (default 1 GiB)
	MaxTasklets    int // tasklets; default 1<<22 (four times a 1M-tasklet world)
	MaxFrames      int // all tasklets' frames together; default 1<<24
	MaxFrameDepth  int // frames of one tasklet; default 4096, at most 65536
	MaxChannels    int // channels, and slots of the scheduler's channel table (next channel id); default 1<<21
	MaxElements    int // elements of one slice or map, and types; default 1<<24
	MaxStringBytes int // one string or byte slice; default 64 MiB
	MaxNesting     int // interface values and pointers in values, CBOR items in items (plus 8 for the document's own structure); default 64, at most 1024
	MaxSections    int // default 1024

	// SkipChecksum makes Load and Raw read a document whose checksum does not match
	// (format 2 on): for tools that show what is left of a corrupt file (stackworld
	// inspect --force). Every other check still applies. Save always writes the checksum.
	SkipChecksum bool
}

// DefaultOptions returns the defaults: hard tasklets refused, limits sized for a world of
// one million tasklets with room to spare.
func DefaultOptions() Options {
	return Options{
		MaxBytes: 1 << 30, MaxTasklets: 1 << 22, MaxFrames: 1 << 24, MaxFrameDepth: 4096,
		MaxChannels: 1 << 21, MaxElements: 1 << 24, MaxStringBytes: 64 << 20, MaxNesting: 64,
		MaxSections: 1024,
	}
}

// A Codec saves and loads snapshots. Make one with Options.Codec; it is immutable and safe
// for concurrent use. It captures the registry as it is when it is made, as a cbor mode
// owns its tags: types, errors and upgrades registered later are unknown to it (register
// at init, then make codecs).
type Codec struct {
	opts Options
	dm   cbor.DecMode
	reg  *registry
}

// Codec checks the options and returns a codec with the registry as it is now, or an error
// naming the first bad field.
func (o Options) Codec() (*Codec, error) {
	reg := current()
	d := DefaultOptions()
	fill := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&o.MaxBytes, d.MaxBytes)
	fill(&o.MaxTasklets, d.MaxTasklets)
	fill(&o.MaxFrames, d.MaxFrames)
	fill(&o.MaxFrameDepth, d.MaxFrameDepth)
	fill(&o.MaxChannels, d.MaxChannels)
	fill(&o.MaxElements, d.MaxElements)
	fill(&o.MaxStringBytes, d.MaxStringBytes)
	fill(&o.MaxNesting, d.MaxNesting)
	fill(&o.MaxSections, d.MaxSections)
	if !o.HardTasklets.valid() {
		return nil, fmt.Errorf("persist: HardTasklets %d is not RefuseHard or OmitHard", o.HardTasklets)
	}
	for _, c := range []struct {
		name      string
		v, lo, hi int
	}{
		{"MaxBytes", o.MaxBytes, 64, 1 << 40},
		{"MaxTasklets", o.MaxTasklets, 1, 1 << 30},
		{"MaxFrames", o.MaxFrames, 1, 1 << 31},
		{"MaxFrameDepth", o.MaxFrameDepth, 1, 1 << 16},
		{"MaxChannels", o.MaxChannels, 1, 1 << 31},
		{"MaxElements", o.MaxElements, 1, 1 << 31},
		{"MaxStringBytes", o.MaxStringBytes, 1, 1 << 31},
		{"MaxNesting", o.MaxNesting, 4, 1024},
		{"MaxSections", o.MaxSections, 1, 1 << 20},
	} {
		if c.v < c.lo || c.v > c.hi {
			return nil, fmt.Errorf("persist: %s %d out of range [%d, %d]", c.name, c.v, c.lo, c.hi)
		}
	}
	if cur := reg.schemaOf(""); o.Schema > cur {
		return nil, fmt.Errorf("persist: Schema %d is newer than the current schema %d", o.Schema, cur)
	}
	// The document is checked for well-formedness by the CBOR library first, with the
	// same limits: columns hold one element per tasklet or frame.
	dm, err := cbor.DecOptions{
		MaxNestedLevels:  o.MaxNesting + docLevels,
		MaxArrayElements: max(o.MaxElements, o.MaxFrames, 2*o.MaxTasklets, o.MaxChannels, maxArrayShape, 16),
		MaxMapPairs:      max(o.MaxElements, 16),
		IndefLength:      cbor.IndefLengthForbidden,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
	}.DecMode()
	if err != nil {
		return nil, fmt.Errorf("persist: %w", err)
	}
	return &Codec{opts: o, dm: dm, reg: reg}, nil
}

// Options returns the codec's options with defaults filled in.
func (c *Codec) Options() Options { return c.opts }

// A Section is a named value saved beside the scheduler in the same document: the world's
// state, a game's own data. Value must be of a registered type (or a pointer to one, or a
// builtin: bool, numbers, string, []byte); Load returns it as the same type, decoded under
// the codec's limits (Options: MaxElements per slice or map, MaxStringBytes, MaxNesting,
// and the bytes that remain), so that its owner receives a value no larger than the
// package's memory bound allows and checks only what its fields mean (ids, references,
// counts against Options()) before allocating for them.
type Section struct {
	Name  string
	Value any
}

// Snapshot describes a loaded document: its header and its sections.
type Snapshot struct {
	Format   int
	Schema   uint64            // the program's schema the document was written with (upgraded since if older)
	Schemas  map[string]uint64 // the packages' schemas it was written with (RegisterPackageUpgrade); absent: 1
	Tick     uint64
	Types    []string // type names in the document's type table, in table order
	Sections []Section
}

// Section returns the value of the named section, or nil.
func (s *Snapshot) Section(name string) any {
	for _, sec := range s.Sections {
		if sec.Name == name {
			return sec.Value
		}
	}
	return nil
}

// A Report says what Save did.
type Report struct {
	Omitted  []sim.ID // hard tasklets left out (Options.HardTasklets == OmitHard), in Each order
	Tasklets int      // tasklets saved
	Frames   int      // frames saved
	Channels int      // channels saved
	Bytes    int      // size of the document
	Types    []string // the type table
}

// Errors that Load's errors match with errors.Is.
var (
	ErrBadMagic     = errors.New("persist: not a stackworld snapshot")
	ErrNewerFormat  = errors.New("persist: snapshot format is newer than this program reads")
	ErrNewerSchema  = errors.New("persist: snapshot schema is newer than this program's")
	ErrUnknownType  = errors.New("persist: unknown type")
	ErrLayout       = errors.New("persist: type layout differs from the registered type")
	ErrTruncated    = errors.New("persist: truncated")
	ErrLimit        = errors.New("persist: over a limit")
	ErrMalformed    = errors.New("persist: malformed snapshot")
	ErrInconsistent = errors.New("persist: inconsistent snapshot")
	ErrChecksum     = errors.New("persist: checksum mismatch")
)

// A LoadError reports a snapshot that cannot be loaded. Nothing was changed.
type LoadError struct {
	File   string // the file, or "" when loading bytes
	Where  string // "tasklet 812, frame 3", "channel 4", `section "world"`, "header", ...
	Offset int    // byte offset where decoding stopped, or -1
	Err    error  // what is wrong; matches ErrUnknownType, ErrTruncated, ... or wraps a *sim.RestoreError
}

func (e *LoadError) Error() string {
	s := "persist: load"
	if e.File != "" {
		s += " " + e.File
	}
	s += ": "
	if e.Where != "" {
		s += e.Where + ": "
	}
	s += e.Err.Error()
	if e.Offset >= 0 {
		s += fmt.Sprintf(" (at byte %d)", e.Offset)
	}
	return s
}

// Unwrap returns the cause.
func (e *LoadError) Unwrap() error { return e.Err }

// problem is an error with a sentinel kind and its own message.
type problem struct {
	kind error
	msg  string
}

func (p *problem) Error() string { return p.msg }
func (p *problem) Unwrap() error { return p.kind }

func errorf(kind error, format string, a ...any) error {
	return &problem{kind, fmt.Sprintf(format, a...)}
}

func typeNames(ts []*typeRef) []string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.name
	}
	return slices.Clip(names)
}
