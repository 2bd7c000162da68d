package main

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/stackworld/stackworld/cmd/viewer/model"
	"github.com/stackworld/stackworld/world"
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
	err      error // the last poll's
	ctlErr   error // the last control request's
	control  bool
	selected world.EntityID
	entity   *debugapi.Entity // the selected entity's answer (nil: none)
	list     listQuery        // the tasklet list wanted (open false: none)
	rows     *debugapi.Tasklets
	shown    *debugapi.Frame     // the frame the screen shows (fill's, under mu)
	done     chan struct{}       // closed when the poller and the controller have stopped
	ctl      chan controlRequest // queued control requests (see queue)
	polled   chan struct{}       // signalled after each poll (cap 1): tests wait on it
}

func newRemoteSource(ctx context.Context, addr string) (*remoteSource, error) {
	c, err := debugapi.NewClient(addr)
	if err != nil {
		return nil, err
	}
	r := &remoteSource{c: c, addr: addr, done: make(chan struct{}), polled: make(chan struct{}, 1),
		ctl: make(chan controlRequest, maxQueuedControls)}
	var wg sync.WaitGroup
	wg.Go(func() { r.poll(ctx) })
	wg.Go(func() { r.controller(ctx) })
	go func() { wg.Wait(); close(r.done) }()
	return r, nil
}

// poll fetches frames (and the selected entity's inspector) until ctx ends.
func (r *remoteSource) poll(ctx context.Context) {
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		f, err := r.c.Frame(ctx)
		var e *debugapi.Entity
		r.mu.Lock()
		sel := r.selected
		r.mu.Unlock()
		if err == nil && sel != 0 {
			e, err = r.c.Entity(ctx, sel)
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
			r.frame, r.control, r.entity, r.rows = f, f.Control, e, rows
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
	r.selected = g.input.selected
	r.list = listQuery{open: g.panel == panelList, search: g.listSearch}
	if !g.listAll {
		r.list.state = g.listState.String()
	}
	if r.rows != nil && g.panel == panelList {
		g.list, g.listCount = append(g.list[:0], r.rows.Rows...), r.rows.Matched
	}
	g.hud.Attached, g.hud.Online = r.addr, r.online
	g.hud.Message = ""
	if err := cmp.Or(r.err, r.ctlErr); err != nil {
		g.hud.Message = err.Error()
	}
	if r.frame == nil {
		return
	}
	if r.frame != r.shown {
		r.shown, g.dirty = r.frame, true
		g.frame.FromDebug(r.frame)
	}
	g.hud.Status = model.Status{Paused: r.frame.Stopped, Rate: r.frame.Rate}
	g.hud.Waiting = r.frame.Waiting
	r.highlight(&g.hl, g.input.selected)
	g.inspect = g.inspect[:0]
	if r.entity != nil && r.entity.ID == g.input.selected {
		g.inspect = append(g.inspect, r.entity.Lines...)
	}
	if g.panel == panelFailures {
		g.failLines = debugapi.FailureLines(g.frame.Failures)
	}
}

// highlight marks the selected entity and, once the server has answered for it, its area
// of interest and the entities in it (r.mu held).
func (r *remoteSource) highlight(hl *model.Highlight, selected world.EntityID) {
	hl.Selected, hl.Interest, hl.Neighbours = selected, 0, hl.Neighbours[:0]
	if e := r.entity; e != nil && e.ID == selected {
		hl.Interest = e.Interest
		hl.Neighbours = append(hl.Neighbours, e.Neighbours...)
	}
}

// listQuery is the tasklet list the viewer shows.
type listQuery struct {
	open          bool
	state, search string
}

// maxQueuedControls bounds the control requests waiting to be sent; past it a key press
// is dropped and the HUD says so.
const maxQueuedControls = 16

// A control request (pause, resume, step, rate), sent by the controller goroutine.
type controlRequest func(ctx context.Context, c *debugapi.Client) error

// queue hands a control request to the controller goroutine, which sends the requests
// one at a time in the order given, so that a slow server never holds a frame and two key
// presses reach it in the order pressed.
func (r *remoteSource) queue(req controlRequest) {
	select {
	case r.ctl <- req:
	default:
		r.report(fmt.Errorf("viewer: %d control requests wait for the server: this one is dropped", maxQueuedControls))
	}
}

// controller sends the queued control requests until ctx ends.
func (r *remoteSource) controller(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case req := <-r.ctl:
			rctx, cancel := context.WithTimeout(ctx, debugapi.DefaultTimeout)
			r.report(req(rctx, r.c))
			cancel()
		}
	}
}

// report keeps a control request's outcome: its error shows in the HUD until a later
// request succeeds.
func (r *remoteSource) report(err error) {
	r.mu.Lock()
	r.ctlErr = err
	r.mu.Unlock()
}

// allowed reports whether the server takes control requests.
func (r *remoteSource) allowed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.control
}

// controlOp returns the request of Client.Control(op, n).
func controlOp(op string, n uint64) controlRequest {
	return func(ctx context.Context, c *debugapi.Client) error { return c.Control(ctx, op, n) }
}

func (r *remoteSource) Pause()     { r.queue(controlOp("pause", 0)) }
func (r *remoteSource) Resume()    { r.queue(controlOp("resume", 0)) }
func (r *remoteSource) Step(n int) { r.queue(controlOp("step", uint64(max(n, 1)))) }
func (r *remoteSource) SetRate(ticksPerSecond float64) {
	r.queue(func(ctx context.Context, c *debugapi.Client) error { return c.SetRate(ctx, ticksPerSecond) })
}
func (r *remoteSource) Status() model.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.frame == nil {
		return model.Status{}
	}
	return model.Status{Paused: r.frame.Stopped, Rate: r.frame.Rate}
}
