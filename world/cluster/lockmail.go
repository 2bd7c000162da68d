package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/fxamacker/cbor/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/world"
)

// Mail in lock-step. A free-running zone posts a letter when it arrives, routed by the
// directory, whose entries follow a migration at a time that depends on the network; so
// which tick a letter reaches its entity would too. Under Config.LockStep, mail takes
// effect at agreed ticks instead, as payloads do: a letter sent during tick t (published
// at the end of the step, stamped t) is posted at the boundary after tick t of the zone
// that holds the receiving entity then, in the order (tick, source zone, sequence). Every
// lock-step zone reads every letter (stream LockStepMailStream, subject
// LockStepMailSubject+"<source zone>") and posts those whose receiver is in its world: at
// the boundary after tick t exactly one zone holds the entity, because a payload exported
// at the end of tick t is taken in at the target's boundary after its tick t, before the
// letters. No directory lookup, no forwarding, no retries after a wall-clock delay.
//
// A letter that cannot be posted yet (its mailbox is full, or an earlier letter of its
// sender is not posted yet) is acknowledged and held in the receiver's MailHeld
// component: it is part of the world, so a save holds it, and it moves with the receiver
// when the receiver migrates. At each boundary, before the letters due, a zone tries the
// held letters of its entities again (entity order, then the order held).
//
// A zone (re)opened at tick T reads the stream from its start and skips the letters of
// ticks before T: those were posted, or held in MailHeld, before its save (or before it
// joined). Letters of ticks from T on are posted again; MailSeen keeps each letter to
// one posting.

const (
	// LockStepMailStream holds the letters of LockStep zones, subject
	// LockStepMailSubject+"<source zone>"; each zone reads all of them.
	LockStepMailStream = "stackworld_lockmail"
	// LockStepMailSubject is the prefix of the subjects lock-step letters go to.
	LockStepMailSubject = "stackworld.lockmail."
	// tickHeader carries the tick a lock-step letter was sent at.
	tickHeader = "Stackworld-Tick"
)

// connectLockStepMail makes the lock-step mail stream and the zone's consumer of it,
// reading from the stream's start (the consumer of an earlier incarnation is replaced).
func (z *Zone) connectLockStepMail(ctx context.Context) error {
	st, err := z.createStream(ctx, z.lockMailStreamConfig())
	if err != nil {
		return err
	}
	name := "lockmail_" + z.cfg.Name
	if old, err := st.Consumer(ctx, name); err == nil {
		z.noteFloor(ctx, old) // an earlier incarnation's
	}
	if err := st.DeleteConsumer(ctx, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("cluster: lock-step mail consumer of zone %s: %w", z.cfg.Name, err)
	}
	cons, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: name, FilterSubject: LockStepMailSubject + "*",
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: z.cfg.AckWait, MaxAckPending: -1})
	if err != nil {
		return fmt.Errorf("cluster: lock-step mail consumer of zone %s: %w", z.cfg.Name, err)
	}
	z.lockMailSt, z.mailFrom = st, z.w.Now()
	z.letters = tickQueue{cons: cons, stamp: stampLetter, fresh: true, last: func(ctx context.Context) (uint64, error) {
		info, err := st.Info(ctx)
		if err != nil {
			return 0, fmt.Errorf("cluster: stream %s: %w", LockStepMailStream, err)
		}
		return info.State.LastSeq, nil
	}}
	return nil
}

// MailHeld is the component (LockStep) that holds the letters due to an entity that could
// not be posted yet, in the order they were held: its mailbox was full, or an earlier
// letter of the sender was not posted yet.
var MailHeld = world.RegisterComponent[Held]("cluster.MailHeld")

// Held is an entity's held letters, one per index of the four slices.
type Held struct {
	From  []world.EntityID
	Seq   []uint64
	Box   []string
	Value [][]byte // a persist document whose section "mail" is the message
}

func init() { persist.Register[Held]("cluster.Held") }

// maxHeld bounds the letters held for one entity: as many again as its mailbox holds.
const maxHeld = world.MaxMailboxLen

func (h *Held) len() int { return len(h.From) }

func (h *Held) letter(i int, to world.EntityID) letter {
	return letter{From: h.From[i], Seq: h.Seq[i], To: to, Box: h.Box[i], Value: h.Value[i]}
}

func (h *Held) holds(l letter) bool {
	for i := range h.From {
		if h.From[i] == l.From && h.Seq[i] == l.Seq {
			return true
		}
	}
	return false
}

func (h *Held) add(l letter) {
	h.From, h.Seq = append(h.From, l.From), append(h.Seq, l.Seq)
	h.Box, h.Value = append(h.Box, l.Box), append(h.Value, l.Value)
}

// hold keeps letter l, which cannot be posted yet, in its receiver's MailHeld; a letter
// beyond maxHeld is refused (logged, counted in Stats.MailRefused). Cost: O(letters held
// for the receiver).
func (z *Zone) hold(l letter) {
	h, _ := MailHeld.Get(z.w, l.To)
	switch {
	case h.holds(l):
		return
	case h.len() >= maxHeld:
		z.tally(&z.stats.MailRefused)
		z.mailLog(slog.LevelError, "cluster: mail refused: too many letters held for the receiver", "from", l.From, "to", l.To,
			"box", l.Box, "seq", l.Seq, "held", h.len(),
			"fix", "the receiver does not take its mail: its mailbox is full and this many letters wait")
		return
	}
	h = Held{From: slices.Clone(h.From), Seq: slices.Clone(h.Seq), Box: slices.Clone(h.Box), Value: slices.Clone(h.Value)}
	h.add(l)
	MailHeld.Set(z.w, l.To, h)
	z.tally(&z.stats.MailIn) // taken in: not counted again when posted
}

// postHeld posts the held letters of the zone's entities that can be posted now, in
// entity order and, for each, in the order held, going over them again while one is
// posted (an earlier letter of a sender may be held after a later one). Cost: nothing
// when no letter is held; else O(entities) plus O(held letters) per pass.
func (z *Zone) postHeld() {
	if MailHeld.Len(z.w) == 0 {
		return
	}
	z.recount.held = true
	defer func() { z.recount.held = false }()
	for _, e := range z.w.Entities() {
		h, ok := MailHeld.Get(z.w, e.ID)
		if !ok {
			continue
		}
		for posted := true; posted && h.len() > 0; {
			posted = false
			var left Held
			for i := range h.From {
				switch z.post(h.letter(i, e.ID)) {
				case mailLater, mailGap:
					left.add(h.letter(i, e.ID))
				default:
					posted = true
				}
			}
			h = left
		}
		if h.len() == 0 {
			MailHeld.Delete(z.w, e.ID)
		} else {
			MailHeld.Set(z.w, e.ID, h)
		}
	}
}

// stampLetter reads a letter's tick from its header and its source zone from its subject.
// A letter without a readable tick is stamped 0: due at once, and refused then if bad.
func stampLetter(d *delivered) {
	d.from = strings.TrimPrefix(d.msg.Subject(), LockStepMailSubject)
	d.tick, _ = strconv.ParseUint(d.msg.Headers().Get(tickHeader), 10, 64)
}

// postLockStepMail publishes the tick's letters, stamped with it, to the zone's subject.
func (z *Zone) postLockStepMail(ctx context.Context) {
	for i, l := range z.mailOut {
		b, err := cbor.Marshal(l)
		if err != nil {
			continue
		}
		m := &nats.Msg{Subject: LockStepMailSubject + z.cfg.Name, Data: b, Header: nats.Header{}}
		m.Header.Set(jetstream.MsgIDHeader, strconv.FormatUint(uint64(l.From), 10)+"-"+
			strconv.FormatUint(uint64(l.To), 10)+"-"+strconv.FormatUint(l.Seq, 10))
		m.Header.Set(tickHeader, strconv.FormatUint(z.w.Now(), 10))
		if err := z.publishMail(ctx, LockStepMailStream, m); err != nil {
			z.mailOut = z.mailOut[i:] // NATS is away: in order, next tick (stamped then)
			return
		}
	}
	z.mailOut = nil
}

// takeLockStepMail posts the held letters that can be posted now, then the letters due
// whose receiver is here; one that cannot be posted yet (its mailbox is full, or an
// earlier letter of its sender is) is held in the receiver's MailHeld.
func (z *Zone) takeLockStepMail(ctx context.Context) {
	z.postHeld()
	due, err := z.fetchDue(ctx, &z.letters)
	if err != nil {
		z.log.Debug("cluster: fetch mail", "err", err)
		return // NATS is away: letters wait in the stream
	}
	defer func() { z.recount.again = false }()
	for _, d := range due {
		z.handling(d.seq)
		if d.tick < z.mailFrom {
			_ = d.msg.Ack() // posted before the save this zone started from
			continue
		}
		var l letter
		if err := letterDec.Unmarshal(d.msg.Data(), &l); err != nil {
			z.refuseLetter(d.msg, err)
			continue
		}
		if !z.w.Alive(l.To) {
			_ = d.msg.Ack() // another zone's entity, or none
			continue
		}
		switch z.post(l) {
		case mailLater, mailGap:
			z.hold(l)
			_ = d.msg.Ack()
		case mailBad:
			_ = d.msg.Term()
		default:
			_ = d.msg.Ack()
		}
	}
}

// lettersTaken (for Idle) reports whether the zone has read and acknowledged every
// lock-step letter in the stream.
func (z *Zone) lettersTaken(ctx context.Context) (bool, error) {
	if len(z.letters.held) > 0 {
		return false, nil
	}
	last, err := z.letters.last(ctx)
	if err != nil {
		return false, err
	}
	info, err := z.letters.cons.Info(ctx)
	if err != nil {
		return false, fmt.Errorf("cluster: consumer %s: %w", LockStepMailStream, err)
	}
	return info.NumAckPending == 0 && info.AckFloor.Stream >= last, nil
}
