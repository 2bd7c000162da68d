package debugapi

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// fakeRuntime runs views on the calling goroutine and records the controls it is given.
type fakeRuntime struct {
	w      *world.World
	steps  []uint64
	rates  []float64
	paused bool
}

func (f *fakeRuntime) Do(_ context.Context, fn func(*world.World)) error { fn(f.w); return nil }
func (f *fakeRuntime) Pause()                                            { f.paused = true }
func (f *fakeRuntime) Resume()                                           { f.paused = false }
func (f *fakeRuntime) Step(n uint64)                                     { f.steps = append(f.steps, n) }
func (f *fakeRuntime) Stats() server.Stats                               { return server.Stats{} }

// SetRate accepts what server.Server.SetRate accepts.
func (f *fakeRuntime) SetRate(r float64) error {
	if math.IsNaN(r) || r < 0 || r > server.MaxRate {
		return errBadRate
	}
	f.rates = append(f.rates, r)
	return nil
}

var errBadRate = errors.New("rate out of range")

// fuzzPaths are the endpoint's routes, by the fuzzer's first byte.
var fuzzPaths = []struct{ method, path string }{
	{"GET", Prefix + "frame"}, {"GET", Prefix + "entity"}, {"GET", Prefix + "tasklets"},
	{"POST", Prefix + "control"}, {"GET", Prefix + "control"}, {"POST", Prefix + "frame"},
}

// FuzzHandler sends the debug endpoint requests with a client's query strings: every
// answer is a JSON view (200), no content (204) or an error status with a message, and a
// control passes on only steps in [1, MaxStep] and rates the server accepts.
func FuzzHandler(f *testing.F) {
	w := smallWorld(f)
	for range 3 {
		if err := w.Tick(); err != nil {
			f.Fatal(err)
		}
	}
	rt := &fakeRuntime{w: w}
	h := NewHandler(rt, Options{Control: true})
	for _, s := range []struct {
		route byte
		query string
	}{{0, ""}, {1, "id=3"}, {1, "id=18446744073709551615"}, {2, "state=blocked&q=wolf"}, {2, "q=%ff%fe"},
		{3, "op=step&n=5"}, {3, "op=rate&r=20"}, {3, "op=rate&r=NaN"}, {3, "op=pause"}, {4, "op=resume"}} {
		f.Add(s.route, s.query)
	}
	f.Fuzz(func(t *testing.T, route byte, query string) {
		p := fuzzPaths[int(route)%len(fuzzPaths)]
		req := httptest.NewRequest(p.method, "http://x/", nil)
		req.URL.Path, req.URL.RawQuery = p.path, query
		rec := httptest.NewRecorder()
		rt.steps, rt.rates = rt.steps[:0], rt.rates[:0]
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %s?%s: 200 with a body that is not JSON", p.method, p.path, query)
			}
		case http.StatusNoContent, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed:
		default:
			t.Fatalf("%s %s?%s: status %d", p.method, p.path, query, rec.Code)
		}
		for _, n := range rt.steps {
			if n < 1 || n > MaxStep {
				t.Fatalf("?%s: step %d passed on", query, n)
			}
		}
	})
}
