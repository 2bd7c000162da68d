package model

import "github.com/stackworld/stackworld/world"

// Zoom limits, in screen pixels per world unit.
const (
	MinZoom = 1.0 / 64
	MaxZoom = 64.0
)

// Camera maps world units to screen pixels: a point p of the world is drawn at
// ((p.X-X)·Zoom, (p.Y-Y)·Zoom). The zero Camera is invalid (Zoom 0); use FitCamera.
type Camera struct {
	X, Y float64 // the world point at the screen's top-left corner
	Zoom float64 // screen pixels per world unit, in [MinZoom, MaxZoom]
}

// FitCamera returns the camera that shows a whole map of mapW×mapH units centred on a
// screen of screenW×screenH pixels.
func FitCamera(mapW, mapH int32, screenW, screenH int) Camera {
	mw, mh := float64(max(mapW, 1)), float64(max(mapH, 1))
	z := clampZoom(min(float64(screenW)/mw, float64(screenH)/mh))
	return Camera{
		X:    mw/2 - float64(screenW)/2/z,
		Y:    mh/2 - float64(screenH)/2/z,
		Zoom: z,
	}
}

func clampZoom(z float64) float64 { return min(max(z, MinZoom), MaxZoom) }

// ToScreen returns where the world point p is drawn.
func (c Camera) ToScreen(p world.Vec) (x, y float64) {
	return (float64(p.X) - c.X) * c.Zoom, (float64(p.Y) - c.Y) * c.Zoom
}

// ToWorld returns the world point drawn at screen pixel (x, y), in world units.
func (c Camera) ToWorld(x, y float64) (wx, wy float64) {
	return x/c.Zoom + c.X, y/c.Zoom + c.Y
}

// Pan moves the view by (dx, dy) screen pixels, as a drag does: the world moves with the
// cursor.
func (c Camera) Pan(dx, dy float64) Camera {
	c.X -= dx / c.Zoom
	c.Y -= dy / c.Zoom
	return c
}

// ZoomAt multiplies the zoom by factor (clamped to [MinZoom, MaxZoom]) keeping the world
// point under screen pixel (x, y) where it is: the view follows the cursor.
func (c Camera) ZoomAt(x, y, factor float64) Camera {
	wx, wy := c.ToWorld(x, y)
	c.Zoom = clampZoom(c.Zoom * factor)
	c.X, c.Y = wx-x/c.Zoom, wy-y/c.Zoom
	return c
}

// MarkerPixels is the side of an entity's square marker, in pixels, at this zoom: four
// world units, never smaller than 5 pixels (a 1-pixel outline around a 3-pixel fill) nor
// larger than 32.
func (c Camera) MarkerPixels() float64 { return min(max(4*c.Zoom, 5), 32) }
