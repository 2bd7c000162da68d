package actors_test

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/world"
)

// Hostile scenario numbers are refused by ParseScenario, never allocated or wrapped.
func TestScenarioRefusesHostileNumbers(t *testing.T) {
	for _, c := range []struct{ kinds, want string }{
		{`{"name": "a", "count": 4611686018427387904, "behaviour": "wander"}, {"name": "b", "count": 4611686018427387904, "behaviour": "wander"}, {"name": "c", "count": 4611686018427387904, "behaviour": "wander"}, {"name": "d", "count": 4611686018427387904, "behaviour": "wander"}`,
			`scenario: kind "a": count 4611686018427387904, more than the limit of 4000000 entities`},
		{`{"name": "g", "count": 1, "behaviour": "patrol", "route": 1099511627776}`,
			`scenario: kind "g": route 1099511627776 out of range (0 to 1024 waypoints)`},
	} {
		_, err := actors.ParseScenario([]byte(`{"name": "x", "map": {"width": 256, "height": 256, "cell": 32}, "kinds": [` + c.kinds + `]}`))
		require.EqualError(t, err, c.want)
	}
}

// A patrol span past the map's edge (up to the largest int32) builds a route inside the map.
func TestScenarioHugeSpanBuilds(t *testing.T) {
	sc, err := actors.ParseScenario([]byte(`{"name": "x", "map": {"width": 256, "height": 256, "cell": 32}, "kinds": [
		{"name": "g", "count": 3, "behaviour": "patrol", "route": 4, "span": 2147483647}]}`))
	require.NoError(t, err)
	w, err := actors.BuildWorld(sc, 0, world.Config{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Tick())
}
