package cluster_test

import (
	"testing"

	"github.com/stackworld/stackworld/sim/detcheck"
)

// The package reads no wall clock, starts no goroutine and walks no map where that could
// decide what a world does, unless the line says why not.
func TestDeterministicSource(t *testing.T) { detcheck.AssertDeterministic(t, ".") }
