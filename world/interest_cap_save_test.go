package world_test

import (
	"os"
	"testing"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// cappedWorld is the small scenario with every area of interest capped at capN.
func cappedWorld(t *testing.T, capN int32) *world.World {
	t.Helper()
	sc := smallScenario(t)
	cfg := sc.Config(1)
	cfg.Logger, cfg.InterestCap = quiet(), capN
	w, err := world.New(cfg)
	require.NoError(t, err)
	t.Cleanup(w.Close)
	require.NoError(t, actors.Populate(w, sc))
	return w
}

// TestLoadKeepsInterestCap: a capped world saved and loaded with a config that leaves
// the cap 0 keeps its cap and goes on exactly as the world it was saved from (the cap was
// once not saved: the loaded world saw everything and went another way); a config with
// another cap is refused.
func TestLoadKeepsInterestCap(t *testing.T) {
	codec := world.DefaultCodec()
	w := cappedWorld(t, 8)
	tick(t, w, 10)
	data, err := w.Save(codec)
	require.NoError(t, err)
	l, err := world.Load(codec, data, cfgQuiet())
	require.NoError(t, err)
	defer l.Close()
	require.EqualValues(t, 8, l.Config().InterestCap)
	for range 20 {
		tick(t, w, 1)
		tick(t, l, 1)
		require.Equal(t, w.Checksum(), l.Checksum(), "tick %d", w.Now())
	}
	_, err = world.Load(codec, data, world.Config{InterestCap: 16, Logger: quiet()})
	require.EqualError(t, err, "world: load: config interest cap 16 differs from the saved 8 (leave it 0 to use the saved one)")
	same, err := world.Load(codec, data, world.Config{InterestCap: 8, Logger: quiet()})
	require.NoError(t, err)
	same.Close()
}

// fixtureSchema1Sums are the checksums of ticks 11–15 of the world in
// testdata/world-schema1.cbor (the small scenario, seed 1, interest cap 8, saved at tick
// 10 by a program whose world section had no InterestCap: world schema 1).
var fixtureSchema1Sums = []uint64{0x7963376cc69ff3fd, 0xde34bb4a37f23d20, 0x0dec7b0516e79b06, 0xb35c55f9e19e0919, 0xe87b4b0a43157121}

// TestLoadSchema1TakesTheConfigsCap: a save of world schema 1 recorded no cap; it loads
// with the config's, as such saves always did, and goes on as the world it was saved from.
// Saved again, it records the cap.
func TestLoadSchema1TakesTheConfigsCap(t *testing.T) {
	codec := world.DefaultCodec()
	data, err := os.ReadFile("testdata/world-schema1.cbor")
	require.NoError(t, err)
	_, st, err := codec.Decode(data)
	require.NoError(t, err)
	require.EqualValues(t, world.InterestCapNotSaved, st.InterestCap)

	w, err := world.Load(codec, data, world.Config{InterestCap: 8, Logger: quiet()})
	require.NoError(t, err)
	defer w.Close()
	require.EqualValues(t, 8, w.Config().InterestCap)
	for _, want := range fixtureSchema1Sums {
		tick(t, w, 1)
		require.Equal(t, want, w.Checksum(), "tick %d", w.Now())
	}
	again, err := w.Save(codec)
	require.NoError(t, err)
	_, st, err = codec.Decode(again)
	require.NoError(t, err)
	require.EqualValues(t, 8, st.InterestCap)

	uncapped, err := world.Load(codec, data, cfgQuiet())
	require.NoError(t, err)
	defer uncapped.Close()
	require.EqualValues(t, 0, uncapped.Config().InterestCap)
}

// TestSetInterestCap: the cap of a running world changes on purpose; every set is
// recomputed under the new cap at the next tick's end.
func TestSetInterestCap(t *testing.T) {
	w, ids := crowdWorld(t, 40, 0)
	tick(t, w, 1)
	require.Len(t, w.Visible(ids[0]), 39)
	require.NoError(t, w.SetInterestCap(5))
	tick(t, w, 1)
	require.Len(t, w.Visible(ids[0]), 5)
	require.NoError(t, w.SetInterestCap(0))
	tick(t, w, 1)
	require.Len(t, w.Visible(ids[0]), 39)
	require.EqualError(t, w.SetInterestCap(-1), "world: interest cap -1 out of range [0, 65536]")
	require.EqualError(t, w.SetInterestCap(world.MaxInterestCap+1), "world: interest cap 65537 out of range [0, 65536]")
}
