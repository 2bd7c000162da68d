// Package assets holds the files Stackworld programs embed: the default scenario and other
// scenario files (and, later, fonts and sprites for the viewer).
package assets

import (
	"embed"
	"io/fs"
)

//go:embed scenarios/*.json
var files embed.FS

// DefaultScenarioName is the scenario `stackworld run` uses without --scenario.
const DefaultScenarioName = "scenarios/default.json"

// DefaultScenario returns the default scenario file (JSON; see actors.ParseScenario).
func DefaultScenario() []byte {
	b, err := files.ReadFile(DefaultScenarioName)
	if err != nil {
		panic("assets: " + err.Error()) // embedded at build time: cannot happen
	}
	return b
}

// FS returns the embedded files.
func FS() fs.FS { return files }
