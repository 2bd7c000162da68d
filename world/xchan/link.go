package xchan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// maxInbox bounds the messages a link queues between two boundaries; more are dropped
// (and counted): the state they carry is repeated by the next one, and a gap in the
// values they carry is asked for again.
const maxInbox = 4096

// Config configures one side of a link between two zones.
type Config struct {
	// Conn is the NATS connection (required). The link subscribes to Subject(Local, Peer)
	// and publishes on Subject(Peer, Local).
	Conn *nats.Conn
	// Local and Peer are the two zones' names: 1 to 128 letters, digits, '-' or '_'.
	Local, Peer string
	// LockStep makes Boundary wait, at tick N, until the peer's message of tick N-1 has
	// arrived, and apply exactly the peer's messages of ticks up to N-1: both worlds then
	// see every hand-off at the same ticks in every run. false: Boundary applies what has
	// arrived and never waits (free-running zones; which tick a hand-off lands on then
	// depends on the network).
	LockStep bool
	// Logger receives refused messages and misuse. nil: slog.Default().
	Logger *slog.Logger
}

// Stats counts a link's traffic since Open.
type Stats struct {
	Messages, Bytes       uint64 // published
	Received, Refused     uint64 // messages taken in; refused as malformed or hostile
	BytesIn               uint64 // bytes of the messages that arrived (taken in, refused or dropped)
	Dropped               uint64 // messages dropped because the inbox was full
	Offered, Delivered    uint64 // values offered (handed over) to the peer; values delivered here
	Released, Undecodable uint64 // senders released here; values refused at delivery
	Errors                uint64 // errors delivered here (counted in Delivered too)

	// As of the last boundary: values offered whose senders still wait here, values taken
	// by the peer and kept until its save covers them, values received here that wait for
	// a receiver.
	Offering, Kept, Pending int
	// As of the last boundary: tasklets blocked sending and receiving on the link's
	// channels here, and how many ticks this world is ahead of the peer's last message
	// taken in (1 in lock step; -1 before the first).
	Senders, Receivers int
	PeerLagTicks       int64
}

// A Link joins one world to one peer zone over NATS and carries its cross-zone channels.
// All its methods except Stats are called from the main program between ticks (the same
// goroutine as World.Tick); NATS delivers messages to it concurrently and it queues them.
type Link struct {
	cfg   Config
	w     *world.World
	log   *slog.Logger
	mb    world.Mailbox[[]byte]
	chans []*channel // saved state order, then declaration order
	sub   *nats.Subscription

	hello    bool   // the next message is the first since Open
	havePeer bool   // a message of the peer has been taken in
	peerMax  uint64 // the highest tick of the peer's messages taken in
	held     []*message
	unknown  map[string]bool // channels the peer named that are not declared here (logged once)

	marks []mark // what saves at recent ticks cover, oldest first (see DurableAt)

	mu     sync.Mutex
	inbox  [][]byte
	notify chan struct{}
	last   *message // the last message published, repeated on a peer's Hello
	stats  Stats
}

// channel is one cross-zone channel of a link.
type channel struct {
	st       chanState
	id       sim.ChanID
	declared bool
	decode   func([]byte) (any, error) // DirIn only

	peerBalance int32
	sent        uint64 // DirOut: the highest sequence number put on the wire since Open
	want        uint64 // DirIn: ask the peer to send again from here (0: no)
	durable     uint64 // DirIn: Accepted as of the last save known durable
	allOffered  bool   // DirOut: no blocked sender is left to offer
	refused     map[sim.ID]bool
	warned      bool
}

// Open opens w's side of the link to cfg.Peer: it reads the link's state saved in w (if w
// was loaded from a save), subscribes, and announces itself to the peer. Declare the
// link's channels with Out and In next, before the first Boundary. Open takes the state
// it finds in w as saved (w is new, or was just loaded): the peer may forget the values
// it covers. Cost: one NATS subscription and one message.
func Open(w *world.World, cfg Config) (*Link, error) {
	if cfg.Conn == nil {
		return nil, errors.New("xchan: open: Config.Conn is nil (connect to NATS first)")
	}
	if !validName(cfg.Local) || !validName(cfg.Peer) || cfg.Local == cfg.Peer {
		return nil, fmt.Errorf("xchan: open: zone names %q and %q: want two different names of 1 to %d letters, digits, '-' or '_'", cfg.Local, cfg.Peer, maxNameBytes)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := w.Scheduler()
	if s.Current() != s.Main() {
		return nil, errors.New("xchan: open: called from a running tasklet; open between ticks")
	}
	mb, st, err := loadState(w, cfg.Peer)
	if err != nil {
		return nil, err
	}
	l := &Link{cfg: cfg, w: w, log: cfg.Logger.With("link", cfg.Local+"->"+cfg.Peer), mb: mb,
		hello: true, notify: make(chan struct{}, 1), unknown: map[string]bool{}}
	for _, cs := range st.Chans {
		c := &channel{st: cs, sent: cs.PeerAccepted, durable: cs.Accepted, refused: map[sim.ID]bool{}}
		c.id = world.Chan[any](w, localName(cfg.Peer, cs.Name)).ID()
		l.chans = append(l.chans, c)
	}
	l.sub, err = cfg.Conn.Subscribe(Subject(cfg.Local, cfg.Peer), l.onMsg)
	if err != nil {
		return nil, fmt.Errorf("xchan: open: subscribe %s: %w", Subject(cfg.Local, cfg.Peer), err)
	}
	if err := l.publish(); err != nil {
		_ = l.sub.Unsubscribe()
		return nil, err
	}
	return l, nil
}

// Out declares the channel name of the link, on which tasklets of this zone send values
// of type V for the peer's tasklets to receive (the peer declares it with In), and
// returns its local end: frames use it as any channel (Send blocks until a receiver in
// the peer zone has taken the value). V must encode to CBOR (plain data: no channel
// handles, funcs or chans). Call it after Open (again after every Open of a loaded world).
func Out[V any](l *Link, name string) (sim.Chan[V], error) { return end[V](l, name, DirOut) }

// In declares the channel name of the link, from which tasklets of this zone receive the
// values of type V that the peer's tasklets send (the peer declares it with Out), and
// returns its local end. A value that does not decode into V is refused at delivery
// (logged, counted in Stats.Undecodable) and its sender is released as if it had been
// taken.
func In[V any](l *Link, name string) (sim.Chan[V], error) { return end[V](l, name, DirIn) }

// Both declares the two-way channel name of the link: tasklets of both zones send values
// of type V on it and receive them (the peer declares it with Both too), and returns its
// local end. A send finds a receiver of its own zone during the tick, as on any channel;
// a sender still blocked at a boundary hands its value to a receiver of the peer once the
// peer has claimed one (it claims one for each receiver waiting there at its boundary),
// and is released then. Values cross in the order their senders blocked. See the package
// documentation for the timing, Close and what a receiver that stops waiting leaves.
func Both[V any](l *Link, name string) (sim.Chan[V], error) { return end[V](l, name, DirBoth) }

// end declares channel name in direction dir and returns its local end; where values
// arrive (In, Both), they are decoded into V.
func end[V any](l *Link, name string, dir Dir) (sim.Chan[V], error) {
	c, err := l.declare(name, dir)
	if err != nil {
		return sim.Chan[V]{}, err
	}
	if dir != DirOut {
		c.decode = func(b []byte) (any, error) {
			var v V
			err := decMode.Unmarshal(b, &v)
			return v, err
		}
	}
	return sim.ChanOf[V](c.id), nil
}

func (l *Link) declare(name string, dir Dir) (*channel, error) {
	if !validName(name) {
		return nil, fmt.Errorf("xchan: channel %q: want 1 to %d letters, digits, '-' or '_'", name, maxNameBytes)
	}
	c := l.channel(name)
	switch {
	case c != nil && c.declared:
		return nil, fmt.Errorf("xchan: channel %q of the link to %s is declared twice", name, l.cfg.Peer)
	case c != nil && c.st.Dir != dir:
		return nil, fmt.Errorf("xchan: channel %q of the link to %s was saved as %s, declared %s", name, l.cfg.Peer, c.st.Dir, dir)
	case c == nil && len(l.chans) >= MaxChannels:
		return nil, fmt.Errorf("xchan: link to %s: more than MaxChannels (%d) channels", l.cfg.Peer, MaxChannels)
	case c == nil:
		c = &channel{st: chanState{Name: name, Dir: dir}, refused: map[sim.ID]bool{}}
		c.id = world.Chan[any](l.w, localName(l.cfg.Peer, name)).ID()
		l.chans = append(l.chans, c)
	}
	c.declared = true
	return c, l.store()
}

func (l *Link) channel(name string) *channel {
	for _, c := range l.chans {
		if c.st.Name == name {
			return c
		}
	}
	return nil
}

// Boundary does the link's work at a tick boundary: call it from the main program after
// each World.Tick (and before saving). It takes in the peer's messages (with LockStep,
// exactly those of ticks before the current one, waiting for them until ctx is done),
// releases the senders whose values the peer's receivers took, delivers received values
// to the receivers waiting here, offers the values of the senders blocked here, stores
// the link's state in the world, and publishes one message. It returns an error only if
// ctx ends while it waits or the message cannot be published; refused peer messages are
// logged and counted, never returned. Cost: O(channels + values in flight + tasklets
// blocked on the link's channels).
func (l *Link) Boundary(ctx context.Context) error {
	s := l.w.Scheduler()
	if s.Current() != s.Main() {
		return errors.New("xchan: boundary: called from a running tasklet; call it between ticks")
	}
	now := l.w.Now()
	if err := l.collect(ctx, now); err != nil {
		return err
	}
	l.applyDue(now)
	for _, c := range l.chans {
		switch {
		case !c.declared:
		case c.st.Dir == DirOut:
			l.offer(c)
		case c.st.Dir == DirIn:
			l.deliver(c)
		default:
			l.exchange(c)
		}
	}
	if err := l.store(); err != nil {
		return err
	}
	l.mark(now)
	l.gauge()
	return l.publish()
}

// Close closes channel name on both sides, as Stackless's channel.close: here at once,
// there from its next boundary after this one's message, operations that would block on
// it fail with sim.ErrClosed and waiting tasklets are not woken; values already offered
// are still delivered. The receiving end closes once every value offered before the
// close is delivered; the sending end, once the receiving side reports no receiver
// waiting. Cost: one state store.
func (l *Link) Close(name string) error {
	c := l.channel(name)
	if c == nil || !c.declared {
		return fmt.Errorf("xchan: close: no channel %q on the link to %s", name, l.cfg.Peer)
	}
	c.st.Closing = true
	switch ch := l.w.Scheduler().Channel(c.id); {
	case ch == nil:
	case c.st.Dir == DirBoth:
		l.closeEnd(c, ch)
	default:
		ch.Close()
	}
	return l.store()
}

// Balance returns channel name's balance across both zones, as a Stackless channel's:
// blocked senders minus blocked receivers, counting the peer's as of its last message
// taken in (one tick old with LockStep).
func (l *Link) Balance(name string) (int, error) {
	c := l.channel(name)
	if c == nil {
		return 0, fmt.Errorf("xchan: balance: no channel %q on the link to %s", name, l.cfg.Peer)
	}
	return l.localBalance(c) + int(c.peerBalance), nil
}

func (l *Link) localBalance(c *channel) int {
	if ch := l.w.Scheduler().Channel(c.id); ch != nil {
		return ch.Balance()
	}
	return 0
}

// A Checkpoint is what a link's state in a save covers; see Link.Checkpoint.
type Checkpoint struct{ accepted []uint64 }

// Checkpoint returns what a save taken now covers. Take it just before saving the world,
// and pass it to Durable once the save is on disk: the peer then forgets the values
// delivered here up to that save (it keeps the others, to send again should this zone
// restart from that save). SaveFile does both.
func (l *Link) Checkpoint() Checkpoint {
	cp := Checkpoint{accepted: make([]uint64, len(l.chans))}
	for i, c := range l.chans {
		cp.accepted[i] = c.st.Accepted
	}
	return cp
}

// Durable records that a save taken at cp is on disk (see Checkpoint).
func (l *Link) Durable(cp Checkpoint) {
	for i, a := range cp.accepted {
		if i < len(l.chans) && a > l.chans[i].durable {
			l.chans[i].durable = a
		}
	}
}

// maxMarks bounds the checkpoints a link remembers for DurableAt.
const maxMarks = 1024

// mark is the checkpoint of the boundary of a tick.
type mark struct {
	tick uint64
	cp   Checkpoint
}

// mark remembers what a save of tick now would cover, if it differs from the last one.
func (l *Link) mark(now uint64) {
	cp := l.Checkpoint()
	if n := len(l.marks); n > 0 && slices.Equal(l.marks[n-1].cp.accepted, cp.accepted) {
		return
	}
	if len(l.marks) == maxMarks {
		l.marks = append(l.marks[:0], l.marks[1:]...)
	}
	l.marks = append(l.marks, mark{tick: now, cp: cp})
}

// DurableAt records that a save of the world taken at the boundary of tick (after
// Boundary) is on disk: for a runtime that saves on its own schedule, such as
// world/server (call Boundary from Options.AfterTick and DurableAt from Options.OnSave
// when SaveResult.Err is nil). It remembers the last 1024 changes of what a save covers;
// a save older than all of them marks nothing. Cost: O(log marks + channels).
func (l *Link) DurableAt(tick uint64) {
	i, found := slices.BinarySearchFunc(l.marks, tick, func(m mark, t uint64) int { return cmp.Compare(m.tick, t) })
	if !found {
		i--
	}
	if i < 0 {
		return
	}
	l.Durable(l.marks[i].cp)
	l.marks = append(l.marks[:0], l.marks[i:]...)
}

// gauge updates the gauges of Stats.
func (l *Link) gauge() {
	var offering, kept, pending, senders, receivers int
	for _, c := range l.chans {
		offering += len(c.st.Offered)
		kept += len(c.st.Retained)
		pending += len(c.st.Pending)
		if b := l.localBalance(c); b > 0 {
			senders += b
		} else {
			receivers -= b
		}
	}
	lag := int64(-1)
	if l.havePeer {
		lag = int64(l.w.Now()) - int64(l.peerMax)
	}
	l.mu.Lock()
	l.stats.Offering, l.stats.Kept, l.stats.Pending = offering, kept, pending
	l.stats.Senders, l.stats.Receivers, l.stats.PeerLagTicks = senders, receivers, lag
	l.mu.Unlock()
}

// SaveFile saves the world to path with c (world.World.SaveFile) and then marks the save
// durable for the link (Checkpoint, Durable).
func (l *Link) SaveFile(c world.Codec, path string) (*persist.Report, error) {
	cp := l.Checkpoint()
	rep, err := l.w.SaveFile(c, path)
	if err == nil {
		l.Durable(cp)
	}
	return rep, err
}

// Stats returns the link's counters. It is safe for concurrent use.
func (l *Link) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Shutdown unsubscribes the link. Its state stays in the world (saved with it); a new
// Open on the same world resumes it.
func (l *Link) Shutdown() error {
	if err := l.sub.Unsubscribe(); err != nil {
		return fmt.Errorf("xchan: shutdown: %w", err)
	}
	return nil
}

// store writes the link's state into its world.
func (l *Link) store() error {
	st := &linkState{Version: stateVersion, Chans: make([]chanState, len(l.chans))}
	for i, c := range l.chans {
		st.Chans[i] = c.st
	}
	return saveState(l.w, l.mb, st)
}

func (l *Link) count(f func(*Stats)) {
	l.mu.Lock()
	f(&l.stats)
	l.mu.Unlock()
}
