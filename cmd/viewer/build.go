package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/assets"
	"github.com/stackworld/stackworld/world"
)

// buildWorld loads the snapshot o.load or builds the scenario (the embedded default
// without --scenario), and names its source for the HUD.
func buildWorld(o *options, cfg world.Config) (*world.World, string, error) {
	if o.load != "" {
		w, err := world.LoadFile(world.DefaultCodec(), o.load, cfg)
		if err != nil {
			return nil, "", err
		}
		return w, o.load, nil
	}
	data, name := assets.DefaultScenario(), "embedded "+assets.DefaultScenarioName
	if o.npcs > 0 {
		var err error
		if data, err = scaledScenario(data, o.npcs); err != nil {
			return nil, "", err
		}
		name = fmt.Sprintf("default scenario scaled to %d NPCs", o.npcs)
	}
	if o.scenario != "" {
		var err error
		if data, err = os.ReadFile(o.scenario); err != nil {
			return nil, "", fmt.Errorf("read scenario: %w", err)
		}
		name = o.scenario
	}
	return scenarioWorld(data, name, o.seed, cfg)
}

// scenarioWorld builds the world of a scenario file.
func scenarioWorld(data []byte, name string, seed uint64, cfg world.Config) (*world.World, string, error) {
	sc, err := actors.ParseScenario(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	c := sc.Config(seed)
	cfg.Seed, cfg.Width, cfg.Height, cfg.CellSize, cfg.TickBudget = c.Seed, c.Width, c.Height, c.CellSize, c.TickBudget
	w, err := world.New(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	if err := actors.Populate(w, sc); err != nil {
		w.Close()
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return w, fmt.Sprintf("%s (%q, seed %d)", name, sc.Name, cfg.Seed), nil
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
