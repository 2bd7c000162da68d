// Package cluster runs one world as zones in several processes (and machines) over NATS,
// and moves running entities between them.
//
// A Zone is a world.World plus a NATS connection. The map is cut into vertical strips
// (regions), one per zone; a shared zone map says which zone owns which region. At every
// tick boundary a zone sends the entities that walked into another zone's region to that
// zone — with their tasklets exactly where they are (deep in calls, blocked on their
// mailboxes, asleep), their queued mail and their components (world.Export) — and takes in
// the entities sent to it (world.Import). An entity is owned by exactly one zone at every
// moment, and whichever process is killed at whichever step, a restart from its last save
// leaves every entity in exactly one world.
//
// # Tour
//
//	s, _ := cluster.StartServer(cluster.ServerOptions{})       // or an external NATS:
//	nc, _ := cluster.Connect(cluster.ConnectOptions{URL: s.ClientURL()})
//	z, _ := cluster.Open(ctx, cluster.Config{Name: "z0", Conn: nc, World: w,
//		Regions: 4, Region: 0, SavePath: "z0.cbor"})
//	srv, _ := z.NewServer(server.Options{Rate: 20, SaveEvery: 200})
//	srv.Run(ctx)                 // the zone on world/server (runtime.go)
//
// On the runtime the zone's step runs in the server's BeforeTick (take in payloads and
// mail) and EndTick (send crossers and mail) hooks; the server's autosave is put off while
// exported entities are only in memory, and the journal is settled once a written save
// covers it. A program (or a test) may instead step zones itself, for example in lock-step:
//
//	for {
//		z.Step(ctx)              // takes in payloads and mail, ticks, sends crossers
//		z.Save(ctx)              // now and then: world.SaveFile, then settles journals
//	}
//
// A restarted zone loads its save and opens with Recovering: true. stackworld zone and
// stackworld run --zones N run zones on the server.
//
// # What an operator sees (the nats CLI can watch all of it)
//
//	KV bucket stackworld_dir         key e.<entity id>: {"zone":"z1","epoch":3} — the owner
//	                                 key m.<migration id>: {"zone":"z1"} — the side that won
//	                                 a batch (its commit record, removed once the batch is
//	                                 settled; a 48 h TTL removes those a crash left)
//	KV bucket stackworld_zones       key map: {"width":4096,"regions":["z0","z1",...]}
//	                                 key zone.<zone>: the zone's last Report (tick, entities,
//	                                 counters, wall-clock time)
//	                                 key tick.<zone>: the last tick a LockStep zone finished
//	                                 with its payloads and letters stored (the barrier)
//	                                 key lockmail.<zone>: the first stackworld_lockmail
//	                                 sequence a LockStep zone's last save may need
//	                                 keys journal.<zone>.out.<id>, journal.<zone>.in.<seq>:
//	                                 migrations begun since the zone's last save
//	stream stackworld_migrations     subjects stackworld.migrate.<zone>: payloads (CBOR)
//	stream stackworld_mail           subjects stackworld.mail.<zone>: letters to entities
//	stream stackworld_lockmail       subjects stackworld.lockmail.<source zone>: letters of
//	                                 LockStep zones (header Stackworld-Tick), read by all
//	subject stackworld.stats.<zone>  the zone's Report once a second (JSON)
//	subject stackworld.events.migration  out / in / refused events (JSON)
//
// A stream holds what a zone has not yet taken in and saved: each save purges the zone's
// subjects below what it covers (storage.go), and a full stream refuses new messages,
// logged, rather than dropping old ones. For example: nats kv watch stackworld_dir, nats
// sub 'stackworld.stats.>', nats stream info stackworld_migrations. Each zone also exports Prometheus metrics (Zone.Collector:
// migrations in and out, in flight, failures, bytes, mail, silent peers) and logs a peer
// whose report is older than Config.SilentAfter ("zone stopped answering").
//
// # The migration protocol
//
// See migration.go: the source journals, exports and publishes the payload to the stream
// (it keeps the entities' directory entries); the target journals, commits the batch with
// one write (it creates the batch's commit record unless it exists), imports and
// acknowledges, and then moves the entities' entries to itself (compare-and-sets from the
// revisions the source had, settled at its next step: commit.go); a payload the stream
// delivers again (a lost ack) is not taken in twice. A save settles a zone's journal
// entries; after a crash the source takes back moves the target has not committed (by
// creating their commit records for itself, so the target drops the payloads), and the
// target redoes the commits it journaled from the payload still in the stream. Payloads are untrusted input: decoded with persist's
// limits and checked whole (world.DecodeMigration); a bad one is refused, logged and
// counted, and the zone goes on.
//
// # Mail
//
// Zone.Send addresses a message to (entity, mailbox name) wherever the entity lives: it
// goes through the mail stream to the zone the directory names; a zone that no longer has
// the entity forwards it; one whose entity is still on its way waits for the commit.
// Numbers per sender and receiver, kept in components that move with the entities, make
// each letter posted once and in the order sent. A letter leaves the stream once a save
// of its zone holds it, so a zone restarted from its last save posts again the letters it
// had posted after it.
// Under Config.LockStep letters take another path, at agreed ticks (see Determinism).
//
// # Determinism, and what is not deterministic
//
// Each zone's world is deterministic as a world is: the same seed and the same inputs give
// the same ticks. The inputs of a zone include the entities and letters that arrive from
// other zones, and a free-running zone takes them in at the first tick boundary after
// they arrive: which tick that is depends on the network and on the other processes'
// speed. Config.LockStep fixes the tick instead: a payload exported at the end of source
// tick t is taken in at the target's boundary after its own tick t — not earlier, even if
// it is there (it is held back), and not later (the zone reads the stream's last sequence
// and waits for every payload up to it) — in the order (tick, source zone, sequence). Mail
// likewise (lockmail.go): a letter sent during tick t is posted at the boundary after tick
// t by the zone that holds its receiver then, in the same order. And a barrier
// (barrier.go) makes every zone finish tick t before any steps past it: a zone announces
// each tick it has finished once the tick's payloads and letters are stored (key
// tick.<zone> in stackworld_zones), and at its boundary after tick t waits until every
// zone of the map has announced t (a zone whose peer has stopped waits until it comes
// back; on world/server its loop serves Do, SaveNow, Pause and Stop meanwhile, and the
// zone names the peer in its log, Stats.Waiting and metrics). So lock-step zones repeat their per-zone deep
// checksums tick by tick whether they are stepped in turn on one goroutine, in any order
// (TestLockStepZonesRepeat), or run free, each on its own server, goroutine or process
// (TestLockStepServersRepeat); so does a run in which a zone is killed and restarted
// from its save at the same point (it announces its saved tick when it opens). A
// restarted zone does not repeat the run without the restart, though: it settles the
// migrations begun after its save when it opens (it finishes or undoes them at once, at
// its saved tick), rather than replaying them at their ticks. Without LockStep, zones run
// free and do not repeat. Entity ids, directory epochs and the migration protocol's
// outcome (who owns what) do not depend on timing.
//
// # Channels across zones
//
// world/xchan joins a channel's senders in one zone to its receivers in another (spec case
// 20 across processes, with its order and blocking). A zone wires a link on its own
// connection and steps it at each tick boundary, and tells it when a save is durable:
//
//	l, _ := xchan.Open(w, xchan.Config{Conn: nc, Local: "z0", Peer: "z1", LockStep: true})
//	cmd, _ := xchan.Out[string](l, "cmd") // the local end: named channel "xchan.z1.cmd"
//	z, _ := cluster.Open(ctx, cluster.Config{Name: "z0", Conn: nc, World: w, ...,
//		Boundary: l.Boundary, Saved: l.DurableAt})
//
// (Zone.Conn gives the connection to a link opened after the zone.) An entity whose
// tasklet waits on the local end of a cross-zone channel is pinned (world.ErrPinned): it
// stays, and crosses at a later tick once the wait is over; Migrate refuses it by name.
// world/xchan's package doc says what a hand-off costs.
//
// # Not (yet) here
//
// An entity that holds a cross-zone channel's handle without waiting on it may still
// move; on the target the handle names that zone's channel of the same name, which is not
// joined to the same peer. An entity whose tasklet waits on a channel that is not its own,
// or whose data holds a channel handle that is neither its own mailbox nor a named
// channel, is pinned (world.ErrPinned) and crosses when the wait is over; letters to
// entities anywhere go through Zone.Send. The regions are fixed strips; a zone map with
// other shapes, and handing a region to another zone, are future work.
package cluster
