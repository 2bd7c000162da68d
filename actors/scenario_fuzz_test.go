package actors_test

import (
	"encoding/json"
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
		buildAndTick(t, sc, 3)
	})
}

// FuzzScenarioNumbers sets the numbers of a small scenario from the fuzzer (the byte
// mutations of FuzzParseScenario rarely reach a valid number in every field): an accepted
// scenario builds, with each count cut to fuzzBuildCount, and ticks.
func FuzzScenarioNumbers(f *testing.F) {
	f.Add(int32(256), int32(256), int32(32), uint32(100), int32(0), 20, int32(2), int32(16), int32(4), 4, int32(100), 10, 4, uint32(40))
	f.Add(int32(1), int32(1), int32(1), uint32(1), int32(-1), 1, int32(1000), int32(4096), int32(-5), 1024, int32(2147483647), -1, -7, uint32(1))
	f.Fuzz(func(t *testing.T, width, height, cell int32, budget uint32, interestCap int32, count int, speed, sight, crowd int32, route int, span int32, askEvery, timeout int, failOneIn uint32) {
		sc := &actors.Scenario{Name: "n", Map: actors.MapSpec{Width: width, Height: height, Cell: cell}, TickBudget: budget, InterestCap: interestCap,
			Kinds: []actors.KindSpec{
				{Name: "sheep", Count: count, Behaviour: "wander", Speed: speed, Sight: sight, Crowd: crowd},
				{Name: "wolf", Count: count, Behaviour: "chase", Prey: "sheep", Speed: speed, Sight: sight, Eat: true, Respawn: true},
				{Name: "guard", Count: count, Behaviour: "patrol", Speed: speed, Route: route, Span: span, Supervise: true},
				{Name: "trader", Count: count, Behaviour: "trader", FailOneIn: failOneIn, Supervise: true},
				{Name: "customer", Count: count, Behaviour: "customer", Trader: "trader", Speed: speed, Sight: sight, AskEvery: askEvery, Timeout: timeout},
			}}
		data, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		if sc, err = actors.ParseScenario(data); err != nil {
			return
		}
		buildAndTick(t, sc, 5)
	})
}

// buildAndTick builds an accepted scenario, each kind's count cut to fuzzBuildCount, and
// runs it for ticks ticks: a world the parser let through must build or refuse cleanly,
// and tick.
func buildAndTick(t *testing.T, sc *actors.Scenario, ticks int) {
	for i := range sc.Kinds {
		sc.Kinds[i].Count = min(sc.Kinds[i].Count, fuzzBuildCount)
	}
	w, err := actors.BuildWorld(sc, 0, world.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return
	}
	defer w.Close()
	for range ticks {
		if err := w.Tick(); err != nil {
			t.Fatalf("tick %d: %v", w.Now(), err)
		}
	}
}
