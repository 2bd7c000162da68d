package cluster

import (
	"log/slog"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// fuzzLetter is a letter from entity 9 with sequence number seq to entity 1's inbox.
func fuzzLetter(t *testing.T, c *persist.Codec, seq uint64, msg any) letter {
	s := sim.NewScheduler(sim.Options{})
	defer s.Close()
	v, _, err := c.Save(s, persist.Section{Name: "mail", Value: msg})
	if err != nil {
		t.Fatal(err)
	}
	return letter{From: 9, Seq: seq, To: 1, Box: "inbox", Value: v}
}

// TestBadLetterDoesNotHoldTheNext: a letter whose message does not fit the mailbox's type,
// or does not decode, is refused once; it was taken for "mailbox full" and retried
// forever, holding every later letter of its sender behind it.
func TestBadLetterDoesNotHoldTheNext(t *testing.T) {
	c, err := persist.DefaultOptions().Codec()
	if err != nil {
		t.Fatal(err)
	}
	w := fuzzWorld(t)
	defer w.Close()
	z := &Zone{w: w, cfg: Config{Codec: c}, log: slog.New(slog.DiscardHandler)}
	undecodable := fuzzLetter(t, c, 2, "x")
	undecodable.Value = undecodable.Value[:len(undecodable.Value)/2]
	for i, c := range []struct {
		l    letter
		want mailOutcome
	}{
		{fuzzLetter(t, c, 1, int64(5)), mailBad}, // an int for a mailbox of strings
		{undecodable, mailBad},
		{fuzzLetter(t, c, 3, "hello"), mailDone},
	} {
		if got := z.post(c.l); got != c.want {
			t.Fatalf("letter %d (seq %d): outcome %d, want %d", i, c.l.Seq, got, c.want)
		}
	}
	inbox := world.Mailbox[string]{ID: w.MailboxOf(1, "inbox")}
	if m, ok := inbox.TryTake(w); !ok || m != "hello" || inbox.Len(w) != 0 {
		t.Fatalf("inbox took %q %v, %d left; want only \"hello\"", m, ok, inbox.Len(w))
	}
	if z.stats.MailRefused != 2 {
		t.Fatalf("%d letters counted refused, want 2", z.stats.MailRefused)
	}
}
