package persist

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/stackworld/stackworld/sim"
)

// Tasklet state codes and flag bits as written in the states column (format 1): each
// tasklet is one unsigned integer, code | bits<<3. They are the format's own numbers, not
// sim's, so that sim may renumber its constants.
const (
	codePaused   = 1
	codeRunnable = 2
	codeBlocked  = 3
	codeSleeping = 4

	bitStarted    = 1 << 0
	bitAtomic     = 1 << 1
	bitBlockTrap  = 1 << 2
	bitPendingIRQ = 1 << 3
	bitNotOK      = 1 << 4
	bitIter       = 1 << 5
	bitValue      = 1 << 6 // an entry in the values column
	bitErr        = 1 << 7 // an entry in the errors column
	bitSend       = 1 << 8 // blocked sending (else receiving)
	bitTimed      = 1 << 9 // blocked with a receive deadline: an entry in the wakes column
	allBits       = 1<<10 - 1
	stateBits     = 3
)

var flagBits = [...]struct {
	sim sim.TaskletFlags
	bit uint64
}{
	{sim.FlagStarted, bitStarted}, {sim.FlagAtomic, bitAtomic}, {sim.FlagBlockTrap, bitBlockTrap},
	{sim.FlagPendingIRQ, bitPendingIRQ}, {sim.FlagNotOK, bitNotOK}, {sim.FlagIter, bitIter},
}

// encoder writes values; the codecs compiled by Register write into w. It applies the
// limits the decoder applies (Options), so that Save never writes what Load refuses.
type encoder struct {
	w        writer
	reg      *registry
	types    []*typeRef
	index    map[*typeRef]int
	lastRef  *typeRef
	lastIdx  int
	depth    int // interface values and pointers entered (the decoder's MaxNesting)
	maxDepth int
	level    int // CBOR containers open, the document's own included (the CBOR check's limit)
	maxLevel int
	maxElems int // MaxElements
	maxStr   int // MaxStringBytes
	err      error
}

func newEncoder(reg *registry, o *Options) *encoder {
	return &encoder{reg: reg, index: map[*typeRef]int{}, maxDepth: o.MaxNesting, maxLevel: o.MaxNesting + docLevels,
		maxElems: o.MaxElements, maxStr: o.MaxStringBytes}
}

// docLevels is the nesting the document's own structure may add to a value's: the CBOR
// check allows MaxNesting + docLevels levels in all.
const docLevels = 8

// Levels of CBOR containers open where the document holds values: a frame is an element
// of [doc [frame groups [group [frames ...]]]]; a tempval or a section value (an interface
// value, [type index, value]) is an element of [doc [tasklet table [values ...]]] or
// [doc [sections [name, value]]].
const (
	frameLevel = 4
	valueLevel = 3
)

// open enters a CBOR container (an array or map), unless that nests deeper than the
// decoder's CBOR check allows; close leaves it.
func (e *encoder) open() bool {
	if e.level >= e.maxLevel {
		e.tooDeep()
		return false
	}
	e.level++
	return true
}

func (e *encoder) close() { e.level-- }

func (e *encoder) tooDeep() {
	e.fail(errorf(ErrLimit, "values nested deeper than %d CBOR items (MaxNesting + %d)", e.maxLevel, docLevels))
}

// elements checks the length of a slice or map against MaxElements.
func (e *encoder) elements(n int, what string) bool {
	if n > e.maxElems {
		e.fail(errorf(ErrLimit, "a %s of %d elements over the limit %d (MaxElements)", what, n, e.maxElems))
		return false
	}
	return true
}

func (e *encoder) text(s string) {
	if len(s) > e.maxStr {
		e.fail(errorf(ErrLimit, "a string of %d bytes over the limit %d (MaxStringBytes)", len(s), e.maxStr))
		return
	}
	e.w.text(s)
}

func (e *encoder) bytes(b []byte) {
	if len(b) > e.maxStr {
		e.fail(errorf(ErrLimit, "a byte slice of %d bytes over the limit %d (MaxStringBytes)", len(b), e.maxStr))
		return
	}
	e.w.bytes(b)
}

func (e *encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// typeIndex returns ref's index in the type table, adding it on first use.
func (e *encoder) typeIndex(ref *typeRef) int {
	if ref == e.lastRef {
		return e.lastIdx
	}
	i, ok := e.index[ref]
	if !ok {
		i = len(e.types)
		e.types = append(e.types, ref)
		e.index[ref] = i
	}
	e.lastRef, e.lastIdx = ref, i
	return i
}

func (e *encoder) enter() bool {
	e.depth++
	if e.depth > e.maxDepth {
		e.depth--
		e.fail(errorf(ErrLimit, "values nested deeper than %d (MaxNesting; a pointer cycle?)", e.maxDepth))
		return false
	}
	return true
}

type eface struct {
	typ, data unsafe.Pointer
}

// dataOf returns a pointer to the value held by v, whose type is ref's.
func dataOf(v any, ref *typeRef) unsafe.Pointer {
	w := (*eface)(unsafe.Pointer(&v)).data
	if !ref.ptr && ref.info.ptrShaped {
		return addrOf(w)
	}
	return w
}

func addrOf(w unsafe.Pointer) unsafe.Pointer {
	p := new(unsafe.Pointer)
	*p = w
	return unsafe.Pointer(p)
}

// lookup returns the entry for a value's dynamic type, or for a registered error.
func (e *encoder) lookup(v any) *typeRef {
	if ref := e.reg.byType[reflect.TypeOf(v)]; ref != nil {
		return ref
	}
	if err, ok := v.(error); ok {
		return e.reg.lookupError(err)
	}
	return nil
}

// anyValue writes an interface value: null, or [type index, value] (a registered error's
// value is null).
func (e *encoder) anyValue(v any) {
	if v == nil {
		e.w.null()
		return
	}
	ref := e.lookup(v)
	if ref == nil {
		e.fail(errUnregistered(v))
		e.w.null()
		return
	}
	if !e.open() {
		return
	}
	defer e.close()
	e.w.array(2)
	e.w.uint(uint64(e.typeIndex(ref)))
	if ref.err != nil {
		e.w.null()
		return
	}
	p := dataOf(v, ref)
	if ref.ptr && p == nil {
		e.fail(fmt.Errorf("a nil %s cannot be saved (save nil, or a value)", ref.rtype))
		return
	}
	if e.enter() {
		ref.info.enc(e, p)
		e.depth--
	}
}

// chunked is a byte buffer that grows by adding chunks instead of copying: a Save
// allocates each byte of its columns and frame groups once (plus one final copy into the
// document), never the doubling copies of append.
type chunked struct {
	w    writer   // the chunk being written
	full [][]byte // earlier chunks, in order
	size int      // bytes in full
}

const (
	minChunk = 4 << 10
	maxChunk = 1 << 20
)

// room makes sure the current chunk has n more bytes free.
func (c *chunked) room(n int) {
	if cap(c.w.b)-len(c.w.b) < n {
		c.grow(n)
	}
}

func (c *chunked) grow(n int) {
	next := max(min(max(2*cap(c.w.b), minChunk), maxChunk), n)
	if len(c.w.b) > 0 {
		c.full = append(c.full, c.w.b)
		c.size += len(c.w.b)
	}
	c.w.b = make([]byte, 0, next)
}

func (c *chunked) len() int { return c.size + len(c.w.b) }

func (c *chunked) appendTo(w *writer) {
	for _, b := range c.full {
		w.b = append(w.b, b...)
	}
	w.b = append(w.b, c.w.b...)
}

// column is one array of the tasklet table, counted as it is written.
type column struct {
	chunked
	n int
}

func (c *column) uint(v uint64) { c.room(9); c.w.uint(v); c.n++ }
func (c *column) int(v int64)   { c.room(9); c.w.int(v); c.n++ }

func (c *column) flush(w *writer) {
	w.array(c.n)
	c.appendTo(w)
}

// frameGroup holds the encoded frames of one type, in order.
type frameGroup struct {
	ref   *typeRef
	index int // position among the groups
	typ   int // type table index
	buf   chunked
	n     int
}

func checkSections(sections []Section, max int) error {
	if len(sections) > max {
		return errorf(ErrLimit, "%d sections over the limit %d (MaxSections)", len(sections), max)
	}
	for i, s := range sections {
		if s.Name == "" || len(s.Name) > 200 {
			return fmt.Errorf("section %d: a name is 1 to 200 bytes", i)
		}
		for _, o := range sections[:i] {
			if o.Name == s.Name {
				return fmt.Errorf("section %q: two sections with that name", s.Name)
			}
		}
	}
	return nil
}

// timerPos is a tasklet with a timer entry and its position in the tasklet table.
type timerPos struct {
	id  sim.ID
	pos int32
}
