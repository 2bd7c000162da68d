// Package world runs one zone of a Stackworld game: a sim.Scheduler plus entities, a
// spatial grid with interest management, a seeded RNG, a tick clock, named channels and
// mailboxes, all of it saved and loaded as one snapshot.
//
// # Tour
//
// Make a world, give it entities driven by soft tasklets, and tick it:
//
//	w, _ := world.New(world.Config{Seed: 1, Width: 1024, Height: 1024})
//	sheep := w.Kind("sheep")
//	w.SpawnEntity(sheep, world.Vec{X: 10, Y: 20}, func(id world.EntityID) sim.Frame {
//		return &Grazer{Self: id} // a registered frame type; see package actors for ready ones
//	})
//	for range 600 {
//		w.Tick()
//	}
//	fmt.Println(w.Checksum())
//	data, _ := w.Save(world.DefaultCodec()) // and world.Load(codec, data, cfg) resumes it exactly
//
// A frame reaches its world from Step with world.Of(t) (the world sits in its scheduler's
// user-data slot: a type assertion). Frames hold ids (entity ids, channel and mailbox handles), never
// pointers, so that they can be saved.
//
// Inputs are delivered between ticks: the main program (or world/server's input handler, at
// the tick boundary) posts them to mailboxes, and each Post queues its message and puts a
// receiver waiting on the mailbox in the ring at once, in posting order. Each Tick then
// wakes the sleepers due (in the order they slept), runs the ring until it is empty (the
// receivers of the inputs first), then adds velocities to positions, rebuilds the spatial index, updates areas of interest
// (enter/leave events) and computes a checksum. Queries during a tick (Near, Nearest,
// CountNear, Visible) see the index of the previous tick's end, so every tasklet sees the
// same picture whatever order it runs in.
//
// A tasklet that runs more than Config.TickBudget steps in one tick is pre-empted to the
// next tick and counted (every step counts, yields and hand-offs as much as loops, so a tick
// always ends); a tasklet that fails is reported (Failures, events, the log, its monitor)
// and the tick goes on. With Config.WallBudget and an injected Config.Clock, the
// world measures its ticks and computes a time-dilation factor: under load a run loop
// spaces ticks further apart (Interval) instead of dropping any.
//
// The read-only views (Entities, Tasklets, FrameStack, Channels, EachMessage, Events,
// Failures, Timings, Stats) hand out live data without copying: cheap enough for a viewer
// to read every frame, between ticks.
//
// Save and Load go through a Codec (package persist): the scheduler's image (tasklets with
// their frames, channels, timers) plus the world's Snapshot (entities as columns, components,
// named channels, mailbox queues, monitors, RNG state).
//
// # Determinism
//
// Same seed and same inputs give the same checksum at every tick and the same snapshot
// bytes, whatever GOMAXPROCS, and a loaded world continues exactly as the saved one would
// have. To keep it so:
//
//   - time is ticks: the world never reads the wall clock; Config.Clock is used only to
//     measure ticks and never changes what the world does;
//   - positions and velocities are integers (Vec): no floating-point rounding differences
//     between machines;
//   - randomness comes from World.Rand, a PCG seeded from Config.Seed and saved;
//   - order comes from ids and slices: entities in creation order (a despawn moves the last
//     entity into the hole), grid cells row by row, watchers and components by id, maps
//     only ever read by key or walked in sorted order;
//   - the spatial index and the interest sets are pure functions of the entities, so a load
//     recomputes them (or restores them when the main program changed entities after the
//     last tick).
//
// A test in this package runs sim/detcheck over its source.
package world
