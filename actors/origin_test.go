package actors_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/actors/actorstest"
	"github.com/stackworld/stackworld/world"
)

const tinyScenario = `{"name": "pen", "seed": 5, "map": {"width": 256, "height": 256, "cell": 32}, "tick_budget": 100,
 "interest_cap": 3, "kinds": [{"name": "sheep", "count": 20, "behaviour": "wander", "speed": 2, "sight": 16}]}`

// TestOriginOpen: a scenario file is built with its own map, budget, interest cap and
// seed (or the seed given); its snapshot resumes with the same checksum.
func TestOriginOpen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pen.json")
	require.NoError(t, os.WriteFile(file, []byte(tinyScenario), 0o644))

	w, source, err := actors.Origin{ScenarioFile: file}.Open(actorstest.Quiet())
	require.NoError(t, err)
	defer w.Close()
	require.Equal(t, file+` ("pen", seed 5)`, source)
	cfg := w.Config()
	require.Equal(t, [5]int64{5, 256, 256, 32, 3}, [5]int64{int64(cfg.Seed), int64(cfg.Width), int64(cfg.Height), int64(cfg.CellSize), int64(cfg.InterestCap)})
	require.Equal(t, uint32(100), cfg.TickBudget)
	require.Equal(t, 20, w.Len())

	w7, source, err := actors.Origin{ScenarioFile: file, Seed: 7}.Open(actorstest.Quiet())
	require.NoError(t, err)
	defer w7.Close()
	require.Equal(t, file+` ("pen", seed 7)`, source)
	require.NotEqual(t, w.Checksum(), w7.Checksum(), "another seed places the sheep elsewhere")

	require.NoError(t, w.Tick())
	snap := filepath.Join(dir, "pen.cbor")
	_, err = w.SaveFile(world.DefaultCodec(), snap)
	require.NoError(t, err)
	// the cap is not in the snapshot (world.Config.InterestCap): give it again
	resumed, source, err := actors.Origin{Snapshot: snap}.Open(world.Config{InterestCap: 3})
	require.NoError(t, err)
	defer resumed.Close()
	require.Equal(t, snap, source)
	require.Equal(t, w.Checksum(), resumed.Checksum())
}

// TestOriginErrors: each step's failure is an *OriginError with that step and a message
// naming the file.
func TestOriginErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	missing := filepath.Join(dir, "missing.json")
	dance := write("dance.json", `{"name": "x", "map": {"width": 64, "height": 64, "cell": 32}, "kinds": [{"name": "a", "count": 1, "behaviour": "dance"}]}`)
	huge := write("huge.json", strings.Repeat(" ", actors.MaxScenarioBytes+1))
	junk := write("junk.cbor", "not a snapshot")
	for _, c := range []struct {
		o    actors.Origin
		step actors.Step
		want string
	}{
		{actors.Origin{}, actors.StepParse, "actors: origin: no snapshot and no scenario: name one"},
		{actors.Origin{ScenarioFile: missing}, actors.StepRead, "read scenario: open " + missing + ": no such file or directory"},
		{actors.Origin{ScenarioFile: huge}, actors.StepRead, fmt.Sprintf("read scenario: %s: larger than the limit of %d bytes for a scenario", huge, actors.MaxScenarioBytes)},
		{actors.Origin{ScenarioFile: dance}, actors.StepParse, dance + `: scenario: kind "a": unknown behaviour "dance" (one of: wander, patrol, chase, flee, trader, customer)`},
		{actors.Origin{Default: []byte(tinyScenario), DefaultName: "built-in", Seed: 1}, 0, ""},
		{actors.Origin{Snapshot: junk, Seed: 3}, actors.StepLoad, "actors: origin: snapshot " + junk + " and a scenario or seed both given: a snapshot already holds its world and random state"},
		{actors.Origin{Snapshot: junk}, actors.StepLoad, "load " + junk + ": "},
	} {
		w, _, err := c.o.Open(actorstest.Quiet())
		if c.step == 0 {
			require.NoError(t, err)
			w.Close()
			continue
		}
		require.Nil(t, w)
		var oe *actors.OriginError
		require.True(t, errors.As(err, &oe), "%v", err)
		require.Equal(t, c.step, oe.Step, "%v", err)
		require.True(t, strings.HasPrefix(err.Error(), c.want), "got %q, want %q", err, c.want)
	}
}

// ExampleOrigin_Open builds a world the way `stackworld run --scenario FILE --seed S` does.
func ExampleOrigin_Open() {
	dir, _ := os.MkdirTemp("", "origin")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "pen.json")
	_ = os.WriteFile(file, []byte(tinyScenario), 0o644)

	w, source, err := actors.Origin{ScenarioFile: file, Seed: 9}.Open(world.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	fmt.Println(strings.TrimPrefix(source, dir+string(filepath.Separator)))
	fmt.Println(w.Len(), "entities, interest cap", w.Config().InterestCap)
	// Output:
	// pen.json ("pen", seed 9)
	// 20 entities, interest cap 3
}
