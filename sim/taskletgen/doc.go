// Package taskletgen turns plain Go functions marked //stackworld:tasklet into restorable
// soft frames: one source, two kinds of tasklet.
//
// A marked function is ordinary Go written against the hard-tasklet API. Its first
// parameter is the tasklet (h *sim.Tasklet); it blocks with sim.Receive, sim.Send,
// sim.SendError, sim.Next, `for v := range sim.Values(h, ch, &err)` and any Await's Wait
// (h.Sleep(n).Wait(), h.Schedule().Wait(), ch.RecvFor(h, n).Wait(), other.Kill(h).Wait(),
// ...), and calls other marked functions of its package. It runs as a hard tasklet as it
// is written:
//
//	//stackworld:tasklet
//	func recurs(h *sim.Tasklet, ch sim.Chan[string], depth, level int) {
//		fmt.Printf("enter level %s%d\n", strings.Repeat("  ", level), level)
//		if level >= depth {
//			sim.Send(h, ch, "hi")
//		}
//		if level < depth {
//			recurs(h, ch, depth, level+1)
//		}
//		fmt.Printf("leave level %s%d\n", strings.Repeat("  ", level), level)
//	}
//
// Generate writes, beside the file, a frame type with the same behaviour (RecursFrame):
// the parameters and the locals that live across a suspension are its exported fields,
// each suspension is a resume point named after its call and its occurrence in the
// function ("Send#1", "recurs#1"), calls to marked functions are t.Call, and its init
// registers it with persist under "<package>.<function>". An error from an operation
// reaches the source's `if err != nil` exactly as in the hard version: the frame's Catch
// stashes it and resumes the same code (sim.Tasklet.StashError and ResumeErr). The
// generated code carries //line directives, so panics, stack traces and compile errors
// point at the marked function's lines.
//
// What cannot be translated faithfully is refused with `file:line: what and why`: go
// statements, select and Go channel operations, goto, defer and recover in a function that
// suspends, closures that capture a local living across a suspension (or declared in a
// loop that suspends), a suspension inside an expression, a suspending loop over a map or
// a function iterator other than sim.Values, and fields of types persist cannot save
// (funcs, Go channels, raw pointers to sim objects, ...). Suspensions may sit anywhere
// in if, for, range (over ints, slices, arrays, strings and sim.Values), switch and type
// switch statements, with labeled break and continue.
//
// A marked function may have type parameters: its frame type has them too (ask[Q, R any]
// gives Ask[Q, R]), the generator registers no instantiation (register each one you use,
// with persist.Register, as for a hand-written generic frame), and a call of it passes the
// call's type arguments (t.Call(&Ask[PriceQuery, Quote]{...})). Named results are frame
// fields of their own names (reply, ok: Reply, OK), after the other fields; unnamed ones
// are R0, R1, ...; a trailing error is never a field.
//
// Resume point names do not depend on line numbers, so edits that leave a suspension
// alone keep its name; persist maps saved resume points to the program's by name when it
// loads, and refuses a save whose resume point no longer exists, naming it.
//
// Names can be pinned, so that a hand-written frame's saves keep loading when it is
// rewritten as a marked function (or the function is renamed): settings on the marker
// line name the frame type and its registered name, and a //stackworld:resume comment at
// the end of a suspension's line (or on the line above) names its resume point:
//
//	//stackworld:tasklet frame=Trader name=actors.Trader
//	func trader(h *sim.Tasklet, self world.EntityID, failOneIn uint32) error {
//		...
//		if err := inbox.Wait(h).Wait(); err != nil { //stackworld:resume take
//
// With the fields in the old order (parameters, then the locals that live across a
// suspension, in declaration order), old saves load without an upgrade.
//
// Packages that the stackworld command imports generate with
// `go run github.com/stackworld/stackworld/sim/taskletgen/cmd/taskletgen`, which builds
// while their frames are stale.
//
// Generation is deterministic: the same sources give the same bytes, which Check compares
// with the files on disk (`stackworld gen -check` in CI).
package taskletgen
