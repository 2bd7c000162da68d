package actors

import (
	"fmt"
	"io"
	"os"

	"github.com/stackworld/stackworld/world"
)

// An Origin says where a world comes from: a snapshot to resume, or a scenario to build
// with a seed. It is what `stackworld run` and the viewer open from their --load,
// --scenario and --seed flags. The zero value is no world at all (Open refuses it).
type Origin struct {
	// Snapshot is a file saved by World.SaveFile: the world resumes exactly where it was
	// saved, with its own random state. Not with the fields below.
	Snapshot string
	// ScenarioFile is a scenario (JSON, see ParseScenario) to read and build.
	ScenarioFile string
	// Seed is the built world's seed; 0 means the scenario's own.
	Seed uint64
	// Default is the scenario's JSON built when neither Snapshot nor ScenarioFile is given
	// (an embedded default, say); DefaultName names it in errors and in Open's description.
	Default     []byte
	DefaultName string
}

// Step names the part of Origin.Open that failed.
type Step uint8

// The steps of Origin.Open.
const (
	StepLoad  Step = iota + 1 // loading Snapshot
	StepRead                  // reading ScenarioFile
	StepParse                 // parsing and checking the scenario
	StepBuild                 // building the world and populating it
)

// An OriginError is an error of Origin.Open with the step that failed, so that a command
// can suggest the way out (a bad snapshot: inspect it; a bad scenario: compare it with the
// default).
type OriginError struct {
	Step Step
	Err  error
}

func (e *OriginError) Error() string { return e.Err.Error() }
func (e *OriginError) Unwrap() error { return e.Err }

// Open returns the world o names and a description of it for logs and a HUD: the snapshot's
// path, or `NAME ("SCENARIO", seed S)`. cfg gives what a snapshot or scenario does not hold
// (logger, clock, wall budget; see world.Restore); for a scenario its map, tick budget,
// interest cap and seed are replaced by the scenario's (BuildWorld). A scenario file is read
// up to MaxScenarioBytes, so a huge file costs no more memory than the limit. Errors are
// *OriginError; on error nothing is left open. Cost: a snapshot's load, or O(entities) to
// build; deterministic for the same inputs.
func (o Origin) Open(cfg world.Config) (*world.World, string, error) {
	if o.Snapshot != "" {
		if o.ScenarioFile != "" || o.Seed != 0 {
			return nil, "", &OriginError{StepLoad, fmt.Errorf("actors: origin: snapshot %s and a scenario or seed both given: a snapshot already holds its world and random state", o.Snapshot)}
		}
		w, err := world.LoadFile(world.DefaultCodec(), o.Snapshot, cfg)
		if err != nil {
			return nil, "", &OriginError{StepLoad, err}
		}
		return w, o.Snapshot, nil
	}
	data, name := o.Default, o.DefaultName
	if o.ScenarioFile != "" {
		var err error
		if data, err = readScenario(o.ScenarioFile); err != nil {
			return nil, "", &OriginError{StepRead, fmt.Errorf("read scenario: %w", err)}
		}
		name = o.ScenarioFile
	}
	if data == nil {
		return nil, "", &OriginError{StepParse, fmt.Errorf("actors: origin: no snapshot and no scenario: name one")}
	}
	sc, err := ParseScenario(data)
	if err != nil {
		return nil, "", &OriginError{StepParse, fmt.Errorf("%s: %w", name, err)}
	}
	w, err := BuildWorld(sc, o.Seed, cfg)
	if err != nil {
		return nil, "", &OriginError{StepBuild, fmt.Errorf("%s: %w", name, err)}
	}
	return w, fmt.Sprintf("%s (%q, seed %d)", name, sc.Name, w.Config().Seed), nil
}

// readScenario reads the scenario file path, refusing one over MaxScenarioBytes without
// reading more than one byte past the limit.
func readScenario(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxScenarioBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxScenarioBytes {
		return nil, fmt.Errorf("%s: larger than the limit of %d bytes for a scenario", path, MaxScenarioBytes)
	}
	return data, nil
}

// BuildWorld returns a new world for scenario sc, populated (Populate): cfg with the
// scenario's map, tick budget and interest cap, and seed (0: the scenario's own). A world
// that cannot be populated is closed. Cost: O(entities); the same sc, seed and cfg build the
// same world.
func BuildWorld(sc *Scenario, seed uint64, cfg world.Config) (*world.World, error) {
	c := sc.Config(seed)
	cfg.Seed, cfg.Width, cfg.Height, cfg.CellSize = c.Seed, c.Width, c.Height, c.CellSize
	cfg.TickBudget, cfg.InterestCap = c.TickBudget, c.InterestCap
	w, err := world.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := Populate(w, sc); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}
