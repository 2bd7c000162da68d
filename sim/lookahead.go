package sim

import "unsafe"

// Look-ahead for large rings.
//
// When the ring is in random memory order (what churn produces), each turn of a 1M-tasklet
// ring costs two dependent cache misses: the tasklet, then its frame (whose address is in
// the tasklet). Go has no prefetch instruction, but a load whose value is kept does the
// same, provided many of them are issued together: the CPU then waits for all their
// misses at once instead of one after the other. So every lookBatch turns a yield calls
// lookAhead, which loads the tasklets 2*lookBatch..3*lookBatch-1 places ahead in the ring
// (their memory arrives during the next turns) and the frames of those
// lookBatch..2*lookBatch-1 places ahead (their tasklets were loaded by the previous call,
// so the frame addresses are at hand). More loads in flight is better up to a point: at
// 1M shuffled tasklets a batch of 8 gave 40 ns a turn, 16 gave 33, 32 gave 31, 64 gave
// 30 but slowed 100k tasklets from 12 to 15 ns.
//
// The look-ahead is skipped for rings under touchMin tasklets (they fit in the caches,
// where the extra loads only cost) and, after one address comparison, for a ring whose
// next tasklets sit one after the other in memory (spawn order, from slabs): the CPU's own
// prefetcher already streams those, and the loads cost 1-2 ns a turn there.
//
// This file holds the package's only uses of unsafe: that comparison and touchFrame.
const (
	lookBatch = 32
	touchMin  = 4096
)

// lookAhead loads the memory of the tasklets and frames the ring will run soon; see above.
// The values read go to s.touched so that the compiler keeps the loads.
func (s *Scheduler) lookAhead() {
	q := &s.ring
	m := q.mask()
	if a, b := q.buf[(q.head+lookBatch)&m], q.buf[(q.head+lookBatch+1)&m]; a != nil && b != nil &&
		uintptr(unsafe.Pointer(b))-uintptr(unsafe.Pointer(a)) == unsafe.Sizeof(Tasklet{}) {
		return // neighbours in the ring are neighbours in memory: the CPU's own prefetcher does better
	}
	var sum taskletFlags
	for p := q.head + lookBatch; p != q.head+2*lookBatch; p++ {
		if u := q.buf[p&m]; u != nil {
			sum += touchFrame(u.frame)
		}
	}
	for p := q.head + 2*lookBatch; p != q.head+3*lookBatch; p++ {
		if u := q.buf[p&m]; u != nil {
			sum += u.flags + taskletFlags(u.pc)
		}
	}
	s.touched += sum
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
