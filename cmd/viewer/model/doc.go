// Package model decides what the Stackworld viewer draws, and where, without Ebitengine:
// the camera (pan and zoom), the colours of entities (fill by kind, outline by the state of
// the tasklet that drives them), the HUD's and the inspector's text, the tasklet list, the
// rewind timeline (snapshots in bounded memory, the input log, verification by checksum)
// and the diff of two snapshots. Package main of cmd/viewer turns it into pixels.
//
// Everything here is tested exactly without a display. The model reads a world only
// through its read-only views (world.World.Entities, Tasklets, Channels, Failures, ...),
// between ticks, as Driver.View arranges; it never changes what a world does.
package model
