package server

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// An Input is one command from a client (a player's connection, a tool, another zone),
// delivered into the world at a tick boundary by Options.Deliver.
type Input struct {
	Client uint64 // who sent it
	Seq    uint64 // the client's sequence number: (Client, Seq) identifies the input
	// Tick is the tick before which the input is delivered: it is handed to Deliver just
	// before tick Tick runs. 0 means the next tick. An input for a tick already run is
	// delivered before the next one and counted as late; the input log records the tick it
	// was delivered at.
	Tick    uint64
	Payload []byte // at most MaxPayload bytes, opaque to the server
}

// MaxPayload is the largest Input.Payload Submit accepts.
const MaxPayload = 64 << 10

// Errors of Submit. Each refused input is counted in InputStats.Refused (duplicates in
// Duplicates).
var (
	ErrQueueFull      = errors.New("server: input queue full (Options.MaxQueued inputs wait for their tick); try again after the next tick")
	ErrDuplicate      = errors.New("server: duplicate input: this client already sent this sequence number")
	ErrTooManyClients = errors.New("server: too many clients remembered (Options.MaxClients); Forget clients that left")
	ErrNoDeliver      = errors.New("server: inputs are not accepted: Options.Deliver is not set")
	ErrPayloadTooBig  = fmt.Errorf("server: input payload over %d bytes (MaxPayload)", MaxPayload)
)

// InputStats count inputs since the server was made.
type InputStats struct {
	Accepted   uint64 // taken by Submit
	Delivered  uint64 // handed to Deliver
	Duplicates uint64 // refused: a (client, seq) seen before
	Late       uint64 // delivered a tick or more after the tick they asked for
	Refused    uint64 // refused for another reason: queue full, too many clients, too big
	Queued     int    // waiting for their tick now
}

// Submit queues an input for its tick. It is safe for concurrent use from any number of
// goroutines and never blocks on the tick loop. It copies the payload. It refuses, with an
// error and a count, a duplicate (client, seq) (ErrDuplicate), an input when
// Options.MaxQueued wait already (ErrQueueFull), a new client past Options.MaxClients
// (ErrTooManyClients) and a payload over MaxPayload (ErrPayloadTooBig). Cost: O(log
// DedupWindow) plus the copy.
func (s *Server) Submit(in Input) error {
	if s.opts.Deliver == nil {
		return ErrNoDeliver
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.in.submit(in)
}

// Forget drops what the server remembers of client's sequence numbers (when it
// disconnects for good): a later input from it is not checked against the earlier ones.
func (s *Server) Forget(client uint64) {
	s.mu.Lock()
	delete(s.in.clients, client)
	s.mu.Unlock()
}

// inputQueue holds submitted inputs until their tick, and the sequence numbers seen.
// Its methods are called with Server.mu held.
type inputQueue struct {
	items      []Input
	queued     int
	maxQueued  int
	maxClients int
	window     int
	clients    map[uint64]*seqWindow
	stats      InputStats
}

// seqWindow remembers a client's recent sequence numbers: those in recent (sorted) and,
// once the window has slid, everything at or below floor.
type seqWindow struct {
	recent   []uint64
	floor    uint64
	hasFloor bool
}

func (q *inputQueue) init(o Options) {
	q.maxQueued, q.maxClients, q.window = o.MaxQueued, o.MaxClients, o.DedupWindow
	q.clients = map[uint64]*seqWindow{}
}

func (q *inputQueue) submit(in Input) error {
	if len(in.Payload) > MaxPayload {
		q.stats.Refused++
		return ErrPayloadTooBig
	}
	if q.queued >= q.maxQueued {
		q.stats.Refused++
		return ErrQueueFull
	}
	sw := q.clients[in.Client]
	if sw == nil {
		if len(q.clients) >= q.maxClients {
			q.stats.Refused++
			return ErrTooManyClients
		}
		sw = &seqWindow{}
		q.clients[in.Client] = sw
	}
	if !sw.add(in.Seq, q.window) {
		q.stats.Duplicates++
		return ErrDuplicate
	}
	in.Payload = slices.Clone(in.Payload)
	q.items = append(q.items, in)
	q.queued++
	q.stats.Accepted++
	return nil
}

// add records seq and reports whether it is new.
func (sw *seqWindow) add(seq uint64, window int) bool {
	if sw.hasFloor && seq <= sw.floor {
		return false
	}
	i, found := slices.BinarySearch(sw.recent, seq)
	if found {
		return false
	}
	sw.recent = slices.Insert(sw.recent, i, seq)
	if len(sw.recent) > window {
		sw.floor, sw.hasFloor = sw.recent[0], true
		sw.recent = slices.Delete(sw.recent, 0, 1)
	}
	return true
}

// take removes the inputs due at tick next (asked for next, an earlier tick, or 0) and
// returns them in (asked tick, client, seq) order with Tick set to next. Cost: O(queued)
// plus sorting the due ones.
func (q *inputQueue) take(next uint64, dst []Input) []Input {
	keep := q.items[:0]
	start := len(dst)
	for _, in := range q.items {
		switch {
		case in.Tick == 0:
			in.Tick = next
		case in.Tick > next:
			keep = append(keep, in)
			continue
		}
		dst = append(dst, in)
	}
	clear(q.items[len(keep):])
	q.items = keep
	q.queued = len(keep)
	due := dst[start:]
	slices.SortFunc(due, func(a, b Input) int {
		return cmp.Or(cmp.Compare(a.Tick, b.Tick), cmp.Compare(a.Client, b.Client), cmp.Compare(a.Seq, b.Seq))
	})
	for i := range due {
		if due[i].Tick < next {
			q.stats.Late++
			due[i].Tick = next
		}
	}
	q.stats.Delivered += uint64(len(due))
	return dst
}

// deliver hands the inputs due at the next tick to Options.Deliver and the input log.
func (s *Server) deliver() error {
	if s.opts.Deliver == nil {
		return nil
	}
	next := s.w.Now() + 1
	s.mu.Lock()
	due := s.in.take(next, s.due[:0])
	late := s.in.stats.Late
	s.mu.Unlock()
	s.due = due
	if late != s.lateSeen {
		s.opts.Logger.Debug("late inputs delivered at the next tick", "tick", next, "late_total", late)
		s.lateSeen = late
	}
	if log := s.opts.InputLog; log != nil {
		if err := log.append(next, due); err != nil {
			return err
		}
	}
	if len(due) == 0 {
		return nil
	}
	if err := s.opts.Deliver(s.w, due); err != nil {
		return fmt.Errorf("server: deliver %d inputs before tick %d: %w", len(due), next, err)
	}
	clear(s.due)
	return nil
}
