package persist

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/stackworld/stackworld/sim"
)

// Register registers type F under a stable name, so that snapshots name it by that name
// and not by its Go name: renaming or moving the Go type does not break old saves.
// pcNames optionally name F's resume points (pcNames[i] names sim.PC i); they appear in
// inspect output. Frames are usually registered as the struct type and used as *F; both F
// and *F values (frames, channel values, tempvals, sections) are then saved.
//
// F must be pure data: exported fields (or none) of booleans, numbers, strings, byte
// slices, slices, arrays, maps with string, integer or boolean keys, nested structs of the
// same kind, sim.Chan handles, interface fields (any, error, sim.Frame, or a type given to
// RegisterInterface) holding registered values, and pointers to registered types (saved as
// the value or null: two pointers to one value load as two values). Register panics, at
// init, on anything else (unexported fields, funcs, Go channels, other pointers, complex
// numbers, uintptr, unsafe.Pointer, unregistered interface types, recursive layouts
// without a pointer), on a name that is empty, taken or not made of letters, digits and
// . _ - /, and on a type registered twice. The field layout is part of the save format:
// change it only with a new schema and an upgrade (RegisterUpgrade).
func Register[F any](name string, pcNames ...string) {
	if err := register(name, pcNames, opsFor[F](), false); err != nil {
		panic(err)
	}
}

// RegisterError registers a sentinel error value under a stable name, so that a tasklet
// with that error pending (Kill, Throw, SendError) or a value holding it can be saved. The
// error is matched with ==, so its type must be comparable. The sentinels of package sim
// are registered as "sim.ErrTaskletExit" and so on.
func RegisterError(name string, err error) {
	if e := registerError(name, err); e != nil {
		panic(e)
	}
}

// ErrorName returns the name err was registered under with RegisterError, and whether it
// was (err itself, not an error it wraps). Safe for concurrent use; it does not allocate.
func ErrorName(err error) (string, bool) {
	if ref := current().lookupError(err); ref != nil {
		return ref.name, true
	}
	return "", false
}

// ErrorByName returns the sentinel error registered under name with RegisterError, and
// whether there is one. Safe for concurrent use; it does not allocate.
func ErrorByName(name string) (error, bool) {
	if ref := current().byName[name]; ref != nil && ref.err != nil {
		return ref.err, true
	}
	return nil, false
}

// RegisterInterface allows fields of interface type I in registered types (any, error,
// sim.Frame and sim.Catcher are allowed already). The values such a field holds must be
// of registered types, which is checked when saving.
func RegisterInterface[I any]() {
	t := reflect.TypeFor[I]()
	if t.Kind() != reflect.Interface {
		panic(fmt.Sprintf("persist: RegisterInterface[%v]: not an interface type", t))
	}
	update(func(r *registry) error { r.ifaces[t] = true; return nil })
}

// RegisterUpgrade registers f, which turns a snapshot of the program's schema from into
// schema from+1 by editing its generic form (renaming types, adding, renaming or
// converting fields, renumbering resume points). The program's schema, written by Save,
// is 1 plus the highest from registered (1 when there is none); Load applies the upgrades
// in order to older snapshots. A library (or any package that registers types) numbers its
// own schema instead, with RegisterPackageUpgrade. RegisterUpgrade panics if from is 0 or
// already has an upgrade.
func RegisterUpgrade(from uint64, f func(*Raw) error) { registerUpgrade("", from, f) }

// RegisterPackageUpgrade is RegisterUpgrade for the schema of package pkg: the package
// that registers types and errors under names "pkg.…" numbers its layouts on its own,
// so that a library's upgrades and a game's do not share one number. A snapshot records
// the schema of every package that has an upgrade; one that records none (an older
// format) is at schema 1 of every package. Load applies the program's upgrades first,
// then each package's, in the order of the packages' names. pkg is a name of letters,
// digits and _ - / (no dot).
func RegisterPackageUpgrade(pkg string, from uint64, f func(*Raw) error) {
	if pkg == "" || strings.Contains(pkg, ".") || !validName(pkg) {
		panic(fmt.Sprintf("persist: RegisterPackageUpgrade(%q, %d): a package is named by 1 to 200 letters, digits and _ - /", pkg, from))
	}
	registerUpgrade(pkg, from, f)
}

func registerUpgrade(pkg string, from uint64, f func(*Raw) error) {
	err := update(func(r *registry) error {
		if from == 0 || f == nil {
			return fmt.Errorf("persist: RegisterUpgrade(%q, %d): schemas start at 1 and f must not be nil", pkg, from)
		}
		k := upgradeKey{pkg, from}
		if _, dup := r.upgrades[k]; dup {
			return fmt.Errorf("persist: RegisterUpgrade(%q, %d): there is already an upgrade from schema %d", pkg, from, from)
		}
		r.upgrades[k] = f
		return nil
	})
	if err != nil {
		panic(err)
	}
}

// CurrentSchema returns the program's schema version a Codec made now writes by default:
// 1 plus the highest schema that has a registered upgrade (RegisterUpgrade), or 1.
func CurrentSchema() uint64 { return current().schemaOf("") }

// PackageSchema returns package pkg's schema version a Codec made now writes: 1 plus the
// highest schema that has a registered upgrade (RegisterPackageUpgrade), or 1.
func PackageSchema(pkg string) uint64 { return current().schemaOf(pkg) }

// ---- the registry ----

// registry is immutable once published: update copies it, so that a Codec keeps the one
// it was made with and reads it without locks while init functions (or tests) register
// more.
type registry struct {
	byName   map[string]*typeRef       // names as written in files: "npc.Wander", "*npc.Wander", error names
	byType   map[reflect.Type]*typeRef // F and *F
	errs     map[any]*typeRef          // sentinel error value -> its entry
	ifaces   map[reflect.Type]bool     // interface types allowed in fields
	upgrades map[upgradeKey]func(*Raw) error
}

// upgradeKey names an upgrade: the package ("" for the program's schema) and the schema
// it upgrades from.
type upgradeKey struct {
	pkg  string
	from uint64
}

// schemaOf returns the current schema of package pkg ("" for the program's).
func (r *registry) schemaOf(pkg string) uint64 {
	var highest uint64
	for k := range r.upgrades { // determinism: a maximum does not depend on order
		if k.pkg == pkg {
			highest = max(highest, k.from)
		}
	}
	return highest + 1
}

// schemas returns the current schema of the program ("") and of every package that has an
// upgrade, by name.
func (r *registry) schemas() []pkgSchema {
	out := []pkgSchema{{"", r.schemaOf("")}}
	for k := range r.upgrades { // determinism: sorted below
		if k.pkg != "" && !slices.ContainsFunc(out, func(p pkgSchema) bool { return p.pkg == k.pkg }) {
			out = append(out, pkgSchema{k.pkg, r.schemaOf(k.pkg)})
		}
	}
	slices.SortFunc(out, func(a, b pkgSchema) int { return strings.Compare(a.pkg, b.pkg) })
	return out
}

// pkgSchema is one package's schema.
type pkgSchema struct {
	pkg    string
	schema uint64
}

// schemaChain checks that upgrades lead package pkg from schema from to its current one.
func (r *registry) schemaChain(pkg string, from uint64) error {
	for s := from; s < r.schemaOf(pkg); s++ {
		if r.upgrades[upgradeKey{pkg, s}] == nil {
			if pkg == "" {
				return errorf(ErrNewerSchema, "no upgrade from schema %d (persist.RegisterUpgrade)", s)
			}
			return errorf(ErrNewerSchema, "no upgrade of package %q from schema %d (persist.RegisterPackageUpgrade)", pkg, s)
		}
	}
	return nil
}

var (
	regMu  sync.Mutex
	regCur atomic.Pointer[registry]
)

func current() *registry { return regCur.Load() }

func update(f func(*registry) error) error {
	regMu.Lock()
	defer regMu.Unlock()
	old := regCur.Load()
	r := &registry{
		byName: map[string]*typeRef{}, byType: map[reflect.Type]*typeRef{}, errs: map[any]*typeRef{},
		ifaces: map[reflect.Type]bool{}, upgrades: map[upgradeKey]func(*Raw) error{},
	}
	if old != nil {
		r.byName, r.byType, r.errs = maps.Clone(old.byName), maps.Clone(old.byType), maps.Clone(old.errs)
		r.ifaces, r.upgrades = maps.Clone(old.ifaces), maps.Clone(old.upgrades)
	}
	if err := f(r); err != nil {
		return err
	}
	regCur.Store(r)
	return nil
}

// A typeRef is one entry a snapshot's type table can name: a registered type used by
// value, the same used through a pointer ("*name"), or a registered error.
type typeRef struct {
	name    string // as written in files
	info    *typeInfo
	ptr     bool
	err     error        // error entries
	rtype   reflect.Type // F or *F (nil for errors)
	isFrame bool         // rtype implements sim.Frame
}

// typeInfo is a registered type with its compiled codec.
type typeInfo struct {
	name      string
	t         reflect.Type
	sh        *shape
	shape     string
	pcs       []string
	enc       encFn
	dec       decFn
	ptrShaped bool // an interface holding an F stores the value itself, not a pointer to it
	val, ptr  *typeRef
	ops       typeOps
}

// typeOps are F's generic helpers, captured by Register[F] so that the hot paths need no
// reflection per value.
type typeOps struct {
	t        reflect.Type
	size     uintptr
	newSlab  func(n int) unsafe.Pointer // the first element of a new []F of length n > 0
	frame    func(p unsafe.Pointer) sim.Frame
	ptrFrame func(p unsafe.Pointer) sim.Frame
	box      func(p unsafe.Pointer) any
	ptrBox   func(p unsafe.Pointer) any
}

func opsFor[F any]() typeOps {
	var zero F
	o := typeOps{t: reflect.TypeFor[F](), size: unsafe.Sizeof(zero)}
	o.newSlab = func(n int) unsafe.Pointer { return unsafe.Pointer(&make([]F, n)[0]) }
	o.box = func(p unsafe.Pointer) any { return *(*F)(p) }
	o.ptrBox = func(p unsafe.Pointer) any { return (*F)(p) }
	if _, ok := any(zero).(sim.Frame); ok {
		o.frame = func(p unsafe.Pointer) sim.Frame { return any(*(*F)(p)).(sim.Frame) }
	}
	if _, ok := any(&zero).(sim.Frame); ok {
		o.ptrFrame = func(p unsafe.Pointer) sim.Frame { return any((*F)(p)).(sim.Frame) }
	}
	return o
}

func register(name string, pcNames []string, ops typeOps, builtin bool) error {
	t := ops.t
	fail := func(format string, a ...any) error {
		return fmt.Errorf("persist: Register[%v](%q): %s", t, name, fmt.Sprintf(format, a...))
	}
	if !builtin && !validName(name) {
		return fail("a name is 1 to 200 letters, digits and . _ - /")
	}
	if len(pcNames) > maxPCNames {
		return fail("%d resume point names over the limit %d", len(pcNames), maxPCNames)
	}
	for i, pc := range pcNames {
		if pc == "" || len(pc) > 100 || strings.ContainsFunc(pc, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return fail("resume point name %d (%q) must be 1 to 100 printable characters", i, pc)
		}
	}
	if t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface {
		return fail("register the type itself, not a pointer or an interface (both F and *F are saved)")
	}
	return update(func(r *registry) error {
		if _, dup := r.byName[name]; dup {
			return fail("the name is taken")
		}
		if old, dup := r.byType[t]; dup {
			return fail("the type is registered already as %q", old.info.name)
		}
		c := compiler{reg: r, self: t, selfName: name, busy: map[reflect.Type]bool{}}
		cd, err := c.compile(t)
		if err != nil {
			return fail("%v", err)
		}
		if _, err := parseShape(cd.sh.String()); err != nil { // what Load will parse
			return fail("its layout cannot be saved: %v (split the type)", err)
		}
		info := &typeInfo{name: name, t: t, sh: cd.sh, shape: cd.sh.String(), pcs: slices.Clone(pcNames), enc: cd.enc, dec: cd.dec, ptrShaped: pointerShaped(t), ops: ops}
		info.val = &typeRef{name: name, info: info, rtype: t, isFrame: ops.frame != nil}
		info.ptr = &typeRef{name: "*" + name, info: info, ptr: true, rtype: reflect.PointerTo(t), isFrame: ops.ptrFrame != nil}
		r.byName[name], r.byName["*"+name] = info.val, info.ptr
		r.byType[t], r.byType[info.ptr.rtype] = info.val, info.ptr
		return nil
	})
}

func registerError(name string, err error) error {
	if err == nil || !validName(name) {
		return fmt.Errorf("persist: RegisterError(%q, %v): want a non-nil error and a name of letters, digits and . _ - /", name, err)
	}
	if !reflect.TypeOf(err).Comparable() {
		return fmt.Errorf("persist: RegisterError(%q): %T is not comparable; register a sentinel value", name, err)
	}
	return update(func(r *registry) error {
		if _, dup := r.byName[name]; dup {
			return fmt.Errorf("persist: RegisterError(%q): the name is taken", name)
		}
		if old, dup := r.errs[err]; dup {
			return fmt.Errorf("persist: RegisterError(%q): the error is registered already as %q", name, old.name)
		}
		ref := &typeRef{name: name, err: err}
		r.byName[name], r.errs[err] = ref, ref
		return nil
	})
}

// lookupError returns the entry of a registered sentinel error, or nil.
func (r *registry) lookupError(err error) *typeRef {
	if err == nil || !reflect.TypeOf(err).Comparable() {
		return nil
	}
	return r.errs[err]
}

// pointerShaped reports whether an interface holding a t stores it in its data word (Go's
// "direct interface" types), instead of a pointer to a copy.
func pointerShaped(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Struct:
		return t.NumField() == 1 && pointerShaped(t.Field(0).Type)
	case reflect.Array:
		return t.Len() == 1 && pointerShaped(t.Elem())
	}
	return false
}

func init() {
	builtin[bool]("bool")
	builtin[int]("int")
	builtin[int8]("int8")
	builtin[int16]("int16")
	builtin[int32]("int32")
	builtin[int64]("int64")
	builtin[uint]("uint")
	builtin[uint8]("uint8")
	builtin[uint16]("uint16")
	builtin[uint32]("uint32")
	builtin[uint64]("uint64")
	builtin[float32]("float32")
	builtin[float64]("float64")
	builtin[string]("string")
	builtin[[]byte]("bytes")
	builtin[sim.ID]("sim.ID")
	builtin[sim.ChanID]("sim.ChanID")
	builtin[sim.PC]("sim.PC")
	for _, t := range []reflect.Type{reflect.TypeFor[error](), reflect.TypeFor[sim.Frame](), reflect.TypeFor[sim.Catcher]()} {
		update(func(r *registry) error { r.ifaces[t] = true; return nil })
	}
	for _, e := range []struct {
		name string
		err  error
	}{
		{"sim.ErrDeadlock", sim.ErrDeadlock}, {"sim.ErrMainReceiving", sim.ErrMainReceiving},
		{"sim.ErrMainSending", sim.ErrMainSending}, {"sim.ErrSystemExit", sim.ErrSystemExit},
		{"sim.ErrTaskletExit", sim.ErrTaskletExit}, {"sim.ErrStopIteration", sim.ErrStopIteration},
		{"sim.ErrClosed", sim.ErrClosed}, {"sim.ErrBlockTrap", sim.ErrBlockTrap},
		{"sim.ErrSwitchTrap", sim.ErrSwitchTrap}, {"sim.ErrBadPC", sim.ErrBadPC},
		{"sim.ErrNotCurrent", sim.ErrNotCurrent}, {"sim.ErrWrongKind", sim.ErrWrongKind},
		{"sim.ErrInLoop", sim.ErrInLoop}, {"sim.ErrClosedScheduler", sim.ErrClosedScheduler},
		{"sim.ErrZeroOp", sim.ErrZeroOp}, {"sim.ErrNilError", sim.ErrNilError},
	} {
		RegisterError(e.name, e.err)
	}
}

func builtin[T any](name string) {
	if err := register(name, nil, opsFor[T](), true); err != nil {
		panic(err)
	}
}

// ---- compiled codecs ----

type (
	encFn func(e *encoder, p unsafe.Pointer)
	decFn func(d *decoder, p unsafe.Pointer)
)

type compiled struct {
	sh  *shape
	enc encFn
	dec decFn
}

type compiler struct {
	reg      *registry
	self     reflect.Type
	selfName string
	busy     map[reflect.Type]bool
}

const simPath = "github.com/stackworld/stackworld/sim"

func isChanHandle(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t.PkgPath() == simPath && strings.HasPrefix(t.Name(), "Chan[") &&
		t.NumField() == 1 && t.Field(0).Type == reflect.TypeFor[sim.ChanID]()
}

type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

func (c *compiler) compile(t reflect.Type) (*compiled, error) {
	switch t.Kind() {
	case reflect.Bool:
		return &compiled{&shape{kind: sBool},
			func(e *encoder, p unsafe.Pointer) { e.w.bool(*(*bool)(p)) },
			func(d *decoder, p unsafe.Pointer) { *(*bool)(p) = d.r.bool() }}, nil
	case reflect.Int:
		return signed[int](), nil
	case reflect.Int8:
		return signed[int8](), nil
	case reflect.Int16:
		return signed[int16](), nil
	case reflect.Int32:
		return signed[int32](), nil
	case reflect.Int64:
		return signed[int64](), nil
	case reflect.Uint:
		return unsigned[uint](), nil
	case reflect.Uint8:
		return unsigned[uint8](), nil
	case reflect.Uint16:
		return unsigned[uint16](), nil
	case reflect.Uint32:
		return unsigned[uint32](), nil
	case reflect.Uint64:
		return unsigned[uint64](), nil
	case reflect.Float32:
		return &compiled{&shape{kind: sFloat},
			func(e *encoder, p unsafe.Pointer) { e.w.float(float64(*(*float32)(p))) },
			func(d *decoder, p unsafe.Pointer) { *(*float32)(p) = float32(d.r.float()) }}, nil
	case reflect.Float64:
		return &compiled{&shape{kind: sFloat},
			func(e *encoder, p unsafe.Pointer) { e.w.float(*(*float64)(p)) },
			func(d *decoder, p unsafe.Pointer) { *(*float64)(p) = d.r.float() }}, nil
	case reflect.String:
		return &compiled{&shape{kind: sString},
			func(e *encoder, p unsafe.Pointer) { e.text(*(*string)(p)) },
			func(d *decoder, p unsafe.Pointer) { *(*string)(p) = d.r.text(d.lim.MaxStringBytes, "string") }}, nil
	case reflect.Slice:
		return c.slice(t)
	case reflect.Array:
		return c.array(t)
	case reflect.Map:
		return c.mapOf(t)
	case reflect.Struct:
		if isChanHandle(t) {
			return &compiled{&shape{kind: sChan},
				func(e *encoder, p unsafe.Pointer) { e.w.uint(uint64(*(*sim.ChanID)(p))) },
				func(d *decoder, p unsafe.Pointer) {
					*(*sim.ChanID)(p) = sim.ChanID(d.r.uintMax(uint64(sim.MaxChanID), "channel id"))
				}}, nil
		}
		return c.structOf(t)
	case reflect.Interface:
		return c.iface(t)
	case reflect.Pointer:
		return c.pointer(t)
	}
	return nil, fmt.Errorf("%v: %s values are not pure data", t, t.Kind())
}

func signed[T int | int8 | int16 | int32 | int64]() *compiled {
	return &compiled{&shape{kind: sInt},
		func(e *encoder, p unsafe.Pointer) { e.w.int(int64(*(*T)(p))) },
		func(d *decoder, p unsafe.Pointer) { *(*T)(p) = readInt[T](&d.r) }}
}

func unsigned[T uint | uint8 | uint16 | uint32 | uint64]() *compiled {
	return &compiled{&shape{kind: sUint},
		func(e *encoder, p unsafe.Pointer) { e.w.uint(uint64(*(*T)(p))) },
		func(d *decoder, p unsafe.Pointer) { *(*T)(p) = readUint[T](&d.r) }}
}

// readInt reads a signed integer that must fit in T: the one overflow check of the
// compiled and the flat codecs.
func readInt[T int | int8 | int16 | int32 | int64](r *reader) T {
	v := r.int()
	if int64(T(v)) != v {
		r.fail("integer %d overflows %T", v, T(0))
	}
	return T(v)
}

// readUint reads an unsigned integer that must fit in T.
func readUint[T uint | uint8 | uint16 | uint32 | uint64](r *reader) T {
	v := r.uint()
	if uint64(T(v)) != v {
		r.fail("integer %d overflows %T", v, T(0))
	}
	return T(v)
}

func (c *compiler) slice(t reflect.Type) (*compiled, error) {
	if t.Elem().Kind() == reflect.Uint8 {
		return &compiled{&shape{kind: sBytes},
			func(e *encoder, p unsafe.Pointer) { e.bytes(*(*[]byte)(p)) },
			func(d *decoder, p unsafe.Pointer) { *(*[]byte)(p) = d.r.bytes(d.lim.MaxStringBytes, "bytes") }}, nil
	}
	ec, err := c.compile(t.Elem())
	if err != nil {
		return nil, err
	}
	size, minB := t.Elem().Size(), ec.sh.minBytes()
	return &compiled{&shape{kind: sSlice, elem: ec.sh},
		func(e *encoder, p unsafe.Pointer) {
			h := (*sliceHeader)(p)
			if !e.elements(h.len, "slice") || !e.open() {
				return
			}
			e.w.array(h.len)
			for i := 0; i < h.len; i++ {
				ec.enc(e, unsafe.Add(h.data, uintptr(i)*size))
			}
			e.close()
		},
		func(d *decoder, p unsafe.Pointer) {
			n := d.r.length(majArray, d.lim.MaxElements, minB, "slice")
			if n == 0 {
				return
			}
			v := reflect.MakeSlice(t, n, n)
			reflect.NewAt(t, p).Elem().Set(v)
			base := v.UnsafePointer()
			for i := 0; i < n && d.r.err == nil; i++ {
				ec.dec(d, unsafe.Add(base, uintptr(i)*size))
			}
		}}, nil
}

func (c *compiler) array(t reflect.Type) (*compiled, error) {
	n := t.Len()
	if n > maxArrayShape {
		return nil, fmt.Errorf("%v: arrays of more than %d elements are not supported", t, maxArrayShape)
	}
	if t.Elem().Kind() == reflect.Uint8 {
		return &compiled{&shape{kind: sFixedBytes, n: n},
			func(e *encoder, p unsafe.Pointer) { e.w.bytes(unsafe.Slice((*byte)(p), n)) },
			func(d *decoder, p unsafe.Pointer) {
				b := d.r.rawBytes(majBytes, n, "byte array")
				if d.r.err == nil && len(b) != n {
					d.r.fail("byte array: want %d bytes, found %d", n, len(b))
				}
				copy(unsafe.Slice((*byte)(p), n), b)
			}}, nil
	}
	ec, err := c.compile(t.Elem())
	if err != nil {
		return nil, err
	}
	size := t.Elem().Size()
	return &compiled{&shape{kind: sArray, n: n, elem: ec.sh},
		func(e *encoder, p unsafe.Pointer) {
			if !e.open() {
				return
			}
			e.w.array(n)
			for i := 0; i < n; i++ {
				ec.enc(e, unsafe.Add(p, uintptr(i)*size))
			}
			e.close()
		},
		func(d *decoder, p unsafe.Pointer) {
			if !d.r.arrayOf(n, "array") {
				return
			}
			for i := 0; i < n && d.r.err == nil; i++ {
				ec.dec(d, unsafe.Add(p, uintptr(i)*size))
			}
		}}, nil
}

func (c *compiler) mapOf(t reflect.Type) (*compiled, error) {
	switch t.Key().Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
	default:
		return nil, fmt.Errorf("%v: map keys must be strings, integers or booleans", t)
	}
	kc, err := c.compile(t.Key())
	if err != nil {
		return nil, err
	}
	vc, err := c.compile(t.Elem())
	if err != nil {
		return nil, err
	}
	minB := kc.sh.minBytes() + vc.sh.minBytes()
	type entry struct {
		key []byte
		k   reflect.Value
	}
	return &compiled{&shape{kind: sMap, key: kc.sh, elem: vc.sh},
		func(e *encoder, p unsafe.Pointer) {
			m := reflect.NewAt(t, p).Elem()
			if !e.elements(m.Len(), "map") || !e.open() {
				return
			}
			defer e.close()
			e.w.head(majMap, uint64(m.Len()))
			if m.Len() == 0 {
				return
			}
			// CoreDet: keys sorted by their encoded bytes.
			entries := make([]entry, 0, m.Len())
			kp := reflect.New(t.Key())
			for it := m.MapRange(); it.Next(); { // determinism: entries sorted below
				kp.Elem().Set(it.Key())
				saved := e.w.b
				e.w.b = nil
				kc.enc(e, kp.UnsafePointer())
				entries = append(entries, entry{e.w.b, it.Key()})
				e.w.b = saved
			}
			slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(string(a.key), string(b.key)) })
			vp := reflect.New(t.Elem())
			for _, en := range entries {
				e.w.b = append(e.w.b, en.key...)
				vp.Elem().Set(m.MapIndex(en.k))
				vc.enc(e, vp.UnsafePointer())
			}
		},
		func(d *decoder, p unsafe.Pointer) {
			n := d.r.length(majMap, d.lim.MaxElements, minB, "map")
			if d.r.err != nil || n == 0 {
				return
			}
			m := reflect.MakeMapWithSize(t, n)
			for i := 0; i < n && d.r.err == nil; i++ {
				kp, vp := reflect.New(t.Key()), reflect.New(t.Elem())
				kc.dec(d, kp.UnsafePointer())
				vc.dec(d, vp.UnsafePointer())
				if m.MapIndex(kp.Elem()).IsValid() {
					d.r.fail("map: duplicate key %v", kp.Elem())
				}
				m.SetMapIndex(kp.Elem(), vp.Elem())
			}
			reflect.NewAt(t, p).Elem().Set(m)
		}}, nil
}

func (c *compiler) structOf(t reflect.Type) (*compiled, error) {
	if c.busy[t] {
		return nil, fmt.Errorf("%v contains itself (break the cycle with a pointer to a registered type, or an id)", t)
	}
	c.busy[t] = true
	defer delete(c.busy, t)
	type fieldCodec struct {
		off uintptr
		cd  *compiled
	}
	var fields []fieldCodec
	sh := &shape{kind: sStruct}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "_" {
			continue
		}
		if !f.IsExported() {
			return nil, fmt.Errorf("%v: field %s is unexported: frames and saved values keep all their state in exported fields", t, f.Name)
		}
		cd, err := c.compile(f.Type)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		fields = append(fields, fieldCodec{f.Offset, cd})
		sh.fields = append(sh.fields, shapeField{f.Name, cd.sh})
	}
	n := len(fields)
	if flat, ok := flatFields(t); ok {
		return &compiled{sh,
			func(e *encoder, p unsafe.Pointer) { encFlat(e, p, flat) },
			func(d *decoder, p unsafe.Pointer) { decFlat(d, p, flat) }}, nil
	}
	return &compiled{sh,
		func(e *encoder, p unsafe.Pointer) {
			if !e.open() {
				return
			}
			e.w.array(n)
			for _, f := range fields {
				f.cd.enc(e, unsafe.Add(p, f.off))
			}
			e.close()
		},
		func(d *decoder, p unsafe.Pointer) {
			if !d.r.arrayOf(n, "struct") {
				return
			}
			for _, f := range fields {
				f.cd.dec(d, unsafe.Add(p, f.off))
			}
		}}, nil
}

func (c *compiler) iface(t reflect.Type) (*compiled, error) {
	if t.NumMethod() > 0 && !c.reg.ifaces[t] {
		return nil, fmt.Errorf("interface type %v is not registered (persist.RegisterInterface)", t)
	}
	empty := t.NumMethod() == 0
	return &compiled{&shape{kind: sAny},
		func(e *encoder, p unsafe.Pointer) {
			if empty {
				e.anyValue(*(*any)(p))
				return
			}
			v := reflect.NewAt(t, p).Elem()
			if v.IsNil() {
				e.w.null()
				return
			}
			e.anyValue(v.Interface())
		},
		func(d *decoder, p unsafe.Pointer) {
			x := d.anyValue(t)
			if x == nil {
				return
			}
			if empty {
				*(*any)(p) = x
				return
			}
			reflect.NewAt(t, p).Elem().Set(reflect.ValueOf(x))
		}}, nil
}

func (c *compiler) pointer(t reflect.Type) (*compiled, error) {
	elem := t.Elem()
	name := c.selfName
	if elem != c.self {
		ref, ok := c.reg.byType[elem]
		if !ok || elem.Kind() != reflect.Struct {
			return nil, fmt.Errorf("%v: pointers are saved only to registered struct types (register %v first, or hold an id)", t, elem)
		}
		name = ref.info.name
	} else if elem.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%v: pointers are saved only to registered struct types", t)
	}
	return &compiled{&shape{kind: sPtr, ref: name},
		func(e *encoder, p unsafe.Pointer) {
			q := *(*unsafe.Pointer)(p)
			if q == nil {
				e.w.null()
				return
			}
			info := e.reg.byType[elem].info
			e.typeIndex(info.val) // the table must describe the pointee's layout
			if e.enter() {
				info.enc(e, q)
				e.depth--
			}
		},
		func(d *decoder, p unsafe.Pointer) {
			if d.r.null() {
				return
			}
			ref := d.reg.byType[elem]
			if ref == nil || !d.described[ref.info] {
				d.r.fail("pointer to %s, whose layout is not in the type table", name)
				return
			}
			if !d.enter() {
				return
			}
			v := reflect.New(elem)
			ref.info.dec(d, v.UnsafePointer())
			d.depth--
			reflect.NewAt(t, p).Elem().Set(v)
		}}, nil
}

// errUnregistered describes a value of a type that is not registered.
func errUnregistered(v any) error {
	t := reflect.TypeOf(v)
	if _, ok := v.(error); ok {
		return errorf(ErrUnregistered, "not registered: error %q of type %v (persist.RegisterError, or persist.Register its type)", v, t)
	}
	base := t
	if base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	return errorf(ErrUnregistered, "not registered: type %v (persist.Register[%v](\"name\"))", t, base)
}

// ErrUnregistered is matched by save errors about a value whose type (or error) is not
// registered.
var ErrUnregistered = errors.New("persist: not registered")

// Flat structs (only booleans, numbers and channel handles) get a codec that loops over
// their fields without a call per field: most frames are like that, so the frame groups
// of a large snapshot are read and written here (BenchmarkSnapshot).
type flatField struct {
	off  uintptr
	kind uint8
}

const (
	fBool = iota
	fI8
	fI16
	fI32
	fI64
	fU8
	fU16
	fU32
	fU64
	fF32
	fF64
)

func flatFields(t reflect.Type) ([]flatField, bool) {
	var fs []flatField
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "_" {
			continue
		}
		var k uint8
		switch ft := f.Type; {
		case isChanHandle(ft):
			k = fU32
		case ft.Kind() == reflect.Bool:
			k = fBool
		case ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Int64:
			k = map[uintptr]uint8{1: fI8, 2: fI16, 4: fI32, 8: fI64}[ft.Size()]
		case ft.Kind() >= reflect.Uint && ft.Kind() <= reflect.Uint64:
			k = map[uintptr]uint8{1: fU8, 2: fU16, 4: fU32, 8: fU64}[ft.Size()]
		case ft.Kind() == reflect.Float32:
			k = fF32
		case ft.Kind() == reflect.Float64:
			k = fF64
		default:
			return nil, false
		}
		fs = append(fs, flatField{f.Offset, k})
	}
	return fs, true
}

func encFlat(e *encoder, p unsafe.Pointer, fields []flatField) {
	if e.level >= e.maxLevel { // a flat struct holds no containers: only its own level counts
		e.tooDeep()
		return
	}
	w := &e.w
	w.array(len(fields))
	for _, f := range fields {
		q := unsafe.Add(p, f.off)
		switch f.kind {
		case fBool:
			w.bool(*(*bool)(q))
		case fI8:
			w.int(int64(*(*int8)(q)))
		case fI16:
			w.int(int64(*(*int16)(q)))
		case fI32:
			w.int(int64(*(*int32)(q)))
		case fI64:
			w.int(*(*int64)(q))
		case fU8:
			w.uint(uint64(*(*uint8)(q)))
		case fU16:
			w.uint(uint64(*(*uint16)(q)))
		case fU32:
			w.uint(uint64(*(*uint32)(q)))
		case fU64:
			w.uint(*(*uint64)(q))
		case fF32:
			w.float(float64(*(*float32)(q)))
		case fF64:
			w.float(*(*float64)(q))
		}
	}
}

func decFlat(d *decoder, p unsafe.Pointer, fields []flatField) {
	r := &d.r
	if !r.arrayOf(len(fields), "struct") {
		return
	}
	for _, f := range fields {
		q := unsafe.Add(p, f.off)
		switch f.kind {
		case fBool:
			*(*bool)(q) = r.bool()
		case fI8:
			*(*int8)(q) = readInt[int8](r)
		case fI16:
			*(*int16)(q) = readInt[int16](r)
		case fI32:
			*(*int32)(q) = readInt[int32](r)
		case fI64:
			*(*int64)(q) = r.int()
		case fU8:
			*(*uint8)(q) = readUint[uint8](r)
		case fU16:
			*(*uint16)(q) = readUint[uint16](r)
		case fU32:
			*(*uint32)(q) = readUint[uint32](r)
		case fU64:
			*(*uint64)(q) = r.uint()
		case fF32:
			*(*float32)(q) = float32(r.float())
		case fF64:
			*(*float64)(q) = r.float()
		}
	}
}
