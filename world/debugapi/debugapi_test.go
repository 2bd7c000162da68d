package debugapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/actors/actorstest"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// served runs the small scenario on a paused server behind the debug handler.
func served(t *testing.T, o Options) (*server.Server, *world.World, *Client) {
	t.Helper()
	w := smallWorld(t)
	srv := actorstest.PausedServer(t, w)
	hs := httptest.NewServer(NewHandler(srv, o))
	t.Cleanup(hs.Close)
	c, err := NewClient(hs.URL)
	require.NoError(t, err)
	return srv, w, c
}

func TestFrameRoundTrip(t *testing.T) {
	srv, _, c := served(t, Options{})
	ctx := context.Background()
	var want Frame
	require.NoError(t, srv.Do(ctx, func(w *world.World) { FillFrame(&want, w) }))
	want.Stopped = true
	f, err := c.Frame(ctx)
	require.NoError(t, err)
	require.Equal(t, &want, f)
	require.Equal(t, 288*EntityFields, len(f.Entities))
	require.False(t, f.Control)

	id := world.EntityID(f.Entities[0])
	e, err := c.Entity(ctx, id)
	require.NoError(t, err)
	var lines []string
	require.NoError(t, srv.Do(ctx, func(w *world.World) { lines = InspectEntity(w, world.EntityID(id)) }))
	require.Equal(t, lines, e.Lines)

	ts, err := c.Tasklets(ctx, "sleeping", "")
	require.NoError(t, err)
	require.Equal(t, f.Sleeping, ts.Matched)
	_, err = c.Tasklets(ctx, "dozing", "")
	require.ErrorContains(t, err, `state "dozing": want none, runnable`)

	err = c.Control(ctx, "pause", 0)
	require.ErrorContains(t, err, "403 Forbidden: debugapi: control is off: start the server with --debug-control")
}

func TestControl(t *testing.T) {
	srv, _, c := served(t, Options{Control: true})
	ctx := context.Background()
	require.NoError(t, c.Control(ctx, "step", 3))
	for {
		var now uint64
		require.NoError(t, srv.Do(ctx, func(w *world.World) { now = w.Now() }))
		if now == 3 {
			break
		}
		require.Less(t, now, uint64(3))
	}
	f, err := c.Frame(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(3), f.Tick)
	require.True(t, f.Control)
	require.ErrorContains(t, c.Control(ctx, "step", 0), "want n in [1, 10000]")
	require.ErrorContains(t, c.Control(ctx, "explode", 1), `op "explode": want pause, resume, step or rate`)

	require.NoError(t, c.SetRate(ctx, 7.5))
	waitBoundaries(t, srv, func() bool { return srv.Stats().Rate == 7.5 })
	f, err = c.Frame(ctx)
	require.NoError(t, err)
	require.Equal(t, 7.5, f.Rate)
	for _, bad := range []float64{-1, 2e6, math.NaN(), math.Inf(1)} {
		err := c.SetRate(ctx, bad)
		require.ErrorContains(t, err, "400 Bad Request: debugapi: rate: want r in [0, 1e+06] ticks per second (0: as fast as possible)", "rate %g", bad)
	}
	require.NoError(t, c.SetRate(ctx, 0))
	waitBoundaries(t, srv, func() bool { return srv.Stats().Rate == 0 })
}

// waitBoundaries waits for cond, one tick boundary of srv at a time (Do), for at most 100.
func waitBoundaries(t *testing.T, srv *server.Server, cond func() bool) {
	t.Helper()
	for range 100 {
		if cond() {
			return
		}
		require.NoError(t, srv.Do(context.Background(), func(*world.World) {}))
	}
	t.Fatal("the condition did not hold within 100 tick boundaries")
}

// TestEntityInterest: an entity's answer carries its area of interest and the entities in
// it, exactly as the world sees them.
func TestEntityInterest(t *testing.T) {
	srv, _, c := served(t, Options{})
	ctx := context.Background()
	srv.Step(3)
	waitBoundaries(t, srv, func() bool { return srv.Stats().Ticks == 3 })
	var watcher world.EntityID
	var radius int32
	var visible []world.EntityID
	require.NoError(t, srv.Do(ctx, func(w *world.World) { watcher, radius, visible = actorstest.Busiest(w) }))
	require.NotEmpty(t, visible)
	e, err := c.Entity(ctx, watcher)
	require.NoError(t, err)
	require.Equal(t, radius, e.Interest)
	require.Equal(t, visible, e.Neighbours)

	var blind world.EntityID
	require.NoError(t, srv.Do(ctx, func(w *world.World) {
		for _, e := range w.Entities() {
			if e.Interest == 0 {
				blind = e.ID
				break
			}
		}
	}))
	e, err = c.Entity(ctx, blind)
	require.NoError(t, err)
	require.Zero(t, e.Interest)
	require.Empty(t, e.Neighbours)
}

// TestHostileEntityAnswers: DecodeEntity refuses a bad area of interest with an error
// naming the entity.
func TestHostileEntityAnswers(t *testing.T) {
	for body, want := range map[string]string{
		`{"id":5,"lines":[],"interest":-1}`:                    "debugapi: entity 5: interest radius -1 is negative",
		`{"id":5,"lines":[],"interest":9,"neighbours":[0]}`:    "debugapi: entity 5: neighbour 0: id 0 not above the one before (0)",
		`{"id":5,"lines":[],"interest":9,"neighbours":[3,2]}`:  "debugapi: entity 5: neighbour 1: id 2 not above the one before (3)",
		`{"id":5,"lines":[],"interest":9,"neighbours":[3,3]}`:  "debugapi: entity 5: neighbour 1: id 3 not above the one before (3)",
		`{"id":5,"lines":[],"interest":9,"neighbours":[4,5]}`:  "debugapi: entity 5: neighbour 1: the entity itself",
		`{"id":5,"lines":[],"interest":9,"neighbours":[-4]}`:   "debugapi: decode: json: cannot unmarshal",
		`{"id":5,"lines":[],"interest":9,"neighbours":"many"}`: "debugapi: decode: json: cannot unmarshal",
	} {
		e, err := DecodeEntity(strings.NewReader(body))
		require.Nil(t, e, body)
		require.ErrorContains(t, err, want, body)
	}
	e, err := DecodeEntity(strings.NewReader(`{"id":5,"lines":["entity 5"],"interest":9,"neighbours":[2,7,1099511627776]}`))
	require.NoError(t, err)
	require.Equal(t, &Entity{ID: 5, Lines: []string{"entity 5"}, Interest: 9, Neighbours: []world.EntityID{2, 7, 1 << 40}}, e)
}

// TestHostileAnswers: whatever a server answers, the client returns an error or a checked
// value, never panics, and reads at most MaxBytes.
func TestHostileAnswers(t *testing.T) {
	for name, body := range map[string]string{
		"not json":     "<html>",
		"wrong shape":  `{"width": "wide"}`,
		"zero map":     `{"width":0,"height":10,"cell":1}`,
		"ragged":       `{"width":10,"height":10,"cell":1,"kinds":["a"],"entities":[1,0,1,1]}`,
		"outside":      `{"width":10,"height":10,"cell":1,"kinds":["a"],"entities":[1,0,10,1,0]}`,
		"bad kind":     `{"width":10,"height":10,"cell":1,"kinds":["a"],"entities":[1,1,1,1,0]}`,
		"bad outline":  `{"width":10,"height":10,"cell":1,"kinds":["a"],"entities":[1,0,1,1,9]}`,
		"zero id":      `{"width":10,"height":10,"cell":1,"kinds":["a"],"entities":[0,0,1,1,0]}`,
		"negative x":   `{"width":10,"height":10,"cell":1,"kinds":["a"],"entities":[1,0,-1,1,0]}`,
		"huge":         `{"width":10,"height":10,"cell":1,"kinds":["` + strings.Repeat("a", 5000) + `"]}`,
		"bad dilation": `{"width":10,"height":10,"cell":1,"dilation":2}`,
		"negative":     `{"width":10,"height":10,"cell":1,"blocked":-1}`,
	} {
		t.Run(name, func(t *testing.T) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }))
			defer hs.Close()
			c, err := NewClient(hs.URL)
			require.NoError(t, err)
			c.MaxBytes = 4096
			f, err := c.Frame(context.Background())
			require.Error(t, err)
			require.Nil(t, f)
		})
	}
	_, err := NewClient("ftp://x")
	require.ErrorContains(t, err, `debugapi: address "ftp://x": want host:port`)
}

// FuzzDecodeFrame: DecodeFrame never panics; what it accepts re-encodes to a frame it
// accepts again, equal to the first.
func FuzzDecodeFrame(f *testing.F) {
	w := smallWorld(f)
	var fr Frame
	FillFrame(&fr, w)
	data, err := json.Marshal(&fr)
	require.NoError(f, err)
	f.Add(data)
	f.Add([]byte(`{"width":10,"height":10,"cell":1,"kinds":["a"],"entities":[1,0,1,1,0]}`))
	f.Add([]byte(`{"width":10,"height":10,"cell":1,"entities":[1,0,1,1,0,2,0,3,3,2]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeFrame(bytes.NewReader(data))
		if err != nil {
			return
		}
		again, err := json.Marshal(fr)
		require.NoError(t, err)
		fr2, err := DecodeFrame(bytes.NewReader(again))
		require.NoError(t, err)
		require.Equal(t, fr, fr2)
	})
}

// TestZoneEntityIDs: the ids of a zone's entities carry the zone in their high bits; the
// endpoint and the client keep all 64 bits, also for a zone of 32768 or more, whose ids
// set the top bit (they were negative in a frame's numbers, and the client refused them).
func TestZoneEntityIDs(t *testing.T) {
	w, err := world.New(world.Config{Seed: 1, Width: 64, Height: 64, Zone: 40000})
	require.NoError(t, err)
	t.Cleanup(w.Close)
	id := w.NewEntity(w.Kind("sheep"), world.Vec{X: 10, Y: 20})
	require.Equal(t, uint64(40000)<<48|1, uint64(id), "the zone is in the high bits")
	srv := actorstest.PausedServer(t, w)
	hs := httptest.NewServer(NewHandler(srv, Options{}))
	t.Cleanup(hs.Close)
	c, err := NewClient(hs.URL)
	require.NoError(t, err)
	ctx := context.Background()
	f, err := c.Frame(ctx)
	require.NoError(t, err)
	require.Equal(t, []uint64{uint64(id), 0, 10, 20, uint64(OutlineNone)}, f.Entities)
	e, err := c.Entity(ctx, id)
	require.NoError(t, err)
	require.Equal(t, id, e.ID)
	require.Equal(t, fmt.Sprintf("entity %d  sheep  at (10, 20)  vel (0, 0)", id), e.Lines[0])

	_, err = DecodeEntity(strings.NewReader(`{"id":0,"lines":[]}`))
	require.EqualError(t, err, "debugapi: entity 0: id 0 (ids start at 1)")
}
