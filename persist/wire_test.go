package persist

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stackworld/stackworld/sim/detcheck"
	"github.com/stretchr/testify/require"
)

// TestFloatsAreCoreDet compares the shortest-float encoding with the CBOR library's.
func TestFloatsAreCoreDet(t *testing.T) {
	em, err := cbor.CoreDetEncOptions().EncMode()
	require.NoError(t, err)
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 1.5, 65504, 65505, 1e-5, 5.960464477539063e-08,
		6.103515625e-05, 6.097555160522461e-05, 1e300, math.Inf(1), math.Inf(-1), math.NaN(), 0.1, 3.4028234663852886e38,
		math.SmallestNonzeroFloat64, float64(math.SmallestNonzeroFloat32), 1.401298464324817e-45 * 3}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		switch rng.IntN(3) {
		case 0:
			vals = append(vals, rng.NormFloat64()*math.Pow(2, float64(rng.IntN(80)-40)))
		case 1:
			vals = append(vals, float64(float32(rng.NormFloat64()*math.Pow(2, float64(rng.IntN(60)-30)))))
		default:
			h := uint16(rng.Uint32())
			vals = append(vals, fromHalf(h))
		}
	}
	for _, f := range vals {
		var w writer
		w.float(f)
		want, err := em.Marshal(f)
		require.NoError(t, err)
		require.Equal(t, want, w.b, "%v", f)
		r := reader{b: w.b}
		got := r.float()
		require.Nil(t, r.err)
		if math.IsNaN(f) {
			require.True(t, math.IsNaN(got))
		} else {
			require.Equal(t, math.Float64bits(f), math.Float64bits(got), "%v", f)
		}
	}
}

// TestDeterministicSource fails on wall-clock reads, global randomness, go statements
// and map ranges that do not explain themselves.
func TestDeterministicSource(t *testing.T) { detcheck.AssertDeterministic(t, ".") }
