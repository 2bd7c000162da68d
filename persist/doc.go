// Package persist saves a whole scheduler — soft tasklets in the middle of running, deep
// in their frame stacks, channels with their queues, timers and counters — and any named
// sections of plain data (the world's state) as one deterministic CBOR document, and loads
// it back, in this process or another.
//
// # Use
//
// Register every frame type and every type of value that can sit in a tasklet, a channel
// queue or a section, at init, under a stable name:
//
//	func init() {
//		persist.Register[Recurs]("demo.Recurs", "enter", "descend", "leave")
//		persist.Register[Msg]("demo.Msg")
//		persist.RegisterError("demo.ErrGone", ErrGone)
//	}
//
// Then save between ticks and load anywhere:
//
//	codec, err := persist.DefaultOptions().Codec()
//	data, report, err := codec.Save(s, persist.Section{Name: "world", Value: st})
//	s2, snap, err := codec.Load(data, sim.RestoreOptions{Paused: true})
//	_, err = codec.SaveFile("world.cbor", s)  // temp file, fsync, rename, fsync dir
//
// Loaded tasklets come back as they were, or paused (RestoreOptions.Paused, as Stackless's
// unpickling does; blocked ones stay blocked on their channel, in queue order). The same
// bytes load any number of times. The running tasklet cannot be saved (Save from a Step
// fails with sim.ErrSnapshotRunning); hard tasklets are refused with an error naming them,
// or left out and reported (Options.HardTasklets = OmitHard).
//
// # Determinism
//
// The same state always gives the same bytes, and save → load → save gives the same bytes
// again. Order comes from the scheduler (sim.Scheduler.Each: the ring from the current
// tasklet, each channel's queue by channel id, sleepers in wake order, paused tasklets),
// type indexes from first use, map entries from their sorted encoded keys. Nothing depends
// on addresses, map iteration or the clock.
//
// # Format 3
//
// One CBOR item in Core Deterministic Encoding (RFC 8949 §4.2.1: shortest integers and
// floats, definite lengths, sorted map keys), an array of eleven elements:
//
//	[ "stackworld",          magic
//	  3,                     format version (this package's layout)
//	  schemas,               {"": program's schema, "pkg": package's schema, ...}
//	  tick,                  the scheduler's tick
//	  types,                 [[name, shape, [pc names]], ...]: every type and error used
//	  scheduler,             [next tasklet id, next channel id, steps, switches, preempted, spawned]
//	  frames,                [[type index, [frame, ...]], ...]: one group per frame type
//	  tasklets,              the tasklet table, below
//	  channels,              [[id deltas], [flags]]: flags = preference+1 | 4 schedule-all | 8 closing
//	  sections,              [[name, value], ...]
//	  checksum ]             h'xxxxxxxx': CRC-32C (Castagnoli) of every byte before it
//
// The schemas are the program's ("", RegisterUpgrade) and those of the packages that
// number their own (RegisterPackageUpgrade); a package not listed is at schema 1.
//
// The checksum is a byte string of four bytes, big-endian, so it is always the document's
// last five bytes (0x44 and the sum): Load checks it before it decodes anything and
// refuses a mismatch (ErrChecksum); Options.SkipChecksum reads a corrupt file anyway, for
// tools.
//
// Older formats still load: format 2 has the program's schema alone (an integer) where
// format 3 has the schemas; format 1 is format 2 without the checksum (ten elements).
//
// A type entry is the registered name ("*name" when used through a pointer), its shape
// (the layout of its fields, e.g. "{Ch chan; Depth int; Level int}", or null for a
// registered error) and its resume point names. Shapes make a snapshot readable without the
// Go types (inspect, diff, upgrades) and let Load refuse a changed layout instead of
// misreading it. A struct is an array of its exported fields in order; an interface value
// is null or [type index, value]; a channel handle is its id; a pointer to a registered
// struct is null or the struct.
//
// The tasklet table holds the tasklets in restore order as parallel columns of small
// integers (one to three bytes an entry; an idle one-frame tasklet has entries in the ids
// and states columns only):
//
//	[ n,
//	  ids,       n signed deltas from the previous id
//	  depths,    (position delta, frame count) pairs for tasklets with more than one frame
//	  states,    n values: state code (1 paused, 2 runnable, 3 blocked, 4 sleeping) | flags<<3,
//	             flags: 1 started, 2 atomic, 4 block trap, 8 pending interrupt, 16 not ok,
//	             32 iterating, 64 has a value, 128 has an error, 256 sending, 512 deadline
//	  frames,    one per frame, bottom first: pc*len(frame groups) + group
//	  channels,  per blocked tasklet: channel id delta
//	  wakes,     per sleeping tasklet or receive with a deadline: wake tick - tick
//	  values,    per tasklet with a value (tempval): [type index, value]
//	  errors,    per tasklet with a pending error: type index of the registered error
//	  timers ]   timer entries in wake order: tasklet position deltas
//
// Frames of one type are stored together and decoded by a codec compiled by Register (no
// reflection per value), into one slab per type: tasklets and their frames stay together
// in memory, as they were saved.
//
// # Versions and old saves
//
// A newer format is refused (ErrNewerFormat). A snapshot of an older schema (the
// program's, or a package's) is read in generic form (Raw), upgraded by the functions
// registered with RegisterUpgrade and RegisterPackageUpgrade, one schema at a time, and
// converted to the registered types by field name: every field of a type must be in the
// upgraded Raw, so an upgrade that matched nothing fails instead of loading zeros. Resume
// points are identified by their registered names: one renumbered is found, one removed
// is an error naming it. Keep a saved fixture of each frame type, as persist's own tests
// do in testdata.
//
// # Untrusted input
//
// Load checks everything before it builds anything: the checksum first (format 2 on),
// then the CBOR library checks the document is well-formed within the Options limits
// (nesting, array and map lengths) while the decoder checks every length against the
// bytes that remain before allocating, every id, count and reference against the others
// (tasklet and channel ids distinct and below the scheduler's counters, blocked tasklets
// on channels of the table, timer entries for waiting tasklets), and every type against
// the registry. Bad input gives a *LoadError that names what is wrong — "persist: load
// world.cbor: tasklet 812, frame 3: unknown type "npc.Wander" (register it with
// persist.Register, or add an upgrade from schema 1)" — and matches ErrChecksum,
// ErrUnknownType, ErrTruncated, ErrLimit and the other sentinels. Load never panics on
// bad bytes (FuzzLoad, FuzzLoadEdited).
//
// Memory: Load and Raw allocate at most 64 bytes per byte of input, plus 16 bytes per slot
// of the scheduler's channel table (the next channel id, at most MaxChannels), plus 64 KiB,
// whatever the input claims (TestLoadMemoryBound). Section values are decoded under the
// same limits, so a section's owner (the world) receives values no larger than that and
// checks only what its fields mean (ids, counts) before it allocates for them.
//
// The limits bound what is alive in a world (counts, lengths, bytes), never the value of
// an id a long-running world reaches. Save applies exactly the limits Load enforces and
// fails with an error matching ErrLimit instead of writing a document Load would refuse
// (TestSaveLoadSameLimits).
package persist
