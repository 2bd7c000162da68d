package main

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/assets"
	"github.com/stackworld/stackworld/world"
)

// buildWorld opens the world of --load, --scenario and --seed (actors.Origin: the embedded
// default without them, scaled to --npcs), and names its source for the HUD.
func buildWorld(o *options, cfg world.Config) (*world.World, string, error) {
	origin := actors.Origin{Snapshot: o.load, ScenarioFile: o.scenario, Seed: o.seed,
		Default: assets.DefaultScenario(), DefaultName: "embedded " + assets.DefaultScenarioName}
	if o.npcs > 0 {
		var err error
		if origin.Default, err = scaledScenario(origin.Default, o.npcs); err != nil {
			return nil, "", err
		}
		origin.DefaultName = fmt.Sprintf("default scenario scaled to %d NPCs", o.npcs)
	}
	return origin.Open(cfg)
}

// scaledScenario returns the scenario data with about n NPCs: every kind's count scaled
// alike (at least one each) and the map's sides by the square root, so the density stays.
func scaledScenario(data []byte, n int) ([]byte, error) {
	sc, err := actors.ParseScenario(data)
	if err != nil {
		return nil, err
	}
	f := float64(n) / float64(max(sc.Entities(), 1))
	side := math.Sqrt(f)
	cell := max(sc.Map.Cell, 1)
	scale := func(v int32) int32 { return max(int32(float64(v)*side)/cell*cell, cell) }
	sc.Map.Width, sc.Map.Height = scale(sc.Map.Width), scale(sc.Map.Height)
	for i := range sc.Kinds {
		sc.Kinds[i].Count = max(int(math.Round(float64(sc.Kinds[i].Count)*f)), 1)
	}
	return json.Marshal(sc)
}
