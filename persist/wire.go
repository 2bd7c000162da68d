package persist

import (
	"encoding/binary"
	"fmt"
	"math"
)

// CBOR major types (RFC 8949 §3.1).
const (
	majUint   = 0
	majNint   = 1
	majBytes  = 2
	majText   = 3
	majArray  = 4
	majMap    = 5
	majTag    = 6
	majSimple = 7
)

var majorNames = [8]string{"unsigned integer", "negative integer", "byte string", "text string", "array", "map", "tag", "simple value or float"}

// writer appends Core Deterministic CBOR (RFC 8949 §4.2.1): shortest heads, definite
// lengths, shortest exact floats. Map keys are sorted by the callers.
type writer struct{ b []byte }

func (w *writer) head(major byte, n uint64) {
	m := major << 5
	switch {
	case n < 24:
		w.b = append(w.b, m|byte(n))
	case n <= math.MaxUint8:
		w.b = append(w.b, m|24, byte(n))
	case n <= math.MaxUint16:
		w.b = append(w.b, m|25, byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		w.b = append(w.b, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		w.b = append(w.b, m|27)
		w.b = binary.BigEndian.AppendUint64(w.b, n)
	}
}

func (w *writer) uint(n uint64) {
	if n < 24 {
		w.b = append(w.b, byte(n))
		return
	}
	w.head(majUint, n)
}

func (w *writer) int(n int64) {
	if n < 0 {
		w.head(majNint, uint64(-1-n))
		return
	}
	w.uint(uint64(n))
}

func (w *writer) bool(v bool) {
	if v {
		w.b = append(w.b, 0xf5)
	} else {
		w.b = append(w.b, 0xf4)
	}
}

func (w *writer) null() { w.b = append(w.b, 0xf6) }

func (w *writer) text(s string) {
	w.head(majText, uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *writer) bytes(b []byte) {
	w.head(majBytes, uint64(len(b)))
	w.b = append(w.b, b...)
}

func (w *writer) array(n int) { w.head(majArray, uint64(n)) }

// float writes f in the shortest form that keeps its value, as CoreDet requires: NaN as
// f97e00, infinities and exactly representable values as float16, else float32 or float64.
func (w *writer) float(f float64) {
	if f != f {
		w.b = append(w.b, 0xf9, 0x7e, 0x00)
		return
	}
	f32 := float32(f)
	if float64(f32) != f {
		w.b = append(w.b, 0xfb)
		w.b = binary.BigEndian.AppendUint64(w.b, math.Float64bits(f))
		return
	}
	if h, ok := toHalf(f32); ok {
		w.b = append(w.b, 0xf9, byte(h>>8), byte(h))
		return
	}
	w.b = append(w.b, 0xfa)
	w.b = binary.BigEndian.AppendUint32(w.b, math.Float32bits(f32))
}

// toHalf returns f as IEEE 754 binary16 bits if that is exact (f is not NaN).
func toHalf(f float32) (uint16, bool) {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exp := int(bits>>23) & 0xff
	mant := bits & 0x7fffff
	switch {
	case exp == 0xff: // infinity
		return sign | 0x7c00, mant == 0
	case exp == 0 && mant == 0:
		return sign, true
	case exp == 0: // float32 subnormals are far below float16's range
		return 0, false
	}
	e := exp - 127
	switch {
	case e >= -14 && e <= 15:
		if mant&0x1fff != 0 {
			return 0, false
		}
		return sign | uint16(e+15)<<10 | uint16(mant>>13), true
	case e >= -24 && e < -14:
		sig := mant | 1<<23
		k := uint(-(e + 1)) // value = sig * 2^(e-23) = m * 2^-24 with m = sig >> k
		if sig&(1<<k-1) != 0 {
			return 0, false
		}
		return sign | uint16(sig>>k), true
	}
	return 0, false
}

// fromHalf converts binary16 bits to float64.
func fromHalf(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * mant * math.Ldexp(1, -24)
	case 0x1f:
		if mant == 0 {
			return sign * math.Inf(1)
		}
		return math.NaN()
	}
	return sign * (1 + mant/1024) * math.Ldexp(1, exp-15)
}

// reader decodes CBOR with every length checked against the bytes that remain, so a
// claimed length can never make a caller allocate more than the input could fill. Errors
// are sticky: after the first one every read returns a zero value and the caller checks
// err at a convenient boundary.
type reader struct {
	b   []byte
	off int
	err *wireError
}

// A wireError is a problem found at a byte offset of the document.
type wireError struct {
	off  int
	kind error // ErrMalformed, ErrTruncated, ErrLimit, ErrUnknownType, ...
	msg  string
}

func (e *wireError) Error() string { return e.msg }
func (e *wireError) Unwrap() error { return e.kind }

func (r *reader) fail(format string, a ...any) { r.failk(ErrMalformed, format, a...) }

func (r *reader) failk(kind error, format string, a ...any) {
	if r.err == nil {
		r.err = &wireError{off: r.off, kind: kind, msg: fmt.Sprintf(format, a...)}
	}
	r.off = len(r.b)
}

func (r *reader) remaining() int { return len(r.b) - r.off }

// head reads an item's initial byte and argument. Indefinite lengths and reserved
// additional information are errors (CoreDet has neither).
func (r *reader) head() (major byte, arg uint64) {
	if r.off >= len(r.b) {
		r.failk(ErrTruncated, "truncated: unexpected end of data")
		return 0, 0
	}
	c := r.b[r.off]
	major, ai := c>>5, c&0x1f
	if ai < 24 {
		r.off++
		return major, uint64(ai)
	}
	var n int
	switch ai {
	case 24:
		n = 1
	case 25:
		n = 2
	case 26:
		n = 4
	case 27:
		n = 8
	default:
		if ai == 31 {
			r.fail("indefinite-length %s not allowed", majorNames[major])
		} else {
			r.fail("reserved additional information %d", ai)
		}
		return 0, 0
	}
	if r.off+1+n > len(r.b) {
		r.failk(ErrTruncated, "truncated: unexpected end of data")
		return 0, 0
	}
	p := r.b[r.off+1 : r.off+1+n]
	r.off += 1 + n
	switch n {
	case 1:
		arg = uint64(p[0])
	case 2:
		arg = uint64(binary.BigEndian.Uint16(p))
	case 4:
		arg = uint64(binary.BigEndian.Uint32(p))
	default:
		arg = binary.BigEndian.Uint64(p)
	}
	return major, arg
}

func (r *reader) want(major, want byte) bool {
	if major != want && r.err == nil {
		r.off-- // point at the item (approximately: its first byte)
		r.fail("want %s, found %s", majorNames[want], majorNames[major])
		return false
	}
	return r.err == nil
}

func (r *reader) uint() uint64 {
	if r.off < len(r.b) {
		if c := r.b[r.off]; c < 24 {
			r.off++
			return uint64(c)
		}
	}
	m, v := r.head()
	if !r.want(m, majUint) {
		return 0
	}
	return v
}

// uintMax reads an unsigned integer no larger than max.
func (r *reader) uintMax(max uint64, what string) uint64 {
	v := r.uint()
	if v > max {
		r.fail("%s %d out of range [0, %d]", what, v, max)
		return 0
	}
	return v
}

func (r *reader) int() int64 {
	if r.off < len(r.b) {
		if c := r.b[r.off]; c < 24 {
			r.off++
			return int64(c)
		}
	}
	m, v := r.head()
	if r.err != nil {
		return 0
	}
	switch {
	case m == majUint && v <= math.MaxInt64:
		return int64(v)
	case m == majNint && v <= math.MaxInt64:
		return -1 - int64(v)
	case m == majUint || m == majNint:
		r.fail("integer overflows int64")
		return 0
	}
	r.want(m, majUint)
	return 0
}

func (r *reader) bool() bool {
	if r.off < len(r.b) {
		switch r.b[r.off] {
		case 0xf4:
			r.off++
			return false
		case 0xf5:
			r.off++
			return true
		}
	}
	r.fail("want a boolean")
	return false
}

// null consumes a null and reports whether there was one.
func (r *reader) null() bool {
	if r.off < len(r.b) && r.b[r.off] == 0xf6 {
		r.off++
		return true
	}
	return false
}

// expectNull consumes the null that must follow the type index of an error value.
func (r *reader) expectNull(what string) {
	switch {
	case r.off >= len(r.b):
		r.failk(ErrTruncated, "truncated: unexpected end of data")
	case r.b[r.off] != 0xf6:
		r.fail("error %q: want null", what)
	default:
		r.off++
	}
}

func (r *reader) float() float64 {
	if r.off >= len(r.b) {
		r.failk(ErrTruncated, "truncated: unexpected end of data")
		return 0
	}
	c := r.b[r.off]
	if c>>5 == majUint || c>>5 == majNint { // integers are accepted where floats are expected
		return float64(r.int())
	}
	need := 0
	switch c {
	case 0xf9:
		need = 3
	case 0xfa:
		need = 5
	case 0xfb:
		need = 9
	}
	if need == 0 {
		r.fail("want a float, found %s", majorNames[c>>5])
		return 0
	}
	if r.off+need > len(r.b) {
		r.failk(ErrTruncated, "truncated: unexpected end of data")
		return 0
	}
	p := r.b[r.off+1 : r.off+need]
	r.off += need
	switch need {
	case 3:
		return fromHalf(binary.BigEndian.Uint16(p))
	case 5:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(p)))
	}
	return math.Float64frombits(binary.BigEndian.Uint64(p))
}

// length reads the head of an item of the given major type whose length is at most max
// and at most what the remaining bytes can hold (minBytes per element).
func (r *reader) length(major byte, max int, minBytes int, what string) int {
	m, n := r.head()
	if !r.want(m, major) {
		return 0
	}
	if n > uint64(max) {
		r.failk(ErrLimit, "%s: length %d over the limit %d", what, n, max)
		return 0
	}
	if n*uint64(minBytes) > uint64(r.remaining()) {
		r.failk(ErrTruncated, "truncated: %s claims %d elements, only %d bytes remain", what, n, r.remaining())
		return 0
	}
	return int(n)
}

func (r *reader) arrayLen(max int, what string) int { return r.length(majArray, max, 1, what) }

// arrayOf reads an array head that must have exactly n elements.
func (r *reader) arrayOf(n int, what string) bool {
	m, v := r.head()
	if !r.want(m, majArray) {
		return false
	}
	if v != uint64(n) {
		r.fail("%s: want %d elements, found %d", what, n, v)
		return false
	}
	return true
}

func (r *reader) rawBytes(major byte, max int, what string) []byte {
	n := r.length(major, max, 1, what)
	if r.err != nil {
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) text(max int, what string) string {
	return string(r.rawBytes(majText, max, what))
}

func (r *reader) bytes(max int, what string) []byte {
	p := r.rawBytes(majBytes, max, what)
	if len(p) == 0 {
		return nil
	}
	return append([]byte(nil), p...)
}

// skip skips one item, nested at most depth levels.
func (r *reader) skip(depth int) {
	if depth <= 0 {
		r.failk(ErrLimit, "nesting too deep")
		return
	}
	m, n := r.head()
	if r.err != nil {
		return
	}
	switch m {
	case majBytes, majText:
		if n > uint64(r.remaining()) {
			r.failk(ErrTruncated, "truncated: string claims %d bytes, only %d remain", n, r.remaining())
			return
		}
		r.off += int(n)
	case majArray, majMap:
		if m == majMap {
			if n > math.MaxInt64/2 {
				r.fail("map too long")
				return
			}
			n *= 2
		}
		if n > uint64(r.remaining()) {
			r.failk(ErrTruncated, "truncated: %s claims %d items, only %d bytes remain", majorNames[m], n, r.remaining())
			return
		}
		for ; n > 0 && r.err == nil; n-- {
			r.skip(depth - 1)
		}
	case majTag:
		r.skip(depth - 1)
	case majSimple:
		// head consumed the value and any float payload
	}
}
