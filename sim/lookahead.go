package sim

import "unsafe"

// Look-ahead for large rings.
//
// When the ring is in random memory order (what churn produces), each turn of a 1M-tasklet
// ring costs two dependent cache misses: the tasklet, then its frame (whose address is in
// the tasklet). So every lookBatch turns a yield calls lookAhead, which prefetches the
// tasklets 2*lookBatch..3*lookBatch-1 places ahead in the ring (their memory arrives during
// the next turns) and the frames of those lookBatch..2*lookBatch-1 places ahead (their
// tasklets were prefetched by the previous call, so the frame addresses are at hand).
//
// On amd64, prefetchRing is a few lines of assembly issuing PREFETCHT0, which the CPU
// retires at once. Elsewhere (or with -tags purego) it is Go code that loads a byte of each
// and keeps the sum: the loads overlap one another but hold up the instructions behind
// them until they arrive. lookBatch is the batch size at which BenchmarkTurn's shuffled
// 1M-tasklet ring turns fastest with prefetches; its figures are in the README.
//
// The look-ahead is skipped for rings under touchMin tasklets (they fit in the caches,
// where the extra work only costs) and, after one address comparison, for a ring whose
// next tasklets sit one after the other in memory (spawn order, from slabs): the CPU's own
// prefetcher already streams those.
//
// This file and prefetch_*.go hold the package's only uses of unsafe and assembly.
const (
	lookBatch = 16
	touchMin  = 4096
)

// lookAhead prefetches the tasklets and frames the ring will run soon; see above.
func (s *Scheduler) lookAhead() {
	q := &s.ring
	m := q.mask()
	if a, b := q.buf[(q.head+lookBatch)&m], q.buf[(q.head+lookBatch+1)&m]; a != nil && b != nil &&
		uintptr(unsafe.Pointer(b))-uintptr(unsafe.Pointer(a)) == unsafe.Sizeof(Tasklet{}) {
		return // neighbours in the ring are neighbours in memory: the CPU's own prefetcher does better
	}
	s.touched += prefetchRing(q.buf, q.head+lookBatch, q.head+2*lookBatch, m, true)
	s.touched += prefetchRing(q.buf, q.head+2*lookBatch, q.head+3*lookBatch, m, false)
}

// touchFrame reads the first byte of the value behind f's data word (the frame struct for
// the usual pointer frames, the boxed copy for others) and returns it. An interface is two
// words, type and data, and Go gives no other way to load what the data word points to
// without knowing the type. Any non-nil pointer Go makes points to at least one readable
// byte (zero-size values point to a shared base), and the byte is only summed into a sink,
// never interpreted.
func touchFrame(f Frame) taskletFlags {
	p := (*[2]unsafe.Pointer)(unsafe.Pointer(&f))[1]
	if p == nil {
		return 0
	}
	return *(*taskletFlags)(p)
}

// prefetchRingGo is prefetchRing in Go, with loads: for the ring positions from..to-1
// (masked), it reads the frame behind each tasklet (frames) or the tasklet itself, and
// returns the sum of the bytes read so that the compiler keeps the loads.
func prefetchRingGo(buf []*Tasklet, from, to, mask uint32, frames bool) taskletFlags {
	var sum taskletFlags
	for p := from; p != to; p++ {
		u := buf[p&mask]
		switch {
		case u == nil:
		case frames:
			sum += touchFrame(u.frame)
		default:
			sum += u.flags + taskletFlags(u.pc)
		}
	}
	return sum
}
