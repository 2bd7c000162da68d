package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// A zone on the runtime. NewServer wires a zone into a world/server.Server, which then
// owns the zone's goroutine: the zone's step runs in the server's BeforeTick and EndTick
// hooks, its saves are the server's (autosaves every SaveEvery ticks, SaveNow, the final
// save; encoded off the tick goroutine), put off by the SaveGate while exported entities
// are only in memory, and its journal is settled in OnSave once a written save covers it.
// The server's rate, time dilation, Pause, Resume, Step, SetRate, Do, inputs and metrics
// hooks all apply to the zone. A LockStep zone waits at the barrier a slice at a time
// (its BeforeTick answers server.ErrTickNotReady meanwhile), so the server serves Do,
// SaveNow, Pause and Stop while a peer is behind; a stop there takes the final save, which
// is safe: the zone has finished its tick and taken nothing in, as at any autosave, and a
// restart from it announces that tick again and takes in what its peers sent for it.

// NewServer returns a server that runs the zone: server.New(z.World(), o) with the zone's
// hooks. o.SavePath defaults to Config.SavePath and must not name another file. Hooks
// already set in o run as well: BeforeTick after the zone's (it may not answer
// server.ErrTickNotReady: the zone has taken in the tick's payloads by then), EndTick,
// SaveGate and OnSave after the zone's. From then on the zone belongs to the server's
// loop goroutine: call its methods (Stats, Send, Migrate, Idle) through Server.Do, not
// directly. Run's error wraps ErrZoneDead when a Fault stopped the zone (no final save is
// written then). When Run returns, another server may run the zone on (NewServer again).
func (z *Zone) NewServer(o server.Options) (*server.Server, error) {
	switch {
	case o.SavePath == "":
		o.SavePath = z.cfg.SavePath
	case o.SavePath != z.cfg.SavePath:
		return nil, fmt.Errorf("cluster: zone %s: server SavePath %q is not the zone's %q: a restarted zone loads its own", z.cfg.Name, o.SavePath, z.cfg.SavePath)
	}
	if o.SavePath == "" {
		return nil, fmt.Errorf("cluster: zone %s: no SavePath: a zone must save to settle its migrations", z.cfg.Name)
	}
	h := &hooks{z: z, user: o}
	o.BeforeTick, o.EndTick, o.SaveGate, o.OnSave = h.beforeTick, h.endTick, h.saveGate, h.onSave
	return server.New(z.w, o)
}

// hooks are the server hooks of a zone, with the program's own.
type hooks struct {
	z    *Zone
	user server.Options
	// pending are the saves whose copy was taken and whose file is not yet written: the
	// tick each covers and the journal keys it settles.
	pending []pendingSave
}

type pendingSave struct {
	tick    uint64
	covered []string
}

// beforeTick is the zone's step up to the tick: the barrier (LockStep), a slice at a time,
// then the intake. Past the barrier a stop does not cut the step short (that would leave
// the world half-way and Run without its final save): each of its NATS operations is
// bounded by Config.OpTimeout.
func (h *hooks) beforeTick(ctx context.Context, w *world.World) error {
	if err := h.z.tryBarrier(ctx); err != nil {
		return err
	}
	if err := h.z.beforeTick(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	if h.user.BeforeTick == nil {
		return nil
	}
	err := h.user.BeforeTick(ctx, w)
	if errors.Is(err, server.ErrTickNotReady) {
		return fmt.Errorf("cluster: zone %s: the program's BeforeTick answered %v after the zone took in the tick's payloads and mail: it may not put the tick off", h.z.cfg.Name, err)
	}
	return err
}

// endTick is the zone's step after the tick; the tick has run, so a stop does not cut it
// short either.
func (h *hooks) endTick(ctx context.Context, w *world.World) error {
	if err := h.z.endTick(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	if h.user.EndTick != nil {
		return h.user.EndTick(ctx, w)
	}
	return nil
}

// saveGate puts a save off while exported entities are only in memory or the directory
// entries of imported ones are unwritten; otherwise it notes what the save will cover.
func (h *hooks) saveGate(w *world.World) error {
	z := h.z
	if z.dead != nil {
		return z.dead
	}
	ctx, cancel := context.WithTimeout(context.Background(), z.cfg.OpTimeout)
	defer cancel()
	covered, err := z.prepareSave(ctx)
	switch {
	case errors.Is(err, ErrInFlight):
		return fmt.Errorf("%w: %w", server.ErrSaveLater, err)
	case err != nil:
		return err
	}
	if h.user.SaveGate != nil {
		if err := h.user.SaveGate(w); err != nil {
			return err
		}
	}
	h.pending = append(h.pending, pendingSave{tick: w.Now(), covered: covered})
	return nil
}

// onSave settles the journal keys a written save covers. A failed save settles nothing:
// its keys stay for the next one.
func (h *hooks) onSave(r server.SaveResult) {
	var p pendingSave
	found := false
	for len(h.pending) > 0 && h.pending[0].tick <= r.Tick {
		p, found = h.pending[0], h.pending[0].tick == r.Tick
		h.pending = h.pending[1:]
	}
	if found && r.Err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), h.z.cfg.OpTimeout)
		defer cancel()
		_ = h.z.saved(ctx, r.Tick, p.covered) // a fault here kills the zone: the next step says so
	}
	if h.user.OnSave != nil {
		h.user.OnSave(r)
	}
}
