// Package server runs a world as a game server: the tick loop, its pacing, saves, inputs
// from many goroutines, and replay.
//
// # Tour
//
// Run a world at 20 ticks per second until the context ends, saving it every 100 ticks and
// once more at the end:
//
//	err := server.Run(ctx, w, server.Options{Rate: 20, SavePath: "world.cbor", SaveEvery: 100})
//
// A Server value is the same loop with controls. Run owns the world's goroutine; Pause,
// Resume, Step, SetRate, SaveNow, Do, Stop, Submit and Stats may be called from any
// goroutine and take effect at the next tick boundary:
//
//	s, _ := server.New(w, server.Options{Rate: 20, Deliver: deliver})
//	go s.Run(ctx)
//	s.Submit(server.Input{Client: 7, Seq: 1, Payload: cmd}) // from a connection's goroutine
//	s.Do(ctx, func(w *world.World) { n = w.Len() })          // read the world between ticks
//
// # Inputs
//
// Submit queues an input for its tick; at each tick boundary the loop takes the inputs due,
// orders them by (tick, client, seq) and hands them to Options.Deliver, which posts them
// into the world (mailboxes, channels, components) on the loop goroutine. Duplicates by
// (client, seq) and inputs beyond the queue's bound are refused with an error and counted;
// inputs for a tick already run are delivered at the next one and counted as late. With
// Options.InputLog every delivered input is appended to an input log, and Replay runs a
// snapshot forward with the log to the same world at every tick.
//
// # Saves
//
// A save takes a consistent copy of the world at a tick boundary (persist.Codec.Recapture,
// which reuses the tables of the capture before last), then encodes and writes it on
// another goroutine, so the tick loop pauses only for the copy; the file holds the bytes a
// synchronous save at that tick would have written. A
// failed save is logged, counted and retried with a doubling wait while the world runs.
//
// # A world shared with other processes
//
// Options.BeforeTick and Options.EndTick run on the loop goroutine around each tick (an
// error from either stops Run without a final save), and Options.SaveGate may put a save
// off to a later tick boundary (ErrSaveLater); OnSave reports the tick a written save
// covers. A world/cluster zone runs on the server through them: it takes in the entities
// sent to it before a tick, sends those that left after it, keeps a save from being
// written while exported entities exist only in its memory, and settles its journal once
// a save covers it. The hooks get a context that ends when Run is stopping (its context
// ends, or Stop). BeforeTick may answer ErrTickNotReady after a short wait (a LockStep
// zone whose peer has not finished the tick): the loop then serves the boundary (Do,
// SaveNow, Pause, Stop) and asks again (after a short backoff if the answer came at once),
// and Stats.Waiting says what the tick waits for.
//
// # Determinism
//
// What the world does depends only on where it started (a snapshot, or a seed) and on the
// inputs delivered before each tick. The wall clock, the rate, pauses, steps, saves and when
// a control call or an input arrived decide only when ticks run, never what they do: an input
// log records each input with the tick it was delivered before, which is all replay needs.
package server
