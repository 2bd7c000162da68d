package main

import (
	"context"
	"sync"
	"time"

	"github.com/stackworld/stackworld/cmd/viewer/model"
	"github.com/stackworld/stackworld/world/debugapi"
)

// Polling of an attached server: as often as answers come, at most every pollEvery; after
// a failure, again after a wait that doubles from retryMin to retryMax.
const (
	pollEvery = 30 * time.Millisecond
	retryMin  = 250 * time.Millisecond
	retryMax  = 4 * time.Second
)

// remoteSource watches a server's debug endpoint (--attach) from a goroutine of its own;
// the frame reads what it last got. A dropped server shows "disconnected" and is polled
// again until it answers.
type remoteSource struct {
	c    *debugapi.Client
	addr string

	mu       sync.Mutex
	frame    *debugapi.Frame
	online   bool
	err      error
	control  bool
	selected uint32
	lines    []string
	list     listQuery // the tasklet list wanted (open false: none)
	rows     *debugapi.Tasklets
	shown    *debugapi.Frame // the frame the screen shows (fill's, under mu)
	done     chan struct{}
	polled   chan struct{} // signalled after each poll (cap 1): tests wait on it
}

func newRemoteSource(ctx context.Context, addr string) (*remoteSource, error) {
	c, err := debugapi.NewClient(addr)
	if err != nil {
		return nil, err
	}
	r := &remoteSource{c: c, addr: addr, done: make(chan struct{}), polled: make(chan struct{}, 1)}
	go r.poll(ctx)
	return r, nil
}

// poll fetches frames (and the selected entity's inspector) until ctx ends.
func (r *remoteSource) poll(ctx context.Context) {
	defer close(r.done)
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		f, err := r.c.Frame(ctx)
		var lines []string
		r.mu.Lock()
		sel := r.selected
		r.mu.Unlock()
		if err == nil && sel != 0 {
			var e *debugapi.Entity
			if e, err = r.c.Entity(ctx, sel); err == nil {
				lines = e.Lines
			}
		}
		r.mu.Lock()
		lq := r.list
		r.mu.Unlock()
		var rows *debugapi.Tasklets
		if err == nil && lq.open {
			rows, err = r.c.Tasklets(ctx, lq.state, lq.search)
		}
		r.mu.Lock()
		r.online, r.err = err == nil, err
		if err == nil {
			r.frame, r.control, r.lines, r.rows = f, f.Control, lines, rows
			wait = pollEvery
		} else {
			wait = min(max(wait*2, retryMin), retryMax)
		}
		r.mu.Unlock()
		select {
		case r.polled <- struct{}{}:
		default:
		}
	}
}

// fill copies the last answers into the game's frame and panels.
func (r *remoteSource) fill(g *game) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.selected = uint32(g.input.selected)
	r.list = listQuery{open: g.panel == panelList, search: g.listSearch}
	if !g.listAll {
		r.list.state = g.listState.String()
	}
	if r.rows != nil && g.panel == panelList {
		g.list, g.listCount = append(g.list[:0], r.rows.Rows...), r.rows.Matched
	}
	g.hud.Attached, g.hud.Online = r.addr, r.online
	g.hud.Message = ""
	if r.err != nil {
		g.hud.Message = r.err.Error()
	}
	if r.frame == nil {
		return
	}
	if r.frame != r.shown {
		r.shown, g.dirty = r.frame, true
		g.frame.FromDebug(r.frame)
	}
	g.hud.Status = model.Status{Paused: r.frame.Stopped, Rate: r.frame.Rate}
	g.hl.Selected = g.input.selected
	g.inspect = append(g.inspect[:0], r.lines...)
	if g.panel == panelFailures {
		g.failLines = debugapi.FailureLines(g.frame.Failures)
	}
}

// listQuery is the tasklet list the viewer shows.
type listQuery struct {
	open          bool
	state, search string
}

// The controls, when the server allows them: asynchronous, so that a slow server never
// holds a frame.
func (r *remoteSource) send(op string, n uint64) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), debugapi.DefaultTimeout)
		defer cancel()
		if err := r.c.Control(ctx, op, n); err != nil {
			r.mu.Lock()
			r.err = err
			r.mu.Unlock()
		}
	}()
}

// allowed reports whether the server takes control requests.
func (r *remoteSource) allowed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.control
}

func (r *remoteSource) Pause()          { r.send("pause", 0) }
func (r *remoteSource) Resume()         { r.send("resume", 0) }
func (r *remoteSource) Step(n int)      { r.send("step", uint64(max(n, 1))) }
func (r *remoteSource) SetRate(float64) {}
func (r *remoteSource) Status() model.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.frame == nil {
		return model.Status{}
	}
	return model.Status{Paused: r.frame.Stopped, Rate: r.frame.Rate}
}
