package server_test

import (
	"sync"
	"testing"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// bag is a component and message value with a slice the program can change in place.
type bag struct{ Items []int }

var (
	registerBag = sync.OnceFunc(func() { persist.Register[bag]("servertest.bag") })
	bagComp     = world.RegisterComponent[*bag]("servertest.bag")
)

// TestCaptureCopiesTheWorldsLiveValues captures a world section, as World.Snapshot
// builds it (world.Snapshot.CaptureCopy) and as World.CaptureSection gives it, with a
// component value and a queued message shared with the world, the index changed since the
// last tick, and monitors of a live tasklet, of one that ended and of an id that never
// was; then it changes in place the component value and the message, moves an entity and
// runs a tick that ends a monitored tasklet and spawns an entity: the capture still saves
// the bytes a save of its moment wrote.
func TestCaptureCopiesTheWorldsLiveValues(t *testing.T) {
	registerBag()
	for _, viaSection := range []bool{false, true} {
		w := newWorld(t, 20)
		comp, msg := &bag{Items: []int{1, 2}}, &bag{Items: []int{3}}
		bagComp.Set(w, 1, comp)
		mb := world.NewMailbox[*bag](w, 1, "inbox")
		require.True(t, mb.Post(w, msg))
		exits := world.NewMailbox[world.Exit](w, 2, "exits")
		require.NoError(t, w.Tick())
		ended := w.TaskletOf(3)
		require.NoError(t, ended.Kill(w.Scheduler().Main()).Wait())
		w.Monitor(ended.ID(), exits)
		w.Monitor(w.TaskletOf(4).ID(), exits)
		w.Monitor(w.TaskletOf(5).ID(), exits)
		w.Monitor(1<<40, exits)
		w.SetPos(2, world.Vec{X: 3, Y: 4}) // the index is saved
		c, err := persist.DefaultOptions().Codec()
		require.NoError(t, err)

		var sec persist.Section
		if viaSection {
			sec, err = w.CaptureSection()
		} else {
			var st *world.Snapshot
			st, err = w.Snapshot()
			sec = persist.Section{Name: world.SectionName, Value: st}
		}
		require.NoError(t, err)
		cp, err := c.Capture(w.Scheduler(), sec)
		require.NoError(t, err)
		st, err := w.Snapshot()
		require.NoError(t, err)
		require.NotNil(t, st.Index)
		require.Len(t, st.Monitors, 2, "of entities 4 and 5")
		want, _, err := c.Save(w.Scheduler(), persist.Section{Name: world.SectionName, Value: st})
		require.NoError(t, err)

		comp.Items[0], msg.Items[0] = 100, 300
		w.SetPos(1, world.Vec{X: 1, Y: 1})
		require.NoError(t, w.TaskletOf(4).Kill(w.Scheduler().Main()).Wait())
		w.SpawnEntity(w.Kind("sheep"), world.Vec{X: 9, Y: 9}, actors.Wander{Speed: 2}.New)
		require.NoError(t, w.Tick())
		got, _, err := c.SaveCapture(cp)
		require.NoError(t, err)
		require.Equal(t, want, got, "via CaptureSection: %v", viaSection)
		again, _, err := c.SaveCapture(cp)
		require.NoError(t, err)
		require.Equal(t, want, again, "saved twice, via CaptureSection: %v", viaSection)
	}
}
