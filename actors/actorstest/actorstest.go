// Package actorstest builds the worlds of the embedded scenarios for tests and benchmarks,
// and runs them on a server: one home for the fixtures the viewer, its model and the debug
// endpoint share.
package actorstest

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"testing"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/assets"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// Quiet returns a world config whose logger drops what the scenarios log (their planned
// failures), so that test output shows only the tests'.
func Quiet() world.Config {
	return world.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// Small returns the embedded small scenario ("paddock", 288 NPCs) built with seed 1 on
// Quiet, closed when tb ends. The same call builds the same world.
func Small(tb testing.TB) *world.World {
	tb.Helper()
	data, err := fs.ReadFile(assets.FS(), "scenarios/small.json")
	if err != nil {
		tb.Fatal(err)
	}
	return build(tb, data, "small")
}

// Default returns the embedded default scenario (10,600 NPCs) built with seed 1 on Quiet,
// closed when tb ends.
func Default(tb testing.TB) *world.World {
	tb.Helper()
	return build(tb, assets.DefaultScenario(), "default")
}

// PausedServer runs w on a paused server (world/server) until tb ends, when it stops the
// server and checks that Run returned no error.
func PausedServer(tb testing.TB, w *world.World) *server.Server {
	tb.Helper()
	srv, err := server.New(w, server.Options{Paused: true})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("actorstest: the server stopped with %v", err)
		}
	})
	return srv
}

// Busiest returns the entity of w whose area of interest holds the most entities at the
// end of the last tick (the first in w's order on a tie), its radius and a copy of what it
// sees (world.World.Visible); id 0 if none sees any. Call it between ticks. O(entities +
// the sets' sizes).
func Busiest(w *world.World) (id world.EntityID, radius int32, visible []world.EntityID) {
	for _, e := range w.Entities() {
		if v := w.Visible(e.ID); len(v) > len(visible) {
			id, radius, visible = e.ID, e.Interest, slices.Clone(v)
		}
	}
	return id, radius, visible
}

func build(tb testing.TB, data []byte, name string) *world.World {
	tb.Helper()
	w, _, err := actors.Origin{Default: data, DefaultName: name, Seed: 1}.Open(Quiet())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.Close)
	return w
}
