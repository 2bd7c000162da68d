// Package actorstest builds the worlds of the embedded scenarios for tests and benchmarks:
// one home for the fixtures the viewer's model, the debug endpoint and the commands share.
package actorstest

import (
	"io"
	"io/fs"
	"log/slog"
	"testing"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/assets"
	"github.com/stackworld/stackworld/world"
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

func build(tb testing.TB, data []byte, name string) *world.World {
	tb.Helper()
	w, _, err := actors.Origin{Default: data, DefaultName: name, Seed: 1}.Open(Quiet())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.Close)
	return w
}
