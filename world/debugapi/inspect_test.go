package debugapi

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/actors/actorstest"
	"github.com/stackworld/stackworld/world"
)

// smallWorld is the shared fixture: the small scenario, seed 1 (package actorstest).
var smallWorld = actorstest.Small

func TestInspectEntity(t *testing.T) {
	w := smallWorld(t)
	for range 5 {
		require.NoError(t, w.Tick())
	}
	var trader, wolf world.EntityID
	for _, e := range w.Entities() {
		switch w.KindName(e.Kind) {
		case "trader":
			if trader == 0 {
				trader = e.ID
			}
		case "wolf":
			if wolf == 0 {
				wolf = e.ID
			}
		}
	}
	lines := InspectEntity(w, trader)
	text := strings.Join(lines, "\n")
	e := w.Entity(trader)
	require.Equal(t, fmt.Sprintf("entity %d  trader  at (%d, %d)  vel (0, 0)", trader, e.Pos.X, e.Pos.Y), lines[0])
	tk := w.TaskletOf(trader)
	require.Contains(t, text, fmt.Sprintf("tasklet %d: blocked, receiving on channel %d", tk.ID(), tk.BlockedOn()))
	require.Contains(t, text, fmt.Sprintf("  channel %d: balance -1 preference", tk.BlockedOn()))
	require.Contains(t, text, fmt.Sprintf("queue [t%d receives]", tk.ID()))
	require.Contains(t, text, "  frame 0: ")
	require.Contains(t, text, fmt.Sprintf("Self = %d", trader))
	require.Contains(t, text, "mailbox ")

	_ = wolf
	rows, n := ListTasklets(w, OutlineBlocked, false, "")
	require.Equal(t, w.Stats().Tasklets.Blocked, n)
	for _, r := range rows {
		require.Equal(t, OutlineBlocked, r.Outline)
		require.True(t, strings.HasPrefix(r.Text, "t"+strconv.Itoa(int(r.ID))+" e"))
	}
	rows, n = ListTasklets(w, 0, true, fmt.Sprintf("e%d ", trader))
	require.Equal(t, 1, n)
	require.Equal(t, tk.ID(), rows[0].ID)
	require.Equal(t, trader, rows[0].Entity)

	require.Equal(t, []string{fmt.Sprintf("entity %d: gone (despawned)", 999999)}, InspectEntity(w, 999999))
}

func TestFailureLines(t *testing.T) {
	fs := []world.Failure{
		{Tick: 1, Tasklet: 2, Entity: 3, Err: "boom"},
		{Tick: 4, Tasklet: 5, Entity: 6, Err: "panic: x\nmore", Stack: "goroutine 1:\n\tmain.f()\n"},
	}
	require.Equal(t, []string{"tick 4 tasklet 5 entity 6: panic: x", "tick 1 tasklet 2 entity 3: boom"}, FailureLines(fs))
	require.Equal(t, []string{"failure at tick 4: tasklet 5, entity 6", "  panic: x", "  more", "  stack:", "    goroutine 1:", "        main.f()"}, FailureDetail(fs[1]))
}
