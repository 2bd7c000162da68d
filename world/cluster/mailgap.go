package cluster

import (
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world"
)

// Letters waiting for a gap. A letter whose sender's earlier letters to the same receiver
// are not posted yet waits in the stream: it is put back with a delay that doubles at each
// delivery (gapDelay), logged once and counted once (Stats.MailGaps) with its sender and
// the missing numbers. A letter that has waited longer than the mail stream keeps
// anything (mailMaxAge) is refused: every earlier letter a zone sent was stored in that
// stream before it (a sender publishes its letters in order), so by then each one was
// either posted or dropped by the stream, and none can still come to fill the gap. Only a
// forged or corrupt number waits that long.

// mailMaxAge is MailStream's MaxAge.
const mailMaxAge = 24 * time.Hour

// gapRefuseAge is the age at which a letter waiting for a gap is refused: a little under
// mailMaxAge, so that a redelivery (at most gapDelay's 10 s apart) still sees it before
// the stream drops it, and its entry in Zone.gaps goes with it (otherwise every forged
// number would leave one behind). Its earlier letters are older still: by then each was
// posted or is being dropped.
const gapRefuseAge = mailMaxAge - time.Minute

// gapDelay is how long a letter delivered n times (n >= 1) waits before the next
// delivery: 20 ms doubled at each delivery, at most 10 s.
func gapDelay(n uint64) time.Duration {
	return min(20*time.Millisecond<<min(n-1, 10), 10*time.Second)
}

// letterKey names one letter.
type letterKey struct {
	from, to world.EntityID
	seq      uint64
}

// waitForGap puts back a letter whose sender's earlier letters are missing (last is the
// number of the last one posted), logging and counting it the first time, or refuses it
// once it is older than gapRefuseAge. Cost: O(1), one map entry per waiting letter.
func (z *Zone) waitForGap(msg jetstream.Msg, l letter, last uint64) {
	md, err := msg.Metadata()
	if err != nil {
		_ = msg.NakWithDelay(gapDelay(1))
		return
	}
	k := letterKey{l.From, l.To, l.Seq}
	waited := time.Since(md.Timestamp) // determinism: mail outside LockStep is posted when it arrives anyway
	if waited > gapRefuseAge {
		delete(z.gaps, k)
		z.tally(&z.stats.MailRefused)
		z.mailLog(slog.LevelError, "cluster: letter refused: the letters before it never came", "from", l.From, "to", l.To,
			"seq", l.Seq, "missing_from", last+1, "missing_to", l.Seq-1, "waited", waited.Round(time.Second))
		_ = msg.Term()
		return
	}
	if z.gaps == nil {
		z.gaps = map[letterKey]uint64{}
	}
	first := z.gaps[k] == 0
	z.gaps[k] = md.NumDelivered
	if first {
		z.stats.MailGaps++
		z.log.Warn("cluster: letter waits for earlier ones from its sender", "from", l.From, "to", l.To,
			"seq", l.Seq, "missing_from", last+1, "missing_to", l.Seq-1, "stream_seq", md.Sequence.Stream)
	}
	_ = msg.NakWithDelay(gapDelay(md.NumDelivered))
}
