package actors

import (
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// DefaultAskTimeout is Ask's timeout when Timeout is 0.
const DefaultAskTimeout = 10

// ask sends body to the server mailbox to and waits at most timeout ticks
// (DefaultAskTimeout when timeout <= 0) for the reply on replyTo, the caller's reply
// mailbox; replies to earlier, timed-out requests are dropped when found. It returns the
// reply and true, or false when it timed out or to was full. Its frame is Ask, a child
// frame that soft tasklets call:
//
//	return t.Call(&actors.Ask[Price, Quote]{To: shop, ReplyTo: f.Replies, Body: Price{Item: 3}, Timeout: 5}).Then(asked)
//
// and a marked function calls as ask(h, shop, replies, Price{Item: 3}, 5). Register each
// instantiation with the resume point names "send" and "wait" (see persist.go).
//
//stackworld:tasklet frame=Ask
func ask[Q, R any](h *sim.Tasklet, to world.Mailbox[Request[Q, R]], replyTo world.Mailbox[Reply[R]], body Q, timeout int) (reply R, ok bool, err error) {
	w := world.Of(h)
	if timeout <= 0 {
		timeout = DefaultAskTimeout
	}
	corr := w.NextSeq()
	deadline := w.Now() + uint64(timeout)
	if !to.Post(w, Request[Q, R]{Corr: corr, ReplyTo: replyTo, Body: body}) {
		return reply, false, nil
	}
	for {
		if err := replyTo.WaitFor(h, int(deadline-world.Of(h).Now())).Wait(); err != nil { //stackworld:resume wait
			return reply, false, err
		}
		now := world.Of(h)
		for {
			r, got := replyTo.TryTake(now)
			if !got {
				break
			}
			if r.Corr == corr {
				return r.Body, true, nil
			}
		}
		if now.Now() >= deadline {
			return reply, false, nil
		}
	}
}
