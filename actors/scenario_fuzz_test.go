package actors_test

import (
	"io/fs"
	"log/slog"
	"testing"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/assets"
	"github.com/stackworld/stackworld/world"
)

// fuzzBuildCount is how many entities of each kind the fuzzer builds from an accepted
// scenario (the counts are checked by ParseScenario; building thousands would be slow).
const fuzzBuildCount = 8

// FuzzParseScenario parses mutated copies of the embedded scenarios: ParseScenario must
// refuse with an error or accept a scenario that builds (with each count cut to
// fuzzBuildCount) and ticks without a failure escaping as a panic.
func FuzzParseScenario(f *testing.F) {
	f.Add(assets.DefaultScenario())
	if small, err := fs.ReadFile(assets.FS(), "scenarios/small.json"); err == nil {
		f.Add(small)
	}
	f.Add([]byte(tinyScenario))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := actors.ParseScenario(data)
		if err != nil {
			return
		}
		if n := sc.Entities(); n < 0 || n > actors.MaxScenarioEntities {
			t.Fatalf("accepted a scenario of %d entities", n)
		}
		for i := range sc.Kinds {
			sc.Kinds[i].Count = min(sc.Kinds[i].Count, fuzzBuildCount)
		}
		w, err := actors.BuildWorld(sc, 0, world.Config{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return
		}
		defer w.Close()
		for range 3 {
			if err := w.Tick(); err != nil {
				t.Fatalf("tick %d: %v", w.Now(), err)
			}
		}
	})
}
