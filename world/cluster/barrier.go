package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
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

// announceDue (LockStep) makes sure the zone's tick is announced before it waits for its
// peers, which may be waiting for it: it publishes the payloads and letters left over
// from the tick's end and announces, again until it succeeds or ctx ends.
func (z *Zone) announceDue(ctx context.Context) error {
	for z.announced != z.w.Now()+1 {
		op, cancel := context.WithTimeout(ctx, z.cfg.OpTimeout)
		z.postMail(op)
		err := z.flush(op)
		if err == nil {
			err = z.announce(op)
		}
		cancel()
		if errors.Is(err, ErrZoneDead) {
			return err
		}
		if z.announced == z.w.Now()+1 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: zone %s: announce tick %d: %w", z.cfg.Name, z.w.Now(), ctx.Err())
		case <-time.After(10 * time.Millisecond): // determinism: NATS is away; this decides when the zone goes on, not what it does
		}
	}
	return nil
}

// barrier (LockStep) waits until every zone of the zone map has announced the zone's tick
// or a later one, or ctx ends. It logs once which zone it waits for, and counts the
// boundaries that waited (Stats.BarrierWaits). Cost: one KV get per peer when none is
// behind; a key watch per peer that is.
func (z *Zone) barrier(ctx context.Context) error {
	if !z.cfg.LockStep {
		return nil
	}
	if err := z.announceDue(ctx); err != nil {
		return err
	}
	op, cancel := context.WithTimeout(ctx, z.cfg.OpTimeout)
	z.readMap(op) // the map as it is now, not as the watcher last heard it: a zone that joined counts too
	cancel()
	t := z.w.Now()
	peers := slices.Clone(z.zmap.Load().Regions)
	slices.Sort(peers) // determinism: the order in which peers are waited for changes nothing they do
	waited := false
	for _, p := range slices.Compact(peers) {
		if p == "" || p == z.cfg.Name {
			continue
		}
		at, err := z.peerTick(ctx, p)
		if err != nil {
			return err
		}
		if at >= t {
			continue
		}
		if !waited {
			z.stats.BarrierWaits++
			waited = true
		}
		z.log.Debug("cluster: waiting at the barrier", "tick", t, "for", p, "at", at)
		if err := z.waitPeer(ctx, p, t); err != nil {
			return err
		}
	}
	return nil
}

// peerTick returns the tick zone p last announced (0 if none).
func (z *Zone) peerTick(ctx context.Context, p string) (uint64, error) {
	e, err := z.zones.Get(ctx, tickKey(p))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("cluster: zone %s: read tick of zone %s: %w", z.cfg.Name, p, err)
	}
	return parseTick(e.Value()), nil
}

// parseTick reads an announced tick; an unreadable one counts as 0 (waited past when the
// zone announces again).
func parseTick(b []byte) uint64 {
	t, _ := strconv.ParseUint(string(b), 10, 64)
	return t
}

// waitPeer watches zone p's tick key until it holds t or later, or ctx ends.
func (z *Zone) waitPeer(ctx context.Context, p string, t uint64) error {
	wt, err := z.zones.Watch(ctx, tickKey(p))
	if err != nil {
		return fmt.Errorf("cluster: zone %s: watch tick of zone %s: %w", z.cfg.Name, p, err)
	}
	defer func() { _ = wt.Stop() }()
	long := time.After(z.cfg.OpTimeout) // determinism: only when the warning is logged
	for {
		select {
		case <-long:
			z.log.Warn("cluster: still waiting at the barrier", "tick", t, "for", p, "after", z.cfg.OpTimeout)
		case e, ok := <-wt.Updates():
			if !ok {
				return fmt.Errorf("cluster: zone %s: watch of zone %s's tick ended", z.cfg.Name, p)
			}
			if e != nil && e.Operation() == jetstream.KeyValuePut && parseTick(e.Value()) >= t {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("cluster: zone %s: at tick %d waiting for zone %s: %w", z.cfg.Name, t, p, ctx.Err())
		}
	}
}
