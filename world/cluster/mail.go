package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// Mail: messages addressed to an entity wherever it lives. A message names its receiver by
// entity id and mailbox name (world.NewMailbox's name), goes through the stream
// MailStream to the zone the directory names, and is posted to the mailbox at that zone's
// next tick boundary. A zone that receives mail for an entity that has left forwards it to
// the new owner; mail for an entity on its way in waits in the stream until it arrives.
// Each sender numbers its messages to each receiver (the counters move with the sender
// entity, as a component); the receiving entity remembers the last number it took from
// each sender (also a component), so a message is posted once, and in the order sent,
// whatever path it took.

// MailStream holds mail, subject MailSubject+"<zone>".
const MailStream = "stackworld_mail"

// mailAckPending bounds the letters a zone's mail consumer delivers before their acks.
const mailAckPending = 4096

// maxMailBytes bounds one message's encoded value.
const maxMailBytes = 1 << 20

// MailSeq is the component that numbers an entity's outgoing mail, per receiver.
var MailSeq = world.RegisterComponent[Seen]("cluster.MailSeq")

// MailSeen is the component that holds, for each sender, the number of the last message
// an entity took from it.
var MailSeen = world.RegisterComponent[Seen]("cluster.MailSeen")

// Seen is a message number per entity (sorted by entity id): the last one sent to each
// receiver (MailSeq) or taken from each sender (MailSeen).
type Seen struct {
	From []world.EntityID
	Seq  []uint64
}

func init() { persist.Register[Seen]("cluster.Seen") }

func (s *Seen) last(from world.EntityID) uint64 {
	if k, ok := slices.BinarySearch(s.From, from); ok && k < len(s.Seq) {
		return s.Seq[k]
	}
	return 0
}

func (s Seen) with(from world.EntityID, seq uint64) Seen {
	k, ok := slices.BinarySearch(s.From, from)
	out := Seen{From: slices.Clone(s.From), Seq: slices.Clone(s.Seq)}
	if ok {
		out.Seq[k] = seq
	} else {
		out.From = slices.Insert(out.From, k, from)
		out.Seq = slices.Insert(out.Seq, k, seq)
	}
	return out
}

// letter is one message on the wire.
type letter struct {
	_     struct{} `cbor:",toarray"`
	From  world.EntityID
	Seq   uint64
	To    world.EntityID
	Box   string
	Value []byte // a persist document whose section "mail" is the message
}

var letterDec = func() cbor.DecMode {
	dm, err := cbor.DecOptions{MaxNestedLevels: 4, IndefLength: cbor.IndefLengthForbidden}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// zones maps a world to its zone, for Send from a frame.
var zones sync.Map // *world.World -> *Zone

// Of returns the zone whose world is w, or nil.
func Of(w *world.World) *Zone {
	if z, ok := zones.Load(w); ok {
		return z.(*Zone)
	}
	return nil
}

// Counting letters across a restart. A restarted zone handles again the letters its mail
// consumers delivered after its last save (resetMail; lock-step: from the save's tick),
// and a letter it had posted, forwarded or refused is posted, forwarded or refused again
// (MailSeen keeps the posting to one). The counters MailIn, MailForwarded and MailRefused
// count each letter once across restarts: when the zone opens, it notes its consumer's
// ack floor (recount.floor), and a letter at or below it was counted, and logged, by an
// earlier incarnation: it is handled again without being counted, and logged at debug
// level. A letter whose ack had not reached the server when the zone died is counted
// again; MailGaps counts a letter again when its wait starts over in a new incarnation.
// A letter held in MailHeld (lockmail.go) is counted in MailIn when it is held, not
// again when it is posted, wherever its receiver is then.

// mailRecount is what keeps a letter from being counted twice (see above).
type mailRecount struct {
	floor uint64 // the ack floor of the zone's mail consumer when the zone opened
	again bool   // the letter in hand is at or below floor: counted and logged already
	held  bool   // the letter in hand was held in MailHeld: counted in MailIn when held
}

// tally adds one to counter c for the letter in hand, unless an earlier incarnation
// counted it.
func (z *Zone) tally(c *uint64) {
	if !z.recount.again {
		*c++
	}
}

// mailLog logs msg for the letter in hand at level, or at debug level (with again=true)
// when an earlier incarnation logged it.
func (z *Zone) mailLog(level slog.Level, msg string, args ...any) {
	if z.recount.again {
		level, args = slog.LevelDebug, append(args, "again", true)
	}
	z.log.Log(context.Background(), level, msg, args...)
}

// handling sets recount.again for the letter at stream sequence seq.
func (z *Zone) handling(seq uint64) { z.recount.again = seq <= z.recount.floor }

// noteFloor notes the ack floor of consumer cons (of an earlier incarnation), if any.
func (z *Zone) noteFloor(ctx context.Context, cons jetstream.Consumer) {
	if info, err := cons.Info(ctx); err == nil {
		z.recount.floor = info.AckFloor.Stream
	}
}

// maxMailOut bounds the letters a zone holds before it has published them: the mail
// stream refuses letters while it is full, and they wait in the zone.
const maxMailOut = 1 << 16

// Send queues msg for the mailbox named box of entity `to`, wherever it lives, from entity
// `from` of this zone (whose counter numbers it). Call it from a Step of the zone's world
// or from the main program between ticks; the zone publishes queued mail at the end of the
// tick, in the order sent. msg must be of a type persist can save. Send refuses a letter
// while maxMailOut letters wait to be published (NATS away, or the mail stream full).
// Cost: one persist encoding.
func (z *Zone) Send(from, to world.EntityID, box string, msg any) error {
	if !z.w.Alive(from) {
		return fmt.Errorf("cluster: send from entity %d: no such entity in zone %s", from, z.cfg.Name)
	}
	if len(z.mailOut) >= maxMailOut {
		return fmt.Errorf("cluster: send from entity %d to %d: %d letters of zone %s wait to be published (NATS away, or the mail stream full: see the log); send again later",
			from, to, len(z.mailOut), z.cfg.Name)
	}
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	v, _, err := z.cfg.Codec.Save(s, persist.Section{Name: "mail", Value: msg})
	if err != nil {
		return fmt.Errorf("cluster: send from entity %d to %d: %w", from, to, err)
	}
	if len(v) > maxMailBytes {
		return fmt.Errorf("cluster: send from entity %d to %d: %d bytes, more than %d", from, to, len(v), maxMailBytes)
	}
	sent, _ := MailSeq.Get(z.w, from)
	seq := sent.last(to) + 1
	MailSeq.Set(z.w, from, sent.with(to, seq))
	z.mailOut = append(z.mailOut, letter{From: from, Seq: seq, To: to, Box: box, Value: v})
	return nil
}

// resetMail (a zone restarted from its last save) makes the zone's mail consumer deliver
// again every letter the stream still holds for the zone. A letter is acknowledged when it
// is posted, but the world that held it is lost with the process unless a save followed:
// so the letters the last save holds were trimmed after it (trimStreams), and the others
// come again; the receivers' MailSeen, restored with the save, posts each once. Letters
// the stream delivers again that a zone had forwarded or refused are forwarded or refused
// again (the receiver's MailSeen drops a second copy). Cost: two requests.
func (z *Zone) resetMail(ctx context.Context) error {
	name := "mail_" + z.cfg.Name
	z.noteFloor(ctx, z.mail) // the consumer the last incarnation used
	if err := z.mailSt.DeleteConsumer(ctx, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("cluster: recover: mail consumer %s: %w", name, err)
	}
	_, cons, err := z.streamFor(ctx, z.mailStreamConfig(), "mail_", MailSubject, mailAckPending)
	if err != nil {
		return fmt.Errorf("cluster: recover: %w", err)
	}
	z.mail = cons
	return nil
}

// postMail publishes the queued mail to the zones the directory names (step end).
func (z *Zone) postMail(ctx context.Context) {
	if len(z.mailOut) == 0 {
		return
	}
	if z.cfg.LockStep {
		z.postLockStepMail(ctx)
		return
	}
	var keep []letter
	for i, l := range z.mailOut {
		to := z.cfg.Name
		if !z.w.Alive(l.To) {
			o, _, ok, err := z.dir.get(ctx, l.To)
			if errors.Is(err, errNotOwner) {
				z.refuseGarbageEntry(l, err)
				continue
			}
			if err != nil {
				keep = z.mailOut[i:] // NATS is away: in order, next tick
				break
			}
			if !ok {
				z.log.Warn("cluster: mail to an unknown entity dropped", "from", l.From, "to", l.To)
				continue
			}
			to = o.Zone
		}
		if err := z.publishLetter(ctx, to, l, ""); err != nil {
			keep = z.mailOut[i:]
			break
		}
	}
	z.mailOut = keep
}

func (z *Zone) publishLetter(ctx context.Context, zone string, l letter, via string) error {
	b, err := cbor.Marshal(l)
	if err != nil {
		return err
	}
	m := &nats.Msg{Subject: MailSubject + zone, Data: b, Header: nats.Header{}}
	m.Header.Set(jetstream.MsgIDHeader, strconv.FormatUint(uint64(l.From), 10)+"-"+
		strconv.FormatUint(uint64(l.To), 10)+"-"+strconv.FormatUint(l.Seq, 10)+via)
	return z.publishMail(ctx, MailStream, m)
}

// publishMail publishes letter m to stream and waits for the stream's ack; a refusal
// because the stream is full is logged (logFull).
func (z *Zone) publishMail(ctx context.Context, stream string, m *nats.Msg) error {
	if _, err := z.js.PublishMsg(ctx, m); err != nil {
		if streamFull(err) {
			z.logFull(stream, m.Subject, err)
		}
		return err
	}
	z.fullAgain(m.Subject)
	return nil
}

// takeMail posts the mail waiting for the zone's entities (at a tick boundary).
func (z *Zone) takeMail(ctx context.Context) {
	if z.cfg.LockStep {
		z.takeLockStepMail(ctx)
		return
	}
	batch, err := z.mail.FetchNoWait(256)
	if err != nil {
		return
	}
	defer func() { z.recount.again = false }()
	for msg := range batch.Messages() {
		if md, err := msg.Metadata(); err == nil {
			z.handling(md.Sequence.Stream)
		}
		var l letter
		if err := letterDec.Unmarshal(msg.Data(), &l); err != nil {
			z.refuseLetter(msg, err)
			continue
		}
		switch out, last := z.deliver(ctx, l); out {
		case mailDone:
			delete(z.gaps, letterKey{l.From, l.To, l.Seq})
			_ = msg.Ack()
		case mailLater:
			_ = msg.NakWithDelay(20 * time.Millisecond)
		case mailGap:
			z.waitForGap(msg, l, last)
		case mailBad:
			delete(z.gaps, letterKey{l.From, l.To, l.Seq})
			_ = msg.Term()
		}
	}
}

type mailOutcome int

const (
	mailDone  mailOutcome = iota // posted, a duplicate, or forwarded
	mailLater                    // the receiver is on its way here, its mailbox is full, or NATS is away
	mailGap                      // the sender's earlier letters to the receiver are not posted yet
	mailBad
)

// deliver posts a letter to its receiver here, or forwards it to the zone that has it.
// For mailGap it also returns the number of the sender's last letter posted.
func (z *Zone) deliver(ctx context.Context, l letter) (mailOutcome, uint64) {
	if !z.w.Alive(l.To) {
		return z.forward(ctx, l), 0
	}
	seen, _ := MailSeen.Get(z.w, l.To)
	return z.post(l), seen.last(l.From)
}

// post posts a letter to its receiver, an entity of this world, unless the receiver has
// taken it before; a letter whose sender's previous one is not yet posted waits.
func (z *Zone) post(l letter) mailOutcome {
	seen, _ := MailSeen.Get(z.w, l.To)
	switch last := seen.last(l.From); {
	case l.Seq <= last:
		return mailDone // delivered before
	case l.Seq > last+1:
		return mailGap // an earlier one is still on its way
	}
	mb := z.w.MailboxOf(l.To, l.Box)
	if mb == 0 {
		z.log.Warn("cluster: mail to a mailbox the entity does not have", "to", l.To, "box", l.Box)
		MailSeen.Set(z.w, l.To, seen.with(l.From, l.Seq))
		return mailDone
	}
	s, snap, err := z.cfg.Codec.Load(l.Value, sim.RestoreOptions{})
	if err != nil {
		return z.refusePost(l, seen, err)
	}
	s.Close()
	if !world.PostAny(z.w, mb, snap.Section("mail")) {
		if (world.Mailbox[any]{ID: mb}).Len(z.w) >= world.MaxMailboxLen {
			return mailLater // the mailbox is full
		}
		return z.refusePost(l, seen, fmt.Errorf("the message does not fit mailbox %q", l.Box))
	}
	MailSeen.Set(z.w, l.To, seen.with(l.From, l.Seq))
	if !z.recount.held {
		z.tally(&z.stats.MailIn)
	}
	return mailDone
}

// refusePost logs and counts (MailRefused) a letter that can never be posted (its message
// does not decode or does not fit the mailbox) and marks it taken, so that the sender's
// later letters are not held behind it.
func (z *Zone) refusePost(l letter, seen Seen, err error) mailOutcome {
	z.mailLog(slog.LevelError, "cluster: mail refused", "from", l.From, "to", l.To, "box", l.Box, "err", err)
	z.tally(&z.stats.MailRefused)
	MailSeen.Set(z.w, l.To, seen.with(l.From, l.Seq))
	return mailBad
}

// forward sends mail for an entity that is not here to where the directory says it is.
func (z *Zone) forward(ctx context.Context, l letter) mailOutcome {
	o, _, ok, err := z.dir.get(ctx, l.To)
	switch {
	case errors.Is(err, errNotOwner):
		z.refuseGarbageEntry(l, err)
		return mailBad
	case err != nil:
		return mailLater
	case !ok:
		return mailDone // the entity despawned (its entry is deleted): nobody to deliver to
	case o.Zone == z.cfg.Name:
		return mailLater // on its way out: the target has not committed yet
	}
	if err := z.publishLetter(ctx, o.Zone, l, "-via-"+z.cfg.Name); err != nil {
		return mailLater
	}
	z.tally(&z.stats.MailForwarded)
	return mailDone
}

// refuseLetter logs, counts and terminates a message on a mail subject that is not a
// letter; the zone goes on.
func (z *Zone) refuseLetter(msg jetstream.Msg, err error) {
	z.tally(&z.stats.MailRefused)
	seq := uint64(0)
	if md, mdErr := msg.Metadata(); mdErr == nil {
		seq = md.Sequence.Stream
	}
	z.mailLog(slog.LevelError, "cluster: mail refused", "subject", msg.Subject(), "seq", seq, "err", fmt.Errorf("not a letter (a CBOR array of from, seq, to, box, value): %w", err))
	_ = msg.Term()
}

// refuseGarbageEntry logs and counts (Stats.MailRefused) a letter dropped because its
// receiver's directory entry is not an Owner (written by hand): nobody can tell where the
// receiver is, so waiting would block it forever. The receiver's zone writes the entry
// again when its audit reaches it (directory.go), or the zone that wins the receiver's
// next move does (rewriteEntry); a letter posted where the receiver lives needs no entry.
func (z *Zone) refuseGarbageEntry(l letter, err error) {
	z.tally(&z.stats.MailRefused)
	z.mailLog(slog.LevelError, "cluster: mail dropped: the receiver's directory entry is unreadable", "from", l.From, "to", l.To,
		"box", l.Box, "seq", l.Seq, "err", err)
}
