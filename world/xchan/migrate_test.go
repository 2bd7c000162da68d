package xchan_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/xchan"
	"github.com/stretchr/testify/require"
)

// hub is three zones: a and b each linked to s, which serves channel "req" of both.
type hub struct {
	w     map[string]*world.World
	links map[string][]*xchan.Link // by the zone they belong to
}

func newHub(t *testing.T) *hub {
	t.Helper()
	srv := startNATS(t)
	h := &hub{w: map[string]*world.World{}, links: map[string][]*xchan.Link{}}
	for i, name := range []string{"a", "b", "s"} {
		w, err := world.New(world.Config{Seed: uint64(i + 1), Zone: uint16(i + 1)})
		require.NoError(t, err)
		t.Cleanup(w.Close)
		h.w[name] = w
	}
	open := func(local, peer string) *xchan.Link {
		nc := connect(t, srv)
		l, err := xchan.Open(h.w[local], xchan.Config{Conn: nc, Local: local, Peer: peer, LockStep: true,
			Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		h.links[local] = append(h.links[local], l)
		return l
	}
	for _, z := range []string{"a", "b"} {
		_, err := xchan.Out[string](open(z, "s"), "req")
		require.NoError(t, err)
		_, err = xchan.In[string](open("s", z), "req")
		require.NoError(t, err)
	}
	return h
}

func (h *hub) step(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, z := range []string{"a", "b", "s"} {
		require.NoError(t, h.w[z].Tick())
		for _, l := range h.links[z] {
			require.NoError(t, l.Boundary(ctx))
		}
	}
}

// An entity holding (not waiting on) the handle of a cross-zone channel migrates from a
// to b: the handle is the named channel "xchan.s.req", which b's import maps to b's own
// end of its link to s, so the entity's sends after the move reach s through b.
func TestEntityHoldingHandleMigrates(t *testing.T) {
	h := newHub(t)
	out := newLog(t, "s")
	newLog(t, "e")
	req := world.Chan[string](h.w["a"], "xchan.s.req")
	e := h.w["a"].SpawnEntity(h.w["a"].Kind("npc"), world.Vec{}, func(world.EntityID) sim.Frame {
		return &party{Ch: req, Log: "e", Name: "e", Delay: 5, N: 2}
	})
	for i, z := range []string{"a", "b"} {
		h.w["s"].Spawn(&party{Recv: true, Ch: world.Chan[string](h.w["s"], "xchan."+z+".req"), Log: "s", Name: "from-" + z, N: []int{1, 2}[i]})
	}
	h.step(t)
	h.step(t) // the entity sleeps

	c, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	data, err := h.w["a"].Export(c, []world.EntityID{e})
	require.NoError(t, err)
	_, err = h.w["b"].Import(c, data)
	require.NoError(t, err)
	require.NoError(t, xchan.CheckHandles(h.w["b"], "b", h.links["b"]...))
	for range 20 {
		h.step(t)
	}
	require.Equal(t, []string{"from-a recv", "from-b recv", "from-b got e-0", "from-b recv", "from-b got e-1"}, text(*out))
}

// An entity waiting on a cross-zone channel is pinned: it moves after its wait. An entity
// holding a handle moved into a zone where it reaches no zone is reported by CheckHandles.
func TestHandlesThatReachNoZone(t *testing.T) {
	h := newHub(t)
	newLog(t, "e")
	req := world.Chan[string](h.w["a"], "xchan.s.req")
	spawn := func(delay int) world.EntityID {
		return h.w["a"].SpawnEntity(h.w["a"].Kind("npc"), world.Vec{}, func(world.EntityID) sim.Frame {
			return &party{Ch: req, Log: "e", Name: "e", Delay: delay, N: 1}
		})
	}
	waiting, holding := spawn(0), spawn(5)
	h.step(t)
	c, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	_, err = h.w["a"].Export(c, []world.EntityID{waiting})
	require.ErrorIs(t, err, world.ErrPinned)

	data, err := h.w["a"].Export(c, []world.EntityID{holding})
	require.NoError(t, err)
	_, err = h.w["s"].Import(c, data) // into the peer itself: "xchan.s.req" names s
	require.NoError(t, err)
	world.Chan[string](h.w["s"], "xchan.a.other") // as if another entity brought it
	err = xchan.CheckHandles(h.w["s"], "s", h.links["s"]...)
	require.EqualError(t, err, `xchan: zone s: channel "xchan.s.req" (`+chanID(h.w["s"], "xchan.s.req")+`) is another zone's end of its link to this zone: a handle that came with a migrated entity, reaching no zone here (move the entity back, or give it a channel of this zone)`+"\n"+
		`xchan: zone s: channel "xchan.a.other" (`+chanID(h.w["s"], "xchan.a.other")+`) is not declared on a link to a here: a handle that came with a migrated entity (Open a link to a and declare "other" with Out, In or Both, as the zone it came from did)`)
}

// chanID returns the id of w's named channel name, as errors print it.
func chanID(w *world.World, name string) string {
	return fmt.Sprint(uint64(world.Chan[any](w, name).ID()))
}
