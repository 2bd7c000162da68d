package sim

// queue is a double-ended ring buffer of tasklets: the runnable ring, a channel's wait queue,
// the paused set. Positions are absolute uint32 counters (slot = pos & mask) so a tasklet can
// be removed in O(1) by leaving a tombstone (nil) at the position it records in Tasklet.pos.
// A tasklet is in at most one queue at a time. The zero value is an empty queue.
type queue struct {
	buf  []*Tasklet
	head uint32 // position of the first slot (which may be a tombstone)
	tail uint32 // one past the last slot
	n    int    // live entries
}

func (q *queue) len() int { return q.n }

func (q *queue) mask() uint32 { return uint32(len(q.buf) - 1) }

// grow makes room for one more slot in a full queue, compacting tombstones or doubling the
// buffer. Pushes check for room themselves, so that the common case makes no call.
func (q *queue) grow() {
	size := len(q.buf) * 2
	if size == 0 {
		size = 8
	}
	if q.n <= len(q.buf)/2 && len(q.buf) > 0 {
		size = len(q.buf) // mostly tombstones: compact in place of growing
	}
	nb := make([]*Tasklet, size)
	nm := uint32(size - 1)
	pos := q.head
	for p := q.head; p != q.tail; p++ {
		if t := q.buf[p&q.mask()]; t != nil {
			nb[pos&nm] = t
			t.pos = pos
			pos++
		}
	}
	q.buf, q.tail = nb, pos
}

// presize gives an empty queue room for n tasklets without growing.
func (q *queue) presize(n int) {
	if len(q.buf) >= n || n < 8 {
		return
	}
	size := 8
	for size < n {
		size *= 2
	}
	nb := make([]*Tasklet, size)
	m := uint32(size - 1)
	for p := q.head; p != q.tail; p++ {
		nb[p&m] = q.buf[p&q.mask()]
	}
	q.buf = nb
}

func (q *queue) pushBack(t *Tasklet) {
	if int(q.tail-q.head) >= len(q.buf) {
		q.grow()
	}
	t.pos = q.tail
	q.buf[q.tail&q.mask()] = t
	q.tail++
	q.n++
}

func (q *queue) pushFront(t *Tasklet) {
	if int(q.tail-q.head) >= len(q.buf) {
		q.grow()
	}
	q.head--
	t.pos = q.head
	q.buf[q.head&q.mask()] = t
	q.n++
}

// front returns the first live tasklet, or nil.
func (q *queue) front() *Tasklet {
	if q.n == 0 {
		return nil
	}
	m := q.mask()
	for {
		if t := q.buf[q.head&m]; t != nil {
			return t
		}
		q.head++
	}
}

// back returns the last live tasklet, or nil.
func (q *queue) back() *Tasklet {
	if q.n == 0 {
		return nil
	}
	m := q.mask()
	for {
		if t := q.buf[(q.tail-1)&m]; t != nil {
			return t
		}
		q.tail--
	}
}

func (q *queue) popFront() *Tasklet {
	t := q.front()
	if t != nil {
		q.buf[q.head&q.mask()] = nil
		q.head++
		q.n--
	}
	return t
}

func (q *queue) popBack() *Tasklet {
	t := q.back()
	if t != nil {
		q.tail--
		q.buf[q.tail&q.mask()] = nil
		q.n--
	}
	return t
}

// rotate moves the front tasklet to the back: one Stackless schedule(). The slot it
// leaves makes room for it, so the buffer never grows here.
func (q *queue) rotate() {
	t := q.front()
	if t == nil {
		return
	}
	m := q.mask()
	q.buf[q.head&m] = nil
	q.head++
	t.pos = q.tail
	q.buf[q.tail&m] = t
	q.tail++
}

// replace puts u in t's slot; t leaves the queue.
func (q *queue) replace(t, u *Tasklet) {
	u.pos = t.pos
	q.buf[t.pos&q.mask()] = u
}

// remove takes t out of the queue, leaving a tombstone.
func (q *queue) remove(t *Tasklet) {
	q.buf[t.pos&q.mask()] = nil
	q.n--
	if q.n == 0 {
		q.head, q.tail = 0, 0
	}
}

// each calls f for every live tasklet from front to back until f returns false.
func (q *queue) each(f func(*Tasklet) bool) {
	m := q.mask()
	for p := q.head; p != q.tail; p++ {
		if t := q.buf[p&m]; t != nil && !f(t) {
			return
		}
	}
}

// index returns the number of live tasklets before t, or -1.
func (q *queue) index(t *Tasklet) int {
	i := 0
	found := -1
	q.each(func(u *Tasklet) bool {
		if u == t {
			found = i
			return false
		}
		i++
		return true
	})
	return found
}
