package persist

import (
	"fmt"
	"strconv"
	"strings"
)

// A shape is the layout of a value in the format: what the header's type table records
// for each registered type, so that a snapshot can be read without the Go types (inspect,
// diff, upgrades) and a changed layout is caught at load instead of misread.
//
// Written forms, Go-like:
//
//	bool  int  uint  float  string  bytes  chan  any
//	[N]byte          a fixed-size byte array (a byte string of N bytes)
//	[]S  [N]S        a slice or an array of S (a CBOR array)
//	map[K]V          a map (CBOR map, keys sorted as CoreDet requires)
//	{A S; B S}       a struct: its exported fields in order (a CBOR array)
//	*name            a pointer to the registered type name: null or its value
//
// int and uint cover every size (a value too large for the Go field fails at load); any is
// an interface value: null or [type index, value].
type shape struct {
	kind   shapeKind
	n      int    // sArray, sFixedBytes: length
	elem   *shape // sSlice, sArray, sMap: element or value
	key    *shape // sMap
	fields []shapeField
	ref    string // sPtr: registered name of the pointee
}

type shapeField struct {
	name  string
	shape *shape
}

type shapeKind uint8

const (
	sBool shapeKind = iota + 1
	sInt
	sUint
	sFloat
	sString
	sBytes
	sFixedBytes
	sChan
	sAny
	sSlice
	sArray
	sMap
	sStruct
	sPtr
)

var (
	kindWords  = [...]string{sBool: "bool", sInt: "int", sUint: "uint", sFloat: "float", sString: "string", sBytes: "bytes", sChan: "chan", sAny: "any"}
	shapeWords = map[string]shapeKind{"bool": sBool, "int": sInt, "uint": sUint, "float": sFloat, "string": sString, "bytes": sBytes, "chan": sChan, "any": sAny}
)

func (s *shape) String() string {
	var b strings.Builder
	s.write(&b)
	return b.String()
}

func (s *shape) write(b *strings.Builder) {
	switch s.kind {
	case sFixedBytes:
		fmt.Fprintf(b, "[%d]byte", s.n)
	case sSlice:
		b.WriteString("[]")
		s.elem.write(b)
	case sArray:
		fmt.Fprintf(b, "[%d]", s.n)
		s.elem.write(b)
	case sMap:
		b.WriteString("map[")
		s.key.write(b)
		b.WriteString("]")
		s.elem.write(b)
	case sStruct:
		b.WriteString("{")
		for i, f := range s.fields {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(f.name)
			b.WriteString(" ")
			f.shape.write(b)
		}
		b.WriteString("}")
	case sPtr:
		b.WriteString("*")
		b.WriteString(s.ref)
	default:
		b.WriteString(kindWords[s.kind])
	}
}

// minBytes is the fewest bytes a value of this shape takes in CBOR: what a claimed count
// of such values must leave in the input before anything is allocated for them.
func (s *shape) minBytes() int {
	switch s.kind {
	case sFixedBytes:
		return 1 + s.n
	case sArray:
		return 1 + s.n*s.elem.minBytes()
	case sStruct:
		n := 1
		for _, f := range s.fields {
			n += f.shape.minBytes()
		}
		return n
	}
	return 1
}

// Limits of shape strings read from a file.
const (
	maxShapeLen   = 1 << 16
	maxPCNames    = 1 << 16 // resume point names of one type
	maxShapeDepth = 64
	maxArrayShape = 1 << 20
)

// parseShape parses a shape string from a snapshot's type table.
func parseShape(str string) (*shape, error) {
	if len(str) > maxShapeLen {
		return nil, fmt.Errorf("shape of %d bytes over the limit %d", len(str), maxShapeLen)
	}
	p := shapeParser{s: str}
	sh := p.parse(0)
	if p.err == nil && p.i != len(p.s) {
		p.fail("unexpected %q", p.s[p.i:])
	}
	if p.err != nil {
		return nil, p.err
	}
	return sh, nil
}

type shapeParser struct {
	s   string
	i   int
	err error
}

func (p *shapeParser) fail(format string, a ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("bad shape %q at %d: %s", p.s, p.i, fmt.Sprintf(format, a...))
	}
	p.i = len(p.s)
}

func (p *shapeParser) eat(tok string) bool {
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *shapeParser) word(stop string) string {
	j := p.i
	for j < len(p.s) && !strings.ContainsRune(stop, rune(p.s[j])) {
		j++
	}
	w := p.s[p.i:j]
	p.i = j
	return w
}

func (p *shapeParser) parse(depth int) *shape {
	if depth > maxShapeDepth {
		p.fail("nested more than %d levels", maxShapeDepth)
		return nil
	}
	switch {
	case p.err != nil:
		return nil
	case p.eat("[]"):
		return &shape{kind: sSlice, elem: p.parse(depth + 1)}
	case p.eat("["):
		n, err := strconv.Atoi(p.word("]"))
		if err != nil || n < 0 || n > maxArrayShape || !p.eat("]") {
			p.fail("bad array length")
			return nil
		}
		if p.eat("byte") {
			return &shape{kind: sFixedBytes, n: n}
		}
		return &shape{kind: sArray, n: n, elem: p.parse(depth + 1)}
	case p.eat("map["):
		k := p.parse(depth + 1)
		if !p.eat("]") {
			p.fail("want ]")
			return nil
		}
		return &shape{kind: sMap, key: k, elem: p.parse(depth + 1)}
	case p.eat("{"):
		s := &shape{kind: sStruct}
		for p.err == nil && !p.eat("}") {
			if len(s.fields) > 0 && !p.eat("; ") {
				p.fail("want ; or }")
				return nil
			}
			name := p.word(" ;{}[]")
			if name == "" || !p.eat(" ") {
				p.fail("want a field name and a space")
				return nil
			}
			s.fields = append(s.fields, shapeField{name, p.parse(depth + 1)})
		}
		return s
	case p.eat("*"):
		name := p.word(" ;{}[]")
		if !validName(name) {
			p.fail("bad type name %q", name)
			return nil
		}
		return &shape{kind: sPtr, ref: name}
	}
	w := p.word(" ;{}[]")
	k, ok := shapeWords[w]
	if !ok {
		p.fail("unknown shape %q", w)
		return nil
	}
	return &shape{kind: k}
}

// validName reports whether name can be a registered name: 1 to 200 bytes of letters,
// digits and . _ - / (no spaces or brackets, so that shapes and messages stay readable).
func validName(name string) bool {
	if len(name) == 0 || len(name) > 200 {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-', c == '/':
		default:
			return false
		}
	}
	return true
}
