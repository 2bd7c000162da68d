package server_test

import (
	"sync"
	"testing"

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

// TestCaptureCopiesTheWorldsLiveValues captures a world section (whose columns the capture
// keeps as World.Snapshot built them, world.Snapshot.CaptureCopy), then changes in place a
// component value and a queued message the section shared with the world: the capture
// still saves the bytes of its moment.
func TestCaptureCopiesTheWorldsLiveValues(t *testing.T) {
	registerBag()
	w := newWorld(t, 20)
	comp, msg := &bag{Items: []int{1, 2}}, &bag{Items: []int{3}}
	bagComp.Set(w, 1, comp)
	mb := world.NewMailbox[*bag](w, 1, "inbox")
	require.True(t, mb.Post(w, msg))
	c, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	section := func() persist.Section {
		st, err := w.Snapshot()
		require.NoError(t, err)
		return persist.Section{Name: world.SectionName, Value: st}
	}
	want, _, err := c.Save(w.Scheduler(), section())
	require.NoError(t, err)
	cp, err := c.Capture(w.Scheduler(), section())
	require.NoError(t, err)

	comp.Items[0], msg.Items[0] = 100, 300
	w.SetPos(1, world.Vec{X: 1, Y: 1})
	require.NoError(t, w.Tick())
	got, _, err := c.SaveCapture(cp)
	require.NoError(t, err)
	require.Equal(t, want, got)
}
