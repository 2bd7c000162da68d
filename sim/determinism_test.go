package sim_test

import (
	"testing"

	"github.com/stackworld/stackworld/sim/detcheck"
)

// TestDeterministicSource fails on wall-clock reads, global randomness, go statements and
// map ranges in package sim (see detcheck).
func TestDeterministicSource(t *testing.T) { detcheck.AssertDeterministic(t, ".") }
