package xchan_test

import (
	"testing"

	"github.com/stackworld/stackworld/sim/detcheck"
)

func TestDeterministicSource(t *testing.T) { detcheck.AssertDeterministic(t, ".") }
