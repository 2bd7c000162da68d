package model

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// A Controller pauses, resumes, steps and paces a world from another goroutine; each call
// takes effect at the next tick boundary.
type Controller interface {
	Pause()
	Resume()
	Step(n int)
	SetRate(ticksPerSecond float64)
	Status() Status
}

// A Driver runs a world: a Controller whose View runs f between ticks with the world still.
type Driver interface {
	Controller
	View(f func(w *world.World))
}

// Status is what a Driver reports for the HUD.
type Status struct {
	Paused bool
	Rate   float64 // ticks per second; 0: as fast as possible
}

// An Input is a command delivered into a world before a tick (see server.Input): the
// inputs due at a tick are delivered in (Tick, Client, Seq) order.
type Input = server.Input

// InputHandler delivers inputs into w (mailbox posts, position changes), between ticks, in
// order. It must depend on nothing but w and the inputs, so that a re-run from the input
// log does the same.
type InputHandler func(w *world.World, in []Input) error

// Loop runs a world on the library runtime (world/server) for the viewer and records every
// tick in a Timeline, so that the viewer can rewind. A rewind or a load stops the server and
// starts a new one on the new world (a server owns one world for its life); everything else
// goes to the running server. Its methods are safe for concurrent use.
type Loop struct {
	mu      sync.Mutex // guards the fields below; the timeline belongs to the server's goroutine while it runs
	srv     *server.Server
	cancel  context.CancelFunc
	done    chan error
	w       *world.World
	tl      *Timeline
	handler InputHandler
	rate    float64
	obs     atomic.Pointer[func(*world.World, *Timeline)]

	errMu sync.Mutex
	err   error // the last error of the server or the recording
}

// NewLoop returns a loop over w at rate ticks per second (0: as fast as possible), paused
// or running, recording into tl (tl.Start(w) is called; nil: no recording) and delivering
// inputs with h (nil: inputs are recorded and otherwise ignored). The server runs until
// Close.
func NewLoop(w *world.World, tl *Timeline, h InputHandler, rate float64, paused bool) (*Loop, error) {
	l := &Loop{w: w, tl: tl, handler: h, rate: max(rate, 0)}
	if tl != nil {
		if tl.Handler == nil {
			tl.Handler = h
		}
		if err := tl.Start(w); err != nil {
			return nil, err
		}
	}
	if err := l.start(paused); err != nil {
		return nil, err
	}
	return l, nil
}

// start runs a new server on l.w (l.mu held or l not shared yet).
func (l *Loop) start(paused bool) error {
	srv, err := server.New(l.w, server.Options{Rate: l.rate, Paused: paused, Deliver: l.deliver, AfterTick: l.afterTick})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.srv, l.cancel, l.done = srv, cancel, make(chan error, 1)
	l.feed(l.w.Now() + 1)
	go func() { l.done <- srv.Run(ctx) }()
	return nil
}

// stop ends the server and waits for it (l.mu held).
func (l *Loop) stop() {
	if l.srv == nil {
		return
	}
	l.cancel()
	if err := <-l.done; err != nil {
		l.setErr(err)
	}
	l.srv = nil
}

// Close stops the server and closes the world.
func (l *Loop) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stop()
	l.w.Close()
}

// deliver is the server's Deliver: the timeline sees the inputs, then the handler.
func (l *Loop) deliver(w *world.World, in []Input) error {
	if l.tl != nil {
		l.tl.Delivered(w.Now()+1, in)
	}
	if l.handler != nil {
		return l.handler(w, in)
	}
	return nil
}

// afterTick is the server's AfterTick: it records the tick and queues the logged inputs
// of the next one, if it was recorded before (after a rewind).
func (l *Loop) afterTick(w *world.World) {
	if l.tl == nil {
		l.observe(w)
		return
	}
	if err := l.tl.Record(w); err != nil {
		l.setErr(err)
	}
	l.feed(w.Now() + 1)
	l.observe(w)
}

// SetObserver makes f run after every tick, on the server's goroutine with the world
// still (after the tick is recorded): a viewer publishes its frame there without waiting
// for a tick boundary. f must not keep w and must be quick. nil removes it.
func (l *Loop) SetObserver(f func(w *world.World, tl *Timeline)) {
	if f == nil {
		l.obs.Store(nil)
		return
	}
	l.obs.Store(&f)
}

func (l *Loop) observe(w *world.World) {
	if f := l.obs.Load(); f != nil {
		(*f)(w, l.tl)
	}
}

// feed submits the logged inputs of tick, if it was recorded, so that a re-run delivers
// them as the recorded run did.
func (l *Loop) feed(tick uint64) {
	if l.tl == nil || l.srv == nil {
		return
	}
	for _, in := range l.tl.logged(tick) {
		if err := l.srv.Submit(in); err != nil {
			l.setErr(fmt.Errorf("viewer: re-delivering logged input client %d seq %d for tick %d: %w", in.Client, in.Seq, tick, err))
		}
	}
}

func (l *Loop) setErr(err error) {
	l.errMu.Lock()
	l.err = err
	l.errMu.Unlock()
}

// Err returns the last error of the server or of the recording (a divergence), or nil.
func (l *Loop) Err() error {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return l.err
}

// server returns the running server.
func (l *Loop) server() *server.Server {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.srv
}

// View runs f with the world between ticks (server.Server.Do).
func (l *Loop) View(f func(w *world.World)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.srv == nil || l.srv.Do(context.Background(), f) != nil {
		f(l.w) // the server has stopped: the world is ours
	}
}

// With runs f with the world between ticks and the timeline (nil if none).
func (l *Loop) With(f func(w *world.World, tl *Timeline)) {
	l.View(func(w *world.World) { f(w, l.tl) })
}

// Load replaces the world with w (a loaded snapshot): the server is stopped, the old world
// closed, the timeline restarted at w's tick, and a new server runs w, paused.
func (l *Loop) Load(w *world.World) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stop()
	if w != l.w {
		l.w.Close()
		l.w = w
	}
	if l.tl != nil {
		if err := l.tl.Start(w); err != nil {
			return err
		}
	}
	return l.start(true)
}

// Pause stops ticking at the next tick boundary.
func (l *Loop) Pause() { l.server().Pause() }

// Resume continues ticking at the rate.
func (l *Loop) Resume() { l.server().Resume() }

// Step runs n more ticks while paused (and pauses a running loop first).
func (l *Loop) Step(n int) {
	s := l.server()
	s.Pause()
	s.Step(uint64(max(n, 0)))
}

// SetRate sets the rate in ticks per second (0: as fast as possible); a rate outside
// [0, server.MaxRate] is ignored.
func (l *Loop) SetRate(r float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.srv.SetRate(r) == nil {
		l.rate = r
	}
}

// Status returns whether the loop is paused and its rate.
func (l *Loop) Status() Status {
	st := l.server().Stats()
	return Status{Paused: st.Paused, Rate: st.Rate}
}

// Submit queues an input (server.Server.Submit).
func (l *Loop) Submit(in Input) error { return l.server().Submit(in) }

// StepWait runs n ticks while paused and returns when they have run: for tests and for
// --ticks. It returns the loop's error if the server stopped.
func (l *Loop) StepWait(n int) error {
	var target uint64
	l.View(func(w *world.World) { target = w.Now() + uint64(max(n, 0)) })
	l.Step(n)
	for {
		var now uint64
		l.View(func(w *world.World) { now = w.Now() })
		if now >= target {
			return nil
		}
		select {
		case <-l.server().Done():
			return fmt.Errorf("viewer: the world stopped before the steps ran: %w", l.Err())
		default:
		}
	}
}

// Rewind moves the world to the recorded tick target (Timeline.Seek) and leaves the loop
// paused there. The Verdict says whether the checksum there equals the recorded one.
func (l *Loop) Rewind(target uint64) (Verdict, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tl == nil {
		return Verdict{}, errors.New("viewer: rewind: this loop records no timeline")
	}
	l.stop()
	nw, v, err := l.tl.Seek(target, l.w)
	if nw != nil && nw != l.w {
		l.w.Close()
		l.w = nw
	}
	if serr := l.start(true); serr != nil {
		return v, errors.Join(err, serr)
	}
	return v, err
}
