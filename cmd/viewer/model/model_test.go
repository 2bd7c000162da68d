package model

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/actors/actorstest"
	"github.com/stackworld/stackworld/world"
)

// quiet and smallWorld are the shared fixtures (package actorstest).
var (
	quiet      = actorstest.Quiet
	smallWorld = actorstest.Small
)

func TestCameraFitPanZoom(t *testing.T) {
	c := FitCamera(4096, 4096, 1024, 768)
	require.Equal(t, 0.1875, c.Zoom)
	x, y := c.ToScreen(world.Vec{X: 2048, Y: 2048})
	require.Equal(t, [2]float64{512, 384}, [2]float64{x, y}, "the map's centre is the screen's")
	x, y = c.ToScreen(world.Vec{})
	require.InDelta(t, 128, x, 1e-9)
	require.Equal(t, 0.0, y)

	p := c.Pan(10, -20)
	x, y = p.ToScreen(world.Vec{})
	require.InDelta(t, 138, x, 1e-9, "the world moves with the drag")
	require.InDelta(t, -20, y, 1e-9)

	z := c.ZoomAt(300, 200, 2)
	require.Equal(t, 0.375, z.Zoom)
	wx, wy := c.ToWorld(300, 200)
	zx, zy := z.ToWorld(300, 200)
	require.InDelta(t, wx, zx, 1e-9, "the point under the cursor stays")
	require.InDelta(t, wy, zy, 1e-9)
	require.Equal(t, MaxZoom, c.ZoomAt(0, 0, 1e9).Zoom)
	require.Equal(t, MinZoom, c.ZoomAt(0, 0, 1e-9).Zoom)
	require.Equal(t, 5.0, c.MarkerPixels())
	require.Equal(t, 8.0, Camera{Zoom: 2}.MarkerPixels())
	require.Equal(t, 32.0, Camera{Zoom: 64}.MarkerPixels())
}

func TestOutlineNames(t *testing.T) {
	for o := range NumOutlines {
		p, ok := ParseOutline(o.String())
		require.True(t, ok)
		require.Equal(t, o, p)
	}
	require.Equal(t, "outline?", Outline(99).String())
	require.Equal(t, OutlineColor(OutlineNone), OutlineColor(99))
	require.Equal(t, KindColor(0), KindColor(world.Kind(NumKindColors)))
}

func TestCaptureMarkers(t *testing.T) {
	w := smallWorld(t)
	for range 3 {
		require.NoError(t, w.Tick())
	}
	var f Frame
	f.Capture(w)
	require.Equal(t, uint64(3), f.Tick)
	require.Equal(t, w.Len(), len(f.Markers))
	require.Equal(t, int32(512), f.Width)
	require.Equal(t, w.Kinds(), f.Kinds)
	counts := map[Outline]int{}
	for i, m := range f.Markers {
		e := w.Entities()[i]
		require.Equal(t, Marker{ID: e.ID, Pos: e.Pos, Kind: e.Kind, Outline: OutlineOf(w.TaskletOf(e.ID))}, m)
		counts[m.Outline]++
	}
	st := w.Stats().Tasklets
	require.Positive(t, counts[OutlineSleeping])
	require.LessOrEqual(t, counts[OutlineSleeping], st.Sleeping, "a spawner sleeps too, driving no entity")
	require.NotZero(t, counts[OutlineBlocked], "traders wait on their mailboxes")

	m := f.Markers[7]
	c := FitCamera(f.Width, f.Height, 1024, 768)
	x, y := c.ToScreen(m.Pos)
	got := f.Pick(c, x+1, y-1)
	gm, ok := f.Find(got)
	require.True(t, ok)
	gx, gy := c.ToScreen(gm.Pos)
	require.LessOrEqual(t, (gx-x-1)*(gx-x-1)+(gy-y+1)*(gy-y+1), 2.0, "the nearest marker to the click")
	require.Equal(t, world.EntityID(0), f.Pick(c, -100, -100))
}

func TestHUDLines(t *testing.T) {
	f := &Frame{Stats: world.Stats{Tick: 42, Entities: 7, Dilation: 0.5, Preempted: 3, Failures: 2}}
	f.Stats.Tasklets.Runnable, f.Stats.Tasklets.Blocked, f.Stats.Tasklets.Sleeping = 2, 3, 4
	for i := range 4 {
		f.Timings = append(f.Timings, world.TickTiming{Wall: time.Duration(i+1) * time.Millisecond})
	}
	lines := HUDLines(f, HUD{Status: Status{Paused: true, Rate: 20}, FPS: 59.94, Saved: "a.cbor", Rewind: "rewound"})
	require.Equal(t, []string{
		"tick 42  PAUSED  rate 20/s  entities 7  fps 59.9",
		"tasklets run 1 blk 3 slp 4 paused 0",
		"ms/tick p50 3.00 p99 4.00  dilation 0.50  preempted 3  failures 2",
		"saved a.cbor",
		"rewound",
	}, lines)
	lines = HUDLines(f, HUD{Attached: "127.0.0.1:1", Online: false})
	require.Equal(t, "attached to 127.0.0.1:1: DISCONNECTED (reconnecting)", lines[3])
	lines = HUDLines(f, HUD{Attached: "127.0.0.1:1", Online: true, Waiting: "waiting for z1 at tick 41"})
	require.Equal(t, "attached to 127.0.0.1:1: connected, the next tick waits: waiting for z1 at tick 41", lines[3])
	lines = HUDLines(f, HUD{Attached: "127.0.0.1:1", Online: false, Waiting: "waiting for z1 at tick 41"})
	require.Equal(t, "attached to 127.0.0.1:1: DISCONNECTED (reconnecting)", lines[3], "a lost server's last wait is not news")
	bars, top := GraphBars(f.Timings, 40, 2)
	require.Equal(t, []int{10, 20, 30, 40}, bars)
	require.Equal(t, 4.0, top)
}

func TestScrubber(t *testing.T) {
	require.Equal(t, uint64(100), ScrubTick(10, 10, 200, 100, 300))
	require.Equal(t, uint64(300), ScrubTick(210, 10, 200, 100, 300))
	require.Equal(t, uint64(200), ScrubTick(110, 10, 200, 100, 300))
	require.Equal(t, uint64(100), ScrubTick(-50, 10, 200, 100, 300))
	require.Equal(t, uint64(7), ScrubTick(50, 10, 200, 7, 7))
	for tick := uint64(100); tick <= 300; tick += 7 {
		require.Equal(t, tick, ScrubTick(ScrubX(tick, 100, 300, 10, 200), 10, 200, 100, 300))
	}
}

func TestCompare(t *testing.T) {
	a := smallWorld(t)
	for range 3 {
		require.NoError(t, a.Tick())
	}
	data, err := a.Save(world.DefaultCodec())
	require.NoError(t, err)
	b, err := world.Load(world.DefaultCodec(), data, quiet())
	require.NoError(t, err)
	defer b.Close()
	d := Compare(a, b)
	require.Equal(t, []string{"diff tick 3 -> tick 3: 0 entities and 0 tasklets differ"}, d.Lines(), "a world and its loaded copy")

	moved := b.Entities()[4].ID
	p := b.Pos(moved)
	b.SetPos(moved, world.Vec{X: p.X + 1, Y: p.Y})
	gone := b.Entities()[9].ID
	goneTask := b.TaskletOf(gone).ID()
	b.Despawn(gone)
	d = Compare(a, b)
	require.Equal(t, []Change{
		{Entity: moved, What: "changed", Fields: []string{fmt.Sprintf("pos: %v -> %v", p, world.Vec{X: p.X + 1, Y: p.Y})}},
		{Entity: gone, What: "removed"},
	}, d.Entities)
	require.Len(t, d.Tasklets, 1, "the despawned entity's tasklet was killed (pending)")
	require.Equal(t, goneTask, d.Tasklets[0].Tasklet)
	require.Equal(t, []world.EntityID{moved}, d.Differ()[:1])

	require.NoError(t, a.Tick())
	require.NoError(t, b.Tick())
	d = Compare(a, b)
	require.NotEmpty(t, d.Tasklets)
	for _, c := range d.Tasklets {
		if c.What == "changed" {
			require.NotEmpty(t, c.Fields)
		}
	}
}

func TestHighlight(t *testing.T) {
	w := smallWorld(t)
	require.NoError(t, w.Tick())
	var wolf world.EntityID
	for _, e := range w.Entities() {
		if w.KindName(e.Kind) == "wolf" {
			wolf = e.ID
			break
		}
	}
	var hl Highlight
	hl.Select(w, wolf)
	require.Equal(t, wolf, hl.Selected)
	require.Equal(t, w.Entity(wolf).Interest, hl.Interest)
	require.Positive(t, hl.Interest)
	require.Equal(t, w.Visible(wolf), hl.Neighbours)
}
