package cluster

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// The intake: how a zone takes payloads from its consumer, and when.
//
// A payload is taken in once. The stream delivers a payload again when the zone's ack did
// not reach the server in time (AckWait) or was lost; by then the zone may have sent the
// entities on to a third zone, whose commit is still to come, so that the directory still
// names this zone at the payload's epoch — taking the payload in again would make a second
// copy. So the zone remembers every payload it took in (taken, by stream sequence) until
// the server has confirmed its ack (a double ack, or the consumer's ack floor past it):
// only then can the stream not deliver it again, and only then does a save settle its
// journal entry. A restarted zone redoes what its journal entries hold and remembers
// those too.
//
// In LockStep a zone at tick boundary t takes in exactly the payloads exported at source
// ticks up to t, every one of them, in the order (tick, source zone, stream sequence),
// and holds back later ones: what it takes in at a boundary does not depend on when
// payloads arrived, only on the zones having finished tick t before it steps past it.

// maxFetch is the most payloads one fetch asks for.
const maxFetch = 64

// receive takes in the payloads due (steps 4-7).
func (z *Zone) receive(ctx context.Context) error {
	msgs, err := z.fetch(ctx)
	if err != nil {
		z.log.Debug("cluster: fetch", "err", err)
		return nil // NATS is away: payloads wait in the stream
	}
	for _, m := range msgs {
		if _, ok := z.taken[m.seq]; ok {
			z.ack(ctx, m) // delivered again: taken in already
			continue
		}
		if err := z.accept(ctx, m.msg.Data(), m.seq); err != nil {
			if errors.Is(err, ErrZoneDead) {
				return err
			}
			// NATS is away: the payload comes again after AckWait (accept is idempotent).
			z.stats.Failures++
			z.log.Warn("cluster: payload postponed", "seq", m.seq, "err", err)
			return nil
		}
		z.taken[m.seq] = false
		if err := z.fault("in.imported"); err != nil {
			return err
		}
		z.ack(ctx, m)
	}
	return nil
}

// delivered is a payload the consumer delivered, with what ordering needs of it.
type delivered struct {
	msg  jetstream.Msg
	seq  uint64 // stream sequence
	tick uint64 // the source's tick at export (LockStep)
	from string
}

// fetch returns the payloads to take in now, in the order to take them.
func (z *Zone) fetch(ctx context.Context) ([]delivered, error) {
	if !z.cfg.LockStep {
		batch, err := z.cons.FetchNoWait(maxFetch)
		if err != nil {
			return nil, err
		}
		return collect(batch, nil), batch.Error()
	}
	return z.fetchDue(ctx, &z.payloads)
}

// tickQueue (LockStep) is what a zone reads in tick order from one consumer: payloads, or
// letters. Messages exported at a tick the zone has not reached wait in held.
type tickQueue struct {
	cons  jetstream.Consumer
	last  func(ctx context.Context) (uint64, error) // the stream's last sequence for this consumer
	stamp func(d *delivered)                        // sets d.tick and d.from from the message
	held  []delivered
	// seen is the stream sequence up to which every message for the consumer has been
	// delivered to this zone or settled by an earlier incarnation.
	seen uint64
	// fresh says the consumer was made by this incarnation of the zone: no message can
	// have been delivered to an earlier one (and acks may be asynchronous).
	fresh bool
}

// fetchDue (LockStep) fetches every message the stream holds for q and returns those sent
// at ticks up to the zone's tick, in the order (tick, source zone, stream sequence),
// holding back the others. A message delivered to an earlier incarnation of the zone that
// died before acking it is waited for (it comes again after AckWait).
func (z *Zone) fetchDue(ctx context.Context, q *tickQueue) ([]delivered, error) {
	last, err := q.last(ctx)
	if err != nil {
		return nil, err
	}
	all := q.held
	q.held = nil
	// One fetch even when every message up to last was seen: one whose ack was lost
	// comes again (and is acked again, not taken in twice).
	for first := true; first || q.seen < last; first = false {
		batch, err := q.cons.FetchNoWait(maxFetch)
		if err != nil {
			return nil, err
		}
		n := len(all)
		if all = collect(batch, all); len(all) == n {
			if q.seen >= last {
				break
			}
			more, err := z.waitFor(ctx, q, all, last)
			if err != nil {
				return nil, err
			}
			if all = append(all, more...); len(all) == n {
				break // nothing left to deliver, or NATS is slow or away: the rest next step
			}
		}
		for i := n; i < len(all); i++ {
			q.stamp(&all[i])
			q.seen = max(q.seen, all[i].seq)
		}
		all = z.refuseFarAhead(all, n)
	}
	all = slices.CompactFunc(sortDelivered(all), func(a, b delivered) bool { return a.seq == b.seq })
	var due []delivered
	for _, d := range all {
		if d.tick > z.w.Now() {
			q.held = append(q.held, d)
		} else {
			due = append(due, d)
		}
	}
	return due, nil
}

// maxLeadTicks bounds how far past the zone's tick a message may be stamped: a later one
// would be held for ever (a hostile or corrupt stamp), so it is refused.
const maxLeadTicks = 1 << 20

// refuseFarAhead terminates and drops the messages of all[from:] stamped more than
// maxLeadTicks past the zone's tick, so that held stays bounded.
func (z *Zone) refuseFarAhead(all []delivered, from int) []delivered {
	keep := all[:from]
	for _, d := range all[from:] {
		if d.tick > z.w.Now()+maxLeadTicks {
			z.stats.Failures++
			z.log.Error("cluster: message refused: stamped too far ahead", "seq", d.seq, "from", d.from,
				"tick", d.tick, "zone_tick", z.w.Now(), "max_lead", maxLeadTicks)
			_ = d.msg.Term()
			continue
		}
		keep = append(keep, d)
	}
	return keep
}

// waitFor fetches a message the stream has stored for q but the consumer has not
// delivered yet (it may not know of it yet), or one it delivered to an earlier
// incarnation of the zone that died before acking it (more messages await an ack than
// this zone holds: it comes again after AckWait). When neither is left, everything up to
// last is accounted for (q.seen) and it returns nothing.
func (z *Zone) waitFor(ctx context.Context, q *tickQueue, mine []delivered, last uint64) ([]delivered, error) {
	info, err := q.cons.Info(ctx)
	if err != nil {
		return nil, err
	}
	wait := z.cfg.OpTimeout
	switch {
	case info.Delivered.Stream < last:
	case !q.fresh && info.NumAckPending > len(mine):
		wait += z.cfg.AckWait
	default:
		q.seen = last
		return nil, nil
	}
	batch, err := q.cons.Fetch(1, jetstream.FetchMaxWait(wait))
	if err != nil {
		return nil, err
	}
	return collect(batch, nil), nil
}

// stampPayload reads a payload's export tick and source zone from its envelope (a bad
// payload is refused when its turn comes).
func (z *Zone) stampPayload(d *delivered) {
	if env, err := decodeEnvelope(d.msg.Data(), z.cfg.Name); err == nil {
		d.tick, d.from = env.Tick, env.From
	}
}

// collect appends a batch's messages to dst with their sequence and envelope header.
func collect(batch jetstream.MessageBatch, dst []delivered) []delivered {
	for msg := range batch.Messages() {
		md, err := msg.Metadata()
		if err != nil {
			continue
		}
		dst = append(dst, delivered{msg: msg, seq: md.Sequence.Stream})
	}
	return dst
}

// sortDelivered orders payloads by (tick, source zone, stream sequence). determinism:
// the sequence breaks ties only between payloads of one source, which it numbers in the
// order it sent them.
func sortDelivered(ds []delivered) []delivered {
	slices.SortFunc(ds, func(a, b delivered) int {
		return cmp.Or(cmp.Compare(a.tick, b.tick), strings.Compare(a.from, b.from), cmp.Compare(a.seq, b.seq))
	})
	return ds
}

// ack acknowledges a payload taken in and waits for the server's confirmation; a payload
// whose ack is not confirmed stays in taken (see the intake above).
func (z *Zone) ack(ctx context.Context, d delivered) {
	if z.skipAcks > 0 { // tests: an ack that does not reach the server
		z.skipAcks--
		return
	}
	if err := d.msg.DoubleAck(ctx); err != nil {
		z.log.Warn("cluster: ack", "seq", d.seq, "err", err)
		return
	}
	z.taken[d.seq] = true
}

// settleJournal deletes the journal entries a save has settled (covered: those written
// before its copy was taken; later ones stay for the next save). An incoming entry goes
// once its payload's ack is confirmed; outgoing entries go only when no incoming one is
// left before them: a restart redoes a remaining incoming entry, and then needs the
// outgoing entries written after it to take back the entities it brings that had left
// since.
func (z *Zone) settleJournal(ctx context.Context, covered []string) {
	z.confirmAcks(ctx)
	var left, out []string
	for _, k := range covered {
		seq, in := inSeq(k)
		switch {
		case !in:
			out = append(out, k)
		case !z.taken[seq]:
			left = append(left, k) // delivered again later: known as taken until then
		case z.dropJournal(ctx, k) != nil:
			left = append(left, k)
		}
	}
	later := slices.DeleteFunc(slices.Clone(z.journal), func(k string) bool { return slices.Contains(covered, k) })
	if len(left) == 0 {
		out = slices.DeleteFunc(out, func(k string) bool { return z.dropJournal(ctx, k) == nil })
	}
	z.journal = append(append(left, out...), later...)
	for seq, ok := range z.taken { // determinism: deletes only; the order changes nothing
		if ok && !slices.Contains(z.journal, inKey(z.cfg.Name, seq)) {
			delete(z.taken, seq)
		}
	}
}

// confirmAcks marks as confirmed the payloads at or below the consumer's ack floor.
func (z *Zone) confirmAcks(ctx context.Context) {
	pending := false
	for _, ok := range z.taken { // determinism: a yes/no question
		pending = pending || !ok
	}
	if !pending {
		return
	}
	info, err := z.cons.Info(ctx)
	if err != nil {
		return
	}
	for seq, ok := range z.taken { // determinism: each entry on its own
		if !ok && seq <= info.AckFloor.Stream {
			z.taken[seq] = true
		}
	}
}

func inKey(zone string, seq uint64) string {
	return "journal." + zone + ".in." + strconv.FormatUint(seq, 10)
}

// inSeq returns the payload sequence of an incoming journal key.
func inSeq(key string) (uint64, bool) {
	_, s, ok := strings.Cut(key, ".in.")
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseUint(s, 10, 64)
	return seq, err == nil
}
