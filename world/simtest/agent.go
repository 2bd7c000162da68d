package simtest

import (
	"errors"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// Msg is what agents send over channels and post to inboxes.
type Msg struct {
	From world.EntityID
	N    uint64
}

// Inbox is the component that names an agent's mailbox.
type Inbox struct{ ID sim.ChanID }

// ErrChaos is the error agents throw at each other.
var ErrChaos = errors.New("simtest: chaos")

var inboxes = world.RegisterComponent[Inbox]("simtest.inbox")

func init() {
	persist.Register[Msg]("simtest.Msg")
	persist.Register[Inbox]("simtest.Inbox")
	persist.Register[Agent]("simtest.Agent", "start", "act", "got", "spin", "atomic", "mail")
	persist.RegisterError("simtest.ErrChaos", ErrChaos)
}

// An Agent is an entity's tasklet that does one random operation per step, drawn from the
// world's RNG: channel sends and receives (blocking, with a timeout, or trying), sleeps and
// yields, spawning agents and despawning entities, killing and throwing at other entities'
// tasklets (at once or pending), closing and opening channels, mailbox posts and waits,
// atomic sections, busy loops past the tick budget, new interest radii. Errors delivered to
// it are counted and survived, except a kill, which ends it.
type Agent struct {
	Self   world.EntityID
	Chans  []sim.ChanID // the shared channels
	Kind   world.Kind   // of agents, for spawning
	Max    int          // spawn only while the world has fewer entities
	Spin   int          // steps left in a busy loop
	Sent   uint64
	Got    uint64
	Errors uint64
}

const (
	agentStart sim.PC = iota
	agentAct
	agentGot
	agentSpin
	agentAtomic
	agentMail
)

// An agent's operations, with weights.
const (
	opSend = iota
	opRecv
	opRecvFor
	opTrySend
	opTryRecv
	opSleep
	opNextTick
	opSchedule
	opSpawn
	opDespawn
	opKill
	opKillPending
	opThrow
	opThrowPending
	opClose
	opOpen
	opPost
	opWaitMail
	opAtomic
	opSpin
	opInterest
	numOps
)

var opWeights = [numOps]int{
	opSend: 8, opRecv: 8, opRecvFor: 4, opTrySend: 3, opTryRecv: 3, opSleep: 4, opNextTick: 6,
	opSchedule: 3, opSpawn: 2, opDespawn: 2, opKill: 1, opKillPending: 1, opThrow: 2,
	opThrowPending: 1, opClose: 1, opOpen: 2, opPost: 4, opWaitMail: 3, opAtomic: 1, opSpin: 1,
	opInterest: 1,
}

var opTotal = func() int {
	n := 0
	for _, w := range opWeights {
		n += w
	}
	return n
}()

func drawOp(w *world.World) int {
	n := w.Rand().IntN(opTotal)
	for op, wt := range opWeights {
		if n < wt {
			return op
		}
		n -= wt
	}
	return opNextTick
}

// New returns an agent for entity self with f's settings (a template for SpawnEntity).
func (f Agent) New(self world.EntityID) sim.Frame {
	return &Agent{Self: self, Chans: f.Chans, Kind: f.Kind, Max: f.Max}
}

// Step runs one operation.
func (f *Agent) Step(t *sim.T) sim.Op {
	w := world.Of(t)
	if w.Entity(f.Self) == nil {
		return t.Exit()
	}
	switch t.At() {
	case agentStart:
		mb := world.NewMailbox[Msg](w, f.Self, "inbox")
		inboxes.Set(w, f.Self, Inbox{ID: mb.ID})
		return t.NextTick().Then(agentAct)
	case agentGot:
		if _, ok := sim.ChanOf[Msg](0).GotOK(t); ok {
			f.Got++
		}
		return t.NextTick().Then(agentAct)
	case agentSpin:
		if f.Spin > 0 {
			f.Spin--
			return t.Goto(agentSpin)
		}
		return t.NextTick().Then(agentAct)
	case agentAtomic:
		t.SetAtomic(false)
		return t.Schedule().Then(agentAct)
	case agentMail:
		mb := f.inbox(w)
		for {
			if _, ok := mb.TryTake(w); !ok {
				break
			}
			f.Got++
		}
		return t.NextTick().Then(agentAct)
	case agentAct:
		return f.act(t, w)
	}
	return t.Raise(sim.ErrBadPC)
}

func (f *Agent) inbox(w *world.World) world.Mailbox[Msg] {
	in, _ := inboxes.Get(w, f.Self)
	return world.Mailbox[Msg]{ID: in.ID}
}

// act draws and runs one operation.
func (f *Agent) act(t *sim.T, w *world.World) sim.Op {
	r := w.Rand()
	ch := sim.ChanOf[Msg](f.Chans[r.IntN(len(f.Chans))])
	msg := Msg{From: f.Self, N: f.Sent}
	switch drawOp(w) {
	case opSend:
		f.Sent++
		return ch.Send(t, msg).Then(agentAct)
	case opRecv:
		return ch.Recv(t).Then(agentGot)
	case opRecvFor:
		return ch.RecvFor(t, 1+r.IntN(4)).Then(agentGot)
	case opTrySend:
		if ch.TrySend(t, msg) {
			f.Sent++
		}
	case opTryRecv:
		if _, ok, _ := ch.TryRecv(t); ok {
			f.Got++
		}
	case opSleep:
		return t.Sleep(1 + r.IntN(6)).Then(agentAct)
	case opSchedule:
		return t.Schedule().Then(agentAct)
	case opSpawn:
		if w.Len() < f.Max {
			pos := world.Vec{X: r.Int32N(w.Config().Width), Y: r.Int32N(w.Config().Height)}
			w.SpawnEntity(f.Kind, pos, f.New)
		}
	case opDespawn:
		id := randomEntity(w)
		w.Despawn(id)
		if id == f.Self {
			return t.Exit()
		}
	case opKill, opThrow:
		if x := f.target(w); x != nil {
			return x.Throw(t, f.pick(r.IntN(2) == 0)).Then(agentAct)
		}
	case opKillPending, opThrowPending:
		if x := f.target(w); x != nil {
			_ = x.ThrowPending(f.pick(r.IntN(2) == 0)) // an error says the state forbids it: fine
		}
	case opClose:
		if c := w.Scheduler().Channel(ch.ID()); c != nil {
			c.Close()
		}
	case opOpen:
		if c := w.Scheduler().Channel(ch.ID()); c != nil {
			c.Open()
		}
	case opPost:
		if in, ok := inboxes.Get(w, randomEntity(w)); ok {
			world.Mailbox[Msg]{ID: in.ID}.Post(w, msg)
		}
	case opWaitMail:
		return f.inbox(w).WaitFor(t, 1+r.IntN(5)).Then(agentMail)
	case opAtomic:
		t.SetAtomic(true)
		return t.Schedule().Then(agentAtomic)
	case opSpin:
		f.Spin = int(w.Scheduler().Options().TickBudget) / 2 * (1 + r.IntN(3))
		return t.Goto(agentSpin)
	case opInterest:
		w.SetInterest(f.Self, r.Int32N(64), world.Mailbox[world.AoIEvent]{})
	}
	return t.NextTick().Then(agentAct)
}

func (f *Agent) pick(kill bool) error {
	if kill {
		return sim.ErrTaskletExit
	}
	return ErrChaos
}

// target returns the live tasklet of a random entity other than f's, or nil.
func (f *Agent) target(w *world.World) *sim.Tasklet {
	id := randomEntity(w)
	if id == f.Self {
		return nil
	}
	if x := w.TaskletOf(id); x != nil && x.Alive() {
		return x
	}
	return nil
}

// Catch counts an error and goes on; a kill ends the agent.
func (f *Agent) Catch(t *sim.T, err error) sim.Op {
	if errors.Is(err, sim.ErrTaskletExit) {
		return t.Exit()
	}
	f.Errors++
	return t.NextTick().Then(agentAct)
}

// randomEntity returns a random live entity (0 if there is none), drawn from the world's RNG.
func randomEntity(w *world.World) world.EntityID {
	es := w.Entities()
	if len(es) == 0 {
		return 0
	}
	return es[w.Rand().IntN(len(es))].ID
}
