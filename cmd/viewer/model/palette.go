package model

import (
	"image/color"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/debugapi"
)

// Outline is the state of the tasklet that drives an entity, drawn as the entity's outline
// (see debugapi.Outline).
type Outline = debugapi.Outline

// The outlines, as package debugapi defines them.
const (
	OutlineNone     = debugapi.OutlineNone
	OutlineRunnable = debugapi.OutlineRunnable
	OutlineBlocked  = debugapi.OutlineBlocked
	OutlineSleeping = debugapi.OutlineSleeping
	OutlinePaused   = debugapi.OutlinePaused
	OutlineFailed   = debugapi.OutlineFailed
	NumOutlines     = debugapi.NumOutlines
)

// outlineColors are the outline colours, by Outline.
var outlineColors = [NumOutlines]color.RGBA{
	OutlineNone:     {0x40, 0x40, 0x40, 0xff},
	OutlineRunnable: {0x30, 0xe0, 0x30, 0xff},
	OutlineBlocked:  {0xff, 0x30, 0x30, 0xff},
	OutlineSleeping: {0x20, 0x28, 0x40, 0xff},
	OutlinePaused:   {0xff, 0xd0, 0x00, 0xff},
	OutlineFailed:   {0xff, 0x00, 0xff, 0xff},
}

// OutlineColor returns the colour of outline o (OutlineNone's for an unknown one).
func OutlineColor(o Outline) color.RGBA {
	if o >= NumOutlines {
		o = OutlineNone
	}
	return outlineColors[o]
}

// kindColors are the fill colours of kinds 0, 1, ...; kinds beyond wrap around.
var kindColors = [...]color.RGBA{
	{0xe8, 0xe8, 0xd8, 0xff}, // cream
	{0xd0, 0x90, 0x40, 0xff}, // tan
	{0x90, 0x98, 0xb0, 0xff}, // slate
	{0x40, 0x80, 0xf0, 0xff}, // blue
	{0x30, 0xc0, 0xb0, 0xff}, // teal
	{0xb0, 0x70, 0xf0, 0xff}, // violet
	{0xa0, 0xd0, 0x40, 0xff}, // lime
	{0xf0, 0x80, 0xa0, 0xff}, // pink
	{0x70, 0x50, 0x30, 0xff}, // brown
	{0x60, 0xb0, 0xf0, 0xff}, // sky
	{0xc0, 0xc0, 0x40, 0xff}, // olive
	{0xf0, 0xb0, 0x70, 0xff}, // peach
}

// NumKindColors is the number of distinct kind colours; kind k gets colour k mod
// NumKindColors.
const NumKindColors = len(kindColors)

// KindColor returns the fill colour of kind k.
func KindColor(k world.Kind) color.RGBA { return kindColors[int(k)%NumKindColors] }

// OutlineOf returns the outline of an entity driven by t (debugapi.OutlineOf).
func OutlineOf(t *sim.Tasklet) Outline { return debugapi.OutlineOf(t) }

// ParseOutline returns the outline called name (debugapi.ParseOutline).
func ParseOutline(name string) (Outline, bool) { return debugapi.ParseOutline(name) }
