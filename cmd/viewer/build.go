package main

import (
	"fmt"
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
