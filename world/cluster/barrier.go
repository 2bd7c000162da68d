package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world/server"
)

// The barrier (LockStep). A zone takes in, at its boundary after tick t, the payloads and
// letters stamped up to t (intake.go, lockmail.go); that repeats only if every zone has
// stored its tick-t payloads and letters by then. So a lock-step zone that has finished
// tick t with its payloads and letters acknowledged by their streams announces t under
// key tickKey(zone) in ZonesBucket (history 1: one value per zone), and at its boundary
// after tick t, before taking anything in, waits until every zone of the zone map has
// announced t or later. A zone opening announces the tick it starts from (a restarted
// zone its saved tick). Zones running free, each on its own goroutine, server or process,
// then repeat as zones stepped in turn do.
//
// The wait is cut into slices of barrierSlice: on world/server the zone's BeforeTick
// returns server.ErrTickNotReady after each, having changed nothing, so the loop serves
// Do, SaveNow, Pause and Stop while a peer is behind; the wait (the peer's key watch, when
// it began) is kept across slices and ends as soon as the peer announces. Zone.Step waits
// slice after slice until the barrier passes or its context ends.

// Timing of the barrier's wait; none of it decides what a world does.
const (
	// barrierSlice bounds one wait: how long Do, SaveNow, Pause or Stop may wait for a
	// zone on world/server whose peer is behind.
	barrierSlice = 20 * time.Millisecond
	// A wait for one peer is logged as a warning once it has lasted barrierWarnFirst, and
	// again each time it has lasted twice as long as at the last warning, at most
	// barrierWarnMax later.
	barrierWarnFirst = time.Second
	barrierWarnMax   = time.Minute
	// announceRetry is the pause before the tick's announcement is tried again.
	announceRetry = 10 * time.Millisecond
)

// BarrierWait is a LockStep zone's wait at the barrier (Stats.Waiting): the zone has
// finished tick Tick and waits for zone Peer to finish it too.
type BarrierWait struct {
	Tick     uint64    `json:"tick"`      // the zone's tick: its boundary after this tick waits
	Peer     string    `json:"peer"`      // the zone waited for
	PeerTick uint64    `json:"peer_tick"` // the last tick Peer announced (0: none, or a value that is not a tick)
	Since    time.Time `json:"since"`     // wall clock at which the wait for Peer began (for operators only)
}

// Text describes the wait for an operator's progress line, as "waiting for z1 at tick 41
// (z1 at 40, 12s)": the zone waits at its boundary after tick 41 for z1, which last
// announced tick 40, and has waited 12 s at now (rounded to the second). No wait (Peer
// ""): "". It reads no clock; now is the caller's.
func (w BarrierWait) Text(now time.Time) string {
	if w.Peer == "" {
		return ""
	}
	return fmt.Sprintf("waiting for %s at tick %d (%s at %d, %s)", w.Peer, w.Tick, w.Peer, w.PeerTick,
		max(now.Sub(w.Since), 0).Round(time.Second))
}

// barrierState is where a LockStep zone is in its barrier, kept across the slices of a
// wait (the server serves its boundary between them).
type barrierState struct {
	at     uint64    // 1 + the tick whose boundary peers is for; 0: none yet
	passed uint64    // 1 + the tick whose barrier has passed; 0: none
	waited uint64    // 1 + the tick whose boundary was counted in Stats.BarrierWaits
	peers  []string  // the peers still to check at that boundary, sorted
	wait   *peerWait // the peer being waited for, or nil
	// bad is the revision of each peer's tick key last refused as not a tick (logged once).
	bad map[string]uint64
}

// peerWait is a wait for one peer's announcement, with its key watch.
type peerWait struct {
	peer   string
	watch  jetstream.KeyWatcher // nil: none (it ended; the next slice starts another)
	cancel context.CancelFunc   // ends the watch's context
	// reconnects is the connection's count of reconnections when the watch began: a watch
	// that lived through a reconnection may miss announcements for seconds (its consumer
	// is made again only after missed heartbeats), so the next slice reads the key and
	// starts another.
	reconnects uint64
	warnAt     time.Duration // log a warning once the wait has lasted this long
	warned     bool
}

// stopWatch stops the wait's key watch, if it has one.
func (w *peerWait) stopWatch() {
	if w.watch == nil {
		return
	}
	_ = w.watch.Stop()
	w.cancel()
	w.watch, w.cancel = nil, nil
}

// notReady is the barrier's answer while it waits: what it waits for, as an error that
// wraps server.ErrTickNotReady.
type notReady struct{ what string }

func (e notReady) Error() string { return e.what }
func (e notReady) Unwrap() error { return server.ErrTickNotReady }

// tickKey is the key under which a lock-step zone announces its last finished tick.
func tickKey(zone string) string { return "tick." + zone }

// announce (LockStep) publishes that the zone has finished its tick with the tick's
// payloads and letters stored, if they are; otherwise the barrier tries again.
func (z *Zone) announce(ctx context.Context) error {
	if !z.cfg.LockStep || len(z.outbox) > 0 || len(z.mailOut) > 0 {
		return nil
	}
	if _, err := z.zones.PutString(ctx, tickKey(z.cfg.Name), strconv.FormatUint(z.w.Now(), 10)); err != nil {
		return fmt.Errorf("cluster: zone %s: announce tick %d: %w", z.cfg.Name, z.w.Now(), err)
	}
	z.announced = z.w.Now() + 1
	return nil
}

// barrier (LockStep) waits until every zone of the zone map has announced the zone's tick
// or a later one, or ctx ends (then its error names the zone waited for). Zone.Step waits
// here; on world/server the zone's BeforeTick calls tryBarrier instead.
func (z *Zone) barrier(ctx context.Context) error {
	for {
		err := z.tryBarrier(ctx)
		var nr notReady
		if !errors.As(err, &nr) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", nr.what, ctx.Err())
		}
	}
}

// tryBarrier (LockStep) passes the barrier at the boundary after the zone's tick, or
// waits for it at most barrierSlice (less if ctx ends) and returns a notReady naming what
// it waits for, having changed nothing in the world. It makes sure first that the zone's
// own tick is announced, since its peers may be waiting for it. It logs a wait once
// (debug), then as a warning after barrierWarnFirst and at a doubling interval, and counts
// the boundaries that waited (Stats.BarrierWaits); Stats.Waiting shows the wait. Cost:
// the zone map and one KV get per peer at each boundary; a key watch per peer that is
// behind, kept until it announces.
func (z *Zone) tryBarrier(ctx context.Context) error {
	if !z.cfg.LockStep {
		return nil
	}
	if z.dead != nil {
		return z.dead
	}
	t := z.w.Now()
	if z.bar.passed == t+1 {
		return nil
	}
	if err := z.announceDue(ctx); err != nil {
		return err
	}
	if z.bar.at != t+1 {
		z.barrierPeers(ctx, t)
	}
	slice := time.NewTimer(barrierSlice) // determinism: bounds the wait; what passes it is the peers' announcements
	defer slice.Stop()
	for len(z.bar.peers) > 0 {
		if err := z.peerDone(ctx, z.bar.peers[0], t, slice.C); err != nil {
			return err
		}
		z.bar.peers = z.bar.peers[1:]
	}
	z.bar.passed = t + 1
	return nil
}

// barrierPeers lists the peers to check at the boundary after tick t: the zones of the
// map as it is now, not as the watcher last heard it (a zone that joined counts too).
func (z *Zone) barrierPeers(ctx context.Context, t uint64) {
	op, cancel := context.WithTimeout(ctx, z.cfg.OpTimeout)
	z.readMap(op)
	cancel()
	peers := slices.Clone(z.zmap.Load().Regions)
	slices.Sort(peers) // determinism: the order in which peers are waited for changes nothing they do
	peers = slices.DeleteFunc(slices.Compact(peers), func(p string) bool { return p == "" || p == z.cfg.Name })
	z.bar.at, z.bar.peers = t+1, peers
}

// announceDue (LockStep) makes sure the zone's tick is announced before it waits for its
// peers, which may be waiting for it: it publishes the payloads and letters left over
// from the tick's end and announces. If that fails it waits announceRetry (less if ctx
// ends) and returns a notReady.
func (z *Zone) announceDue(ctx context.Context) error {
	t := z.w.Now()
	if z.announced == t+1 {
		return nil
	}
	op, cancel := context.WithTimeout(ctx, z.cfg.OpTimeout)
	z.postMail(op)
	err := z.flush(op)
	if err == nil {
		err = z.announce(op)
	}
	cancel()
	switch {
	case errors.Is(err, ErrZoneDead):
		return err
	case z.announced == t+1:
		return nil
	case err == nil:
		err = fmt.Errorf("%d payloads and %d letters not yet stored", len(z.outbox), len(z.mailOut))
	}
	retry := time.NewTimer(announceRetry) // determinism: NATS is away; this decides when the zone goes on, not what it does
	defer retry.Stop()
	select {
	case <-ctx.Done():
	case <-retry.C:
	}
	return notReady{fmt.Sprintf("cluster: zone %s: tick %d not announced yet: %v", z.cfg.Name, t, err)}
}

// peerDone returns nil once zone p has announced tick t or a later one. Otherwise it waits
// on p's key watch until slice fires or ctx ends, and returns a notReady.
func (z *Zone) peerDone(ctx context.Context, p string, t uint64, slice <-chan time.Time) error {
	if w := z.bar.wait; w != nil && w.peer != p {
		z.endWait()
	}
	if w := z.bar.wait; w != nil && w.watch != nil && z.cfg.Conn.Stats().Reconnects != w.reconnects {
		w.stopWatch()
	}
	if w := z.bar.wait; w == nil || w.watch == nil {
		at, ok, err := z.peerTick(ctx, p)
		if err == nil && ok && at >= t {
			z.endWait()
			return nil
		}
		if err == nil {
			err = z.watchPeer(ctx, p, t, at)
		}
		if err != nil { // NATS is away: try again at the next slice
			idle(ctx, slice)
			return notReady{fmt.Sprintf("cluster: zone %s: at tick %d: %v", z.cfg.Name, t, err)}
		}
	}
	w := z.bar.wait
	for {
		select {
		case e, open := <-w.watch.Updates():
			if !open { // the watch ended (the connection closed): the next slice starts another
				w.stopWatch()
				idle(ctx, slice)
				return z.waiting(ctx, t, p)
			}
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			if at, ok := z.readTick(p, e); ok {
				if at >= t {
					z.endWait()
					return nil
				}
				z.stats.Waiting.PeerTick = at
			}
		case <-slice:
			z.warnWait(t)
			return z.waiting(ctx, t, p)
		case <-ctx.Done():
			return z.waiting(ctx, t, p)
		}
	}
}

// idle waits until slice fires or ctx ends.
func idle(ctx context.Context, slice <-chan time.Time) {
	select {
	case <-ctx.Done():
	case <-slice:
	}
}

// waiting is the notReady of a wait for zone p at the boundary after tick t; it also
// keeps the zone's metrics and its Report current while the loop does not tick.
func (z *Zone) waiting(ctx context.Context, t uint64, p string) error {
	op, cancel := context.WithTimeout(ctx, z.cfg.OpTimeout)
	z.report(op) // at most once per ReportEvery: peers see the zone alive, and waiting
	cancel()
	return notReady{fmt.Sprintf("cluster: zone %s: at tick %d waiting for zone %s (it announced %d)",
		z.cfg.Name, t, p, z.stats.Waiting.PeerTick)}
}

// watchPeer watches zone p's key, which held at when read. A new wait (none for p yet)
// begins: it is counted (once per boundary), logged and shown in Stats.Waiting.
func (z *Zone) watchPeer(ctx context.Context, p string, t, at uint64) error {
	if z.bar.wait == nil {
		z.bar.wait = &peerWait{peer: p, warnAt: barrierWarnFirst}
		z.stats.Waiting = BarrierWait{Tick: t, Peer: p, PeerTick: at,
			Since: time.Now()} // determinism: for operators only
		if z.bar.waited != t+1 {
			z.bar.waited = t + 1
			z.stats.BarrierWaits++
		}
		z.log.Debug("cluster: waiting at the barrier", "tick", t, "for", p, "at", at)
	}
	z.stats.Waiting.PeerTick = at
	reconnects := z.cfg.Conn.Stats().Reconnects
	wt, cancel, err := z.watchKey(ctx, tickKey(p))
	if err != nil {
		return fmt.Errorf("watch tick of zone %s: %w", p, err)
	}
	z.bar.wait.watch, z.bar.wait.cancel, z.bar.wait.reconnects = wt, cancel, reconnects
	return nil
}

// watchKey starts a watch of key in ZonesBucket that lives until cancel is called. Its
// start is bounded by Config.OpTimeout and ctx: a watch's context is also its life, so the
// start, left to itself, would wait for the library's default request timeout (5 s) when
// the server goes away with the request.
func (z *Zone) watchKey(ctx context.Context, key string) (jetstream.KeyWatcher, context.CancelFunc, error) {
	op, opCancel := context.WithTimeout(ctx, z.cfg.OpTimeout)
	defer opCancel()
	wctx, cancel := context.WithCancel(context.Background()) // the watch lives as long as the wait, across slices
	stop := context.AfterFunc(op, cancel)                    // until it has started: op's end ends it
	wt, err := z.zones.Watch(wctx, key)
	if !stop() && err == nil { // op ended as the watch started: it is ended too
		_ = wt.Stop()
		err = op.Err()
	}
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return wt, cancel, nil
}

// warnWait logs a long wait as a warning, at a doubling interval.
func (z *Zone) warnWait(t uint64) {
	w, st := z.bar.wait, z.stats.Waiting
	waited := time.Since(st.Since) // determinism: only when the warning is logged
	if w == nil || waited < w.warnAt {
		return
	}
	w.warnAt = nextWarn(w.warnAt)
	w.warned = true
	z.log.Warn("cluster: still waiting at the barrier: the peer zone has not finished the tick (stopped, or slow)",
		"tick", t, "for", st.Peer, "at", st.PeerTick, "waited", waited.Round(time.Millisecond))
}

// nextWarn is how long a wait has lasted at the warning after the one at at: twice as
// long, at most barrierWarnMax later.
func nextWarn(at time.Duration) time.Duration { return at + min(at, barrierWarnMax) }

// endWait ends the wait in progress, if any: its watch stops, Stats.Waiting is cleared,
// and a wait that was warned about is logged as over.
func (z *Zone) endWait() {
	w := z.bar.wait
	if w == nil {
		return
	}
	z.bar.wait = nil
	w.stopWatch()
	if w.warned {
		st := z.stats.Waiting
		z.log.Info("cluster: the barrier's wait is over", "tick", st.Tick, "for", st.Peer,
			"waited", time.Since(st.Since).Round(time.Millisecond)) // determinism: a log line
	}
	z.stats.Waiting = BarrierWait{}
}

// peerTick returns the tick zone p last announced: 0 if none, and ok false if its key
// holds something else than a tick (refused, see readTick).
func (z *Zone) peerTick(ctx context.Context, p string) (at uint64, ok bool, err error) {
	op, cancel := context.WithTimeout(ctx, z.cfg.OpTimeout)
	defer cancel()
	e, err := z.zones.Get(op, tickKey(p))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return 0, true, nil
	case err != nil:
		return 0, false, fmt.Errorf("read tick of zone %s: %w", p, err)
	}
	at, ok = z.readTick(p, e)
	return at, ok, nil
}

// readTick reads the tick in zone p's key entry e. A value that is not a decimal tick is
// refused (false), logged once per revision: the peer counts as not there yet, until it
// announces a tick.
func (z *Zone) readTick(p string, e jetstream.KeyValueEntry) (uint64, bool) {
	t, err := parseTick(e.Value())
	if err == nil {
		return t, true
	}
	if z.bar.bad[p] != e.Revision() {
		if z.bar.bad == nil {
			z.bar.bad = map[string]uint64{}
		}
		z.bar.bad[p] = e.Revision()
		z.log.Warn("cluster: refused a tick announcement: zone "+p+" counts as not there yet (it announces again when it finishes a tick)",
			"key", tickKey(p), "revision", e.Revision(), "err", err)
	}
	return 0, false
}

// maxTickDigits bounds the announcement that parseTick reads (a uint64 has 20 digits).
const maxTickDigits = 20

// parseTick reads an announced tick: a decimal number, nothing else.
func parseTick(b []byte) (uint64, error) {
	if len(b) == 0 || len(b) > maxTickDigits {
		return 0, fmt.Errorf("value of %d bytes, want a decimal tick of 1 to %d digits", len(b), maxTickDigits)
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("value %q is not a decimal tick", b)
		}
	}
	t, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("value %q is not a tick: %w", b, err)
	}
	return t, nil
}
