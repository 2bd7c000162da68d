// Package actors holds reusable game behaviours built on soft-tasklet frames: mailbox
// actors, request/reply with timeouts, timers, NPCs (wander, patrol, chase, flee), spawners,
// supervision, and scenarios that put them together.
//
// # Tour
//
// NPCs are frames driving an entity; each is also a Template (New makes a frame for an
// entity from the settings it holds), so spawners and supervisors keep them as data:
//
//	w.SpawnEntity(sheep, pos, actors.Wander{Speed: 2, Sight: 16}.New)
//	w.Spawn(&actors.Spawner{Kind: deer, Max: 100, Every: 10, Brain: actors.Flee{From: wolf, Speed: 3, Sight: 48}})
//
// Chase and Flee use the world's interest management: they give their entity an area of
// interest (World.SetInterest) and read who is in it (World.Visible) every tick.
//
// A mailbox actor takes the messages of a world.Mailbox one at a time; its state is a plain
// struct in the frame whose pointer implements Handler:
//
//	w.Spawn(&actors.Actor[Order, Shop, *Shop]{Inbox: inbox})
//
// Ask is a child frame for request/reply: it posts a Request and waits for the Reply with a
// timeout in ticks (a receive with a deadline, sim's RecvFor), dropping late replies to
// earlier requests. Timer, After and Every post messages at ticks.
//
// A Supervisor starts its children, is told by the world when one fails (World.Monitor, an
// Exit in its inbox) and restarts it per Policy: at most MaxRestarts in WindowTicks, then it
// escalates — it kills its children and fails itself, so that its own supervisor restarts the
// whole group. Every failure is reported by the world (log, Failures, events) and by the
// supervisor's log line; none passes silently.
//
// A Scenario (JSON, see assets/scenarios) names the map and the kinds of entities with their
// numbers and behaviours; Populate builds it in a world, BuildWorld makes that world, and
// Origin opens a world from a snapshot or a scenario with a seed, as `stackworld run` and
// the viewer do:
//
//	w, source, err := actors.Origin{ScenarioFile: "meadow.json", Seed: 7}.Open(world.Config{})
//
// # Determinism
//
// Behaviours draw randomness only from World.Rand, move in integer units, read the spatial
// index as the previous tick left it, and hold ids and handles, never pointers. Every frame
// and message type of the package is registered with persist (see persist.go), so a world
// of actors saves and loads mid-flight, requests and timers included. A test runs
// sim/detcheck over the package's source.
package actors
