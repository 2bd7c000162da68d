package actors

import (
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// TestCustomerHardAndSoft: customer (and the generic ask it calls) runs as written, as a
// hard tasklet, and as its generated frame, Customer: in two worlds of the same seed, the
// customers walk the same paths and the trader answers the same requests, tick by tick.
func TestCustomerHardAndSoft(t *testing.T) {
	run := func(hard bool) []string {
		w, err := world.New(world.Config{Seed: 7, Width: 200, Height: 200, CellSize: 20, UnsavedFrames: true,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		require.NoError(t, err)
		defer w.Close()
		shopKind, person := w.Kind("trader"), w.Kind("person")
		tr := w.NewEntity(shopKind, world.Vec{X: 100, Y: 100})
		require.NoError(t, openShop(w, tr))
		trader := &Trader{Self: tr}
		_, err = w.Attach(tr, trader)
		require.NoError(t, err)
		var ids []world.EntityID
		for i := range 4 {
			id := w.NewEntity(person, world.Vec{X: 90 + int32(i)*5, Y: 95})
			ids = append(ids, id)
			if hard {
				w.Scheduler().SpawnHard(func(h *sim.Tasklet) error { return customer(h, id, shopKind, 2, 80, 3, 2) })
			} else {
				_, err := w.Attach(id, Customer{Trader: shopKind, Speed: 2, Sight: 80, AskEvery: 3, Timeout: 2}.New(id))
				require.NoError(t, err)
			}
		}
		var trace []string
		for range 40 {
			require.NoError(t, w.Tick())
			line := fmt.Sprintf("tick %d: served %d", w.Now(), trader.Served)
			for _, id := range ids {
				e := w.Entity(id)
				line += fmt.Sprintf(", %d at %v %v", id, e.Pos, e.State)
			}
			trace = append(trace, line)
		}
		require.Positive(t, trader.Served, "the customers must have asked")
		return trace
	}
	require.Equal(t, run(false), run(true))
}
