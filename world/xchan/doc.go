// Package xchan carries channels between zones: a channel whose tasklets run in two
// worlds (two processes, two machines), joined over NATS, with the order and blocking of
// a Stackless channel (spec case 20: two schedulers, one channel). A channel is one-way
// (Out on one side, In on the other) or two-way (Both on both sides).
//
// # Tour
//
// Each zone opens its side of a link to the other and declares the channel, one side
// sending (Out), the other receiving (In); frames then use the returned sim.Chan as any
// channel, and the main program calls Boundary after each tick:
//
//	// zone "a"                                  // zone "b"
//	la, _ := xchan.Open(wa, xchan.Config{         lb, _ := xchan.Open(wb, xchan.Config{
//		Conn: nc, Local: "a", Peer: "b",              Conn: nc, Local: "b", Peer: "a",
//		LockStep: true})                              LockStep: true})
//	cmd, _ := xchan.Out[string](la, "cmd")        cmd, _ := xchan.In[string](lb, "cmd")
//	wa.Spawn(&Master{Ch: cmd})                    wb.Spawn(&Slave{Ch: cmd})
//	for {                                         for {
//		wa.Tick()                                     wb.Tick()
//		la.Boundary(ctx)                              lb.Boundary(ctx)
//	}                                             }
//
// A channel both zones send and receive on is declared with Both on both sides instead.
// On world/server's runtime, call Boundary from Options.AfterTick and DurableAt from
// Options.OnSave (when the save succeeded); on a world/cluster zone, set its
// Config.Boundary to the link's Boundary (the zone calls it at each boundary, after the
// step's imports: the place for CheckHandles too) and Config.Saved to its DurableAt.
//
// # Semantics
//
// On a one-way channel, a sender blocks until a receiver in the peer zone has taken its value; a receiver
// blocks until a value comes. Values are taken in the order their senders blocked (one
// sequence number per value, FIFO as a local channel's queue), each at most once. The
// local end is an ordinary channel of the world (a named channel, "xchan.<peer>.<name>"),
// so preference, RecvFor timeouts, Next and kill work on it as on any channel, and
// Link.Balance is blocked senders (here or there) minus blocked receivers, the peer's
// part as of its last message. Close closes both ends as Stackless's close does:
// operations that would block fail with sim.ErrClosed, waiting tasklets are not woken,
// values already offered are still delivered, and the receiving end closes once it has
// delivered them all (so an iteration with Next ends there). On the sending side every
// send waits for the peer, so after a close there every new send fails; after a close on
// the receiving side, sends still go through while the peer reports a receiver waiting
// (a send to a waiting receiver does not block).
//
// # Two-way channels
//
// A channel declared with Both on both sides has no direction, as a Stackless channel:
// tasklets of either zone send and receive on it. Who takes a value is decided by the
// sender's zone alone, so a value is taken once however both sides race:
//
//   - during a tick, a send and a receive of the same zone meet on the local end as on
//     any channel (preference, FIFO, balance as in a single world);
//   - at its boundary, each zone claims one value for each receiver waiting there that no
//     value already handed over will serve (a cumulative count, repeated in every
//     message);
//   - at its next boundary, the peer takes the values of its oldest blocked senders, as
//     many as the claims allow, releasing those senders (their value was taken, as by a
//     receiver there); only there does a value leave its zone;
//   - the receiving zone hands each value over at its boundary after, oldest first.
//
// With LockStep, a receiver waiting at boundary N gets a value at boundary N+2 (it runs
// in tick N+3), and a sender blocked then is released at N+1 (TestBothWays). A receiver
// that stops waiting before its value arrives (RecvFor times out, kill, or a sender of its
// own zone serves it) leaves the value to the next receiver there; its sender was already
// released (Stats.Pending counts such values). Close on either side: each end closes
// (sim.ErrClosed for operations that would block) once a side closed the channel and
// nothing of the peer's can serve an operation there: no tasklet queued in the peer, as
// of its last message, and every value it handed over delivered. Until then operations
// there block as usual. A close reaches the peer at its next boundary: a tasklet that
// blocks there in between stays queued, as one queued before a Stackless close does
// (TestBothCloseFromSender, TestBothCloseFromReceiver). Restarts from saves keep the
// one-way guarantee (TestBothRestartSenderFromSave, TestBothRestartReceiverFromSave).
//
// # Errors as values
//
// A sender's error (Chan.SendError) crosses zones as a value, and the receiver raises it
// at its receive (Stackless's send_exception; the sender is released as by a value). An
// error crosses by the name it is registered under with persist.RegisterError, the way a
// pending error is saved: the first error of its chain that is registered (sim's
// sentinels are: a fmt.Errorf("...: %w", sim.ErrClosed) arrives as sim.ErrClosed), so the
// receiver raises the same sentinel and errors.Is works; sim.ErrStopIteration ends an
// iteration with Next there, sim.ErrTaskletExit kills. An error registered nowhere arrives
// as ErrRemote, its text logged where it was sent (TestErrorsCrossZones).
//
// # What a hand-off costs
//
// Hand-offs take effect at tick boundaries only, never when a message arrives. A link
// publishes one NATS message per boundary (its tick, and every channel's state), whatever
// the traffic: with LockStep, the peer applies the message of tick N at its own boundary
// of tick N+1. So a sender that blocks during tick N has its value offered at boundary
// N, delivered to a waiting receiver at the peer's boundary N+1 (the receiver runs in
// tick N+2), and is released at boundary N+2 (it runs again in tick N+3): a value takes
// 2 ticks to arrive and a sender is blocked at least 3 (TestSenderBlocksUntilTaken,
// TestCase20TwoWorlds). A value crosses the wire once, as its CBOR encoding plus about 9
// bytes (its sequence number and framing), inside the message of its boundary; a
// message of an idle link with one channel is 14 bytes, and each channel adds about
// 10-20 (TestCostPerHandOff). So a hand-off costs no NATS message of its own: with one
// value per tick it is 4 messages each way while it is in flight, shared with every other
// channel of the link. Values are sent again only when the peer asks (a gap, or a
// restart from a save).
//
// # Saves and restarts
//
// A link keeps its state in its world (a mailbox owned by no entity, "xchan.link.<peer>"):
// the values offered and not yet taken, the values received and not yet delivered, and
// the sequence numbers. A save taken after Boundary therefore restores tasklets blocked
// on the link blocked, and Open on the loaded world resumes the link. The guarantee,
// when either side restarts from its last save (Link.SaveFile, or Checkpoint + Durable
// around the zone's own save): no sequence number is delivered twice into the receiving
// world's history and none is skipped. The sending side keeps each taken value until the
// receiving side reports a save that covers it, and sends it again if the receiver comes
// back from that save; a sender restored blocked on a value the receiver took meanwhile
// is released without a second delivery (a sending world that re-runs ticks sends the
// same values again only if it is deterministic, which worlds are).
//
// # What it does not do
//
// A channel declared with Out and In is one-way: a tasklet receiving on the sending end,
// or sending on the receiving end, is logged as misuse (declare it with Both instead).
// Values are plain data (CBOR): channel handles and entity mailboxes do not cross (on a
// one-way channel such a sender stays blocked, logged; on a two-way one it raises
// ErrValue). A sender killed after its value was
// offered may still have the value delivered.
//
// # Entities that migrate
//
// A cross-zone channel's local end is a named channel, so world.Export and Import carry
// an entity's handle to it by name: in the importing zone, "xchan.<peer>.<name>" is that
// zone's end of its own link to the same peer, channel of the same name. An entity
// holding (not waiting on) a handle therefore follows: after the move its sends and
// receives go through the new zone's link, if that zone declared the channel alike (for
// example every zone linked to one service zone; TestEntityHoldingHandleMigrates). An
// entity whose tasklet waits on a cross-zone channel is pinned (world.ErrPinned: its
// wait is on a channel that is not its own; world/cluster's Migrate names the channel)
// and moves once its wait is over. A handle
// moved into a zone with no such link, or into the peer itself (where the name is its own
// zone's), reaches no zone: CheckHandles, called after an Import, names each such channel
// and what to do. Preference across zones is not kept (each end has its own); there is
// no schedule-all across zones. Without LockStep which tick a hand-off lands on depends
// on the network. LockStep assumes both worlds count ticks alike; a side restarted from
// a save steps alone until it reaches the other's tick.
//
// Peer messages are untrusted: decoded under limits (MaxMessageBytes, MaxOffersPerMessage,
// MaxValueBytes, MaxChannels) and checked; a malformed or hostile one is refused whole,
// logged with its reason and counted (Stats.Refused), and the link goes on.
package xchan
