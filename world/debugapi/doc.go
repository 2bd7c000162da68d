// Package debugapi serves read-only JSON views of a running world over HTTP, and reads
// them: the debug endpoint of `stackworld run --debug ADDR` that `viewer --attach ADDR`
// watches.
//
// The handler reads the world only between ticks, through the runtime's Do (see
// world/server), so serving it never changes what the world does. Pausing, stepping and pacing
// the world over HTTP needs Options.Control (`--debug-control`); without it the endpoint is
// read-only. The client treats every answer as untrusted: it reads at most MaxResponseBytes,
// and Decode checks every length, id and range before returning, so a bad or hostile server
// gets an error, never a panic or an unbounded allocation.
//
// Paths, under Prefix ("/debug/world/"):
//
//	GET  frame               Frame: the map's size, kinds, every entity (id, kind, x, y, outline), the HUD's figures,
//	                         what the next tick waits for (a LockStep zone at the barrier)
//	GET  entity?id=N         Entity: the inspector's lines for entity N (record, components, frames, channel, mailboxes),
//	                         its area of interest's radius and the entities in it
//	GET  tasklets?state=S&q=Q  Tasklets: the tasklet list filtered by outline S ("" all) and text Q
//	POST control?op=pause|resume|step&n=N  (with Options.Control only)
//	POST control?op=rate&r=R  R ticks per second, 0: as fast as possible (with Options.Control only)
//
// The text helpers (InspectEntity, TaskletLines, ListTasklets, FailureLines) are what the
// viewer's panels show for a world in the same process.
package debugapi
