package server_test

import (
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
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

// TestFirstAutosavesAreWarm runs a server that autosaves after every tick: the writer
// prepares the first two captures' tables when the server starts, so every save, the first
// two and the final one included, takes its tables from a spare (persist.Capture.Warm),
// not from fresh memory, and each file loads as the world was at its tick.
func TestFirstAutosavesAreWarm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { // ticks at 20 Hz: each save ends before the next tick
		w := newWorld(t, 40)
		path := filepath.Join(t.TempDir(), "w.cbor")
		var s *server.Server
		var warm []bool
		var ticks []uint64
		sums := map[uint64]uint64{}
		s, err := server.New(w, server.Options{Rate: 20, Ticks: 5, SavePath: path, SaveEvery: 1,
			AfterTick: func(w *world.World) { sums[w.Now()] = w.Checksum() },
			OnSave: func(r server.SaveResult) {
				require.NoError(t, r.Err)
				warm, ticks = append(warm, server.LastCaptureWarm(s)), append(ticks, r.Tick)
			}})
		require.NoError(t, err)
		require.NoError(t, s.Run(t.Context()))
		require.Equal(t, []uint64{1, 2, 3, 4, 5, 5}, ticks)
		require.Equal(t, []bool{true, true, true, true, true, true}, warm)
		loaded, err := world.LoadFile(world.DefaultCodec(), path, world.Config{Logger: quiet()})
		require.NoError(t, err)
		defer loaded.Close()
		require.Equal(t, sums[5], loaded.Checksum())
	})
}
