package model

import (
	"image/color"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// Outline is the state of the tasklet that drives an entity, drawn as the entity's outline.
type Outline uint8

// The outlines, one per tasklet state an entity can show.
const (
	OutlineNone     Outline = iota // the entity has no tasklet
	OutlineRunnable                // in the runnable ring (or the current tasklet)
	OutlineBlocked                 // waiting on a channel (a mailbox, a reply)
	OutlineSleeping                // parked until a later tick
	OutlinePaused                  // alive in no queue (removed, or a watchdog)
	OutlineFailed                  // its tasklet ended while the entity lives (a failure)
	NumOutlines                    // the number of outlines
)

var outlineNames = [NumOutlines]string{"none", "runnable", "blocked", "sleeping", "paused", "failed"}

// String returns the outline's name ("blocked", ...).
func (o Outline) String() string {
	if o < NumOutlines {
		return outlineNames[o]
	}
	return "outline?"
}

// ParseOutline returns the outline called name, as String writes it.
func ParseOutline(name string) (Outline, bool) {
	for i, n := range outlineNames {
		if n == name {
			return Outline(i), true
		}
	}
	return 0, false
}

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

// OutlineOf returns the outline of an entity driven by t (nil: none). A dead tasklet on a
// live entity is a failure: the world keeps an entity's tasklet until the entity despawns
// or another is attached.
func OutlineOf(t *sim.Tasklet) Outline {
	if t == nil {
		return OutlineNone
	}
	switch t.State() {
	case sim.StateRunnable:
		return OutlineRunnable
	case sim.StateBlocked:
		return OutlineBlocked
	case sim.StateSleeping:
		return OutlineSleeping
	case sim.StatePaused, sim.StateWatching:
		return OutlinePaused
	case sim.StateDead:
		return OutlineFailed
	}
	return OutlineNone
}
