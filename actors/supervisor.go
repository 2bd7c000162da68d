package actors

import (
	"fmt"
	"log/slog"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// A Policy says how often a supervisor restarts a failing child: at most MaxRestarts
// restarts within any WindowTicks ticks; one failure more and the supervisor escalates (it
// fails itself with an *EscalationError, after killing its children, so that its own
// supervisor, if any, restarts the whole group). The zero Policy means DefaultPolicy.
type Policy struct {
	MaxRestarts int
	WindowTicks uint64
}

// DefaultPolicy restarts a child at most 3 times in 100 ticks.
var DefaultPolicy = Policy{MaxRestarts: 3, WindowTicks: 100}

// RootPolicy is what Populate gives the supervisor of a kind's supervisor: at most 5
// restarts of the group in 1000 ticks.
var RootPolicy = Policy{MaxRestarts: 5, WindowTicks: 1000}

// A Child is one supervised tasklet: Start makes its frame for Entity (0: a tasklet of no
// entity, which New gets as 0).
type Child struct {
	Name     string
	Entity   world.EntityID
	Start    Template // held by value: actors.Wander{...}
	Tasklet  sim.ID   // the running incarnation (0 before the first start)
	Restarts []uint64 // ticks of the restarts within the window
	Failures uint64
}

// An EscalationError is what a supervisor fails with when a child fails more often than its
// policy allows.
type EscalationError struct {
	Supervisor  sim.ID
	Child       string
	Restarts    int
	WindowTicks uint64
	Last        string // the child's last error
}

func (e *EscalationError) Error() string {
	return fmt.Sprintf("actors: supervisor %d: child %q failed more than %d times in %d ticks (last: %s); escalating",
		e.Supervisor, e.Child, e.Restarts, e.WindowTicks, e.Last)
}

// Supervisor starts its Children, watches them through Inbox (world.Monitor) and restarts
// each one that fails, per Policy (one for one: only the failed child restarts). Every
// failure is reported by the world (log, Failures, events) and again by the supervisor's
// log line saying what it did; none passes silently. Entity children are re-attached to
// their entity. Make one with NewSupervisor.
type Supervisor struct {
	Inbox    world.Mailbox[world.Exit]
	Policy   Policy
	Children []Child
	Restarts uint64
}

// NewSupervisor returns a supervisor frame with a new inbox; spawn it (w.Spawn) to start
// the children.
func NewSupervisor(w *world.World, name string, p Policy, children ...Child) *Supervisor {
	return &Supervisor{Inbox: world.NewMailbox[world.Exit](w, 0, name), Policy: p, Children: children}
}

const (
	supStart sim.PC = 0
	supWait  sim.PC = 1
)

// Step starts the children, then handles their failures.
func (f *Supervisor) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	switch t.At() {
	case supStart:
		for i := range f.Children {
			if err := f.start(w, &f.Children[i]); err != nil {
				return t.Raise(err)
			}
		}
		fallthrough
	case supWait:
		for {
			ex, ok := f.Inbox.TryTake(w)
			if !ok {
				break
			}
			if err := f.handle(w, t, ex); err != nil {
				f.stopAll(w)
				return t.Raise(err)
			}
		}
		return f.Inbox.Wait(t).Then(supWait)
	}
	return t.Raise(sim.ErrBadPC)
}

func (f *Supervisor) policy() Policy {
	if f.Policy.MaxRestarts <= 0 && f.Policy.WindowTicks == 0 {
		return DefaultPolicy
	}
	return f.Policy
}

// start starts child c's next incarnation and monitors it.
func (f *Supervisor) start(w *world.World, c *Child) error {
	if c.Start == nil {
		return fmt.Errorf("actors: supervisor: child %q has no Start template", c.Name)
	}
	fr := c.Start.New(c.Entity)
	var tk *sim.Tasklet
	if c.Entity != 0 {
		var err error
		if tk, err = w.Attach(c.Entity, fr); err != nil {
			return fmt.Errorf("actors: supervisor: child %q: %w", c.Name, err)
		}
	} else {
		tk = w.Spawn(fr)
	}
	c.Tasklet = tk.ID()
	w.Monitor(c.Tasklet, f.Inbox)
	return nil
}

// handle restarts the child that ex reports, or returns the escalation.
func (f *Supervisor) handle(w *world.World, t *sim.T, ex world.Exit) error {
	var c *Child
	for i := range f.Children {
		if f.Children[i].Tasklet == ex.Tasklet {
			c = &f.Children[i]
			break
		}
	}
	if c == nil {
		return nil // an incarnation we no longer track
	}
	c.Failures++
	p := f.policy()
	now := w.Now()
	keep := c.Restarts[:0]
	for _, at := range c.Restarts {
		if now-at < p.WindowTicks {
			keep = append(keep, at)
		}
	}
	c.Restarts = keep
	log := w.Config().Logger
	if len(c.Restarts) >= p.MaxRestarts {
		log.Error("supervisor escalates", slog.Uint64("supervisor", uint64(t.ID())), slog.String("child", c.Name),
			slog.Uint64("tasklet", uint64(ex.Tasklet)), slog.Uint64("tick", now), slog.String("err", ex.Err))
		return &EscalationError{Supervisor: t.ID(), Child: c.Name, Restarts: p.MaxRestarts, WindowTicks: p.WindowTicks, Last: ex.Err}
	}
	if c.Entity != 0 && !w.Alive(c.Entity) {
		log.Warn("supervisor drops child: entity gone", slog.String("child", c.Name), slog.Uint64("entity", uint64(c.Entity)))
		c.Tasklet = 0
		return nil
	}
	c.Restarts = append(c.Restarts, now)
	f.Restarts++
	log.Info("supervisor restarts child", slog.Uint64("supervisor", uint64(t.ID())), slog.String("child", c.Name),
		slog.Uint64("tasklet", uint64(ex.Tasklet)), slog.Uint64("tick", now), slog.Int("restarts in window", len(c.Restarts)),
		slog.String("err", ex.Err))
	return f.start(w, c)
}

// stopAll kills every child still alive (before escalating).
func (f *Supervisor) stopAll(w *world.World) {
	for i := range f.Children {
		c := &f.Children[i]
		if c.Tasklet == 0 {
			continue
		}
		w.Demonitor(c.Tasklet)
		var tk *sim.Tasklet
		if c.Entity != 0 {
			tk = w.TaskletOf(c.Entity)
		} else {
			tk = w.Tasklet(c.Tasklet)
		}
		if tk != nil && tk.ID() == c.Tasklet && tk.Alive() && !tk.IsCurrent() {
			_ = tk.KillPending()
		}
	}
}

// New returns a fresh supervisor with the same inbox, policy and children (for a parent
// supervisor restarting this one; the children start again).
func (f Supervisor) New(world.EntityID) sim.Frame {
	g := &Supervisor{Inbox: f.Inbox, Policy: f.Policy}
	for _, c := range f.Children {
		g.Children = append(g.Children, Child{Name: c.Name, Entity: c.Entity, Start: c.Start})
	}
	return g
}
