package persist_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// TestSaveLoadSameLimits checks that Save applies exactly the limits Load enforces: random
// worlds and sections around small random limits either fail to save with ErrLimit, or
// save and then load. Each limit is reached and passed.
func TestSaveLoadSameLimits(t *testing.T) {
	passed := map[string]bool{}
	saved := 0
	for seed := range uint64(1500) {
		rng := rand.New(rand.NewPCG(seed, 7))
		opts := persist.Options{
			MaxTasklets: 3 + rng.IntN(5), MaxFrames: 4 + rng.IntN(12), MaxFrameDepth: 2 + rng.IntN(4),
			MaxChannels: 2 + rng.IntN(4), MaxElements: 2 + rng.IntN(5), MaxStringBytes: 4 + rng.IntN(20),
			MaxNesting: 4 + rng.IntN(5), MaxSections: 1 + rng.IntN(3), MaxBytes: 200 + rng.IntN(1500),
		}
		c, err := opts.Codec()
		require.NoError(t, err)
		s, sections := randomWorld(t, rng)
		data, _, err := c.Save(s, sections...)
		if err != nil {
			require.ErrorIs(t, err, persist.ErrLimit, "seed %d", seed)
			passed[limitName(err)] = true
			// Exactly: what Save refuses, Load refuses too (saved without the limits).
			loose := save(t, codec(t), s, sections...)
			_, _, err = c.Load(loose, sim.RestoreOptions{})
			require.Error(t, err, "seed %d: Save refused what Load accepts (options %+v)", seed, opts)
			continue
		}
		saved++
		_, _, err = c.Load(data, sim.RestoreOptions{})
		require.NoError(t, err, "seed %d: Save accepted what Load refuses (options %+v)", seed, opts)
	}
	require.Greater(t, saved, 200)
	for _, name := range []string{"MaxTasklets", "MaxFrames", "MaxFrameDepth", "MaxChannels", "MaxElements",
		"MaxStringBytes", "MaxNesting", "MaxSections", "MaxBytes"} {
		require.True(t, passed[name], "no world passed %s", name)
	}
}

// limitName returns the option an ErrLimit error names.
func limitName(err error) string {
	msg := err.Error()
	i := strings.LastIndex(msg, "(Max")
	if i < 0 {
		panic(fmt.Sprintf("no limit named in %q", msg))
	}
	return strings.FieldsFunc(msg[i+1:], func(r rune) bool { return r == ')' || r == ' ' || r == ':' || r == ';' })[0]
}

// randomWorld spawns a few tasklets (recursions, sleepers, consumers on a few channels)
// and makes a few sections of nested values.
func randomWorld(t testing.TB, rng *rand.Rand) (*sim.Scheduler, []persist.Section) {
	s := sim.NewScheduler(sim.Options{})
	var chans []sim.Chan[any]
	for range rng.IntN(4) {
		chans = append(chans, sim.NewChan[any](s))
	}
	for range rng.IntN(6) {
		switch k := rng.IntN(3); {
		case k == 0:
			s.Spawn(&Rec{N: rng.IntN(4)})
		case k == 1 || len(chans) == 0:
			s.Spawn(&Sleeper{Name: strings.Repeat("s", rng.IntN(8)), Ticks: 1 + rng.IntN(3), N: 5})
		default:
			s.Spawn(&Consumer{Ch: chans[rng.IntN(len(chans))], Name: strings.Repeat("c", rng.IntN(8))})
		}
	}
	require.NoError(t, s.Run())
	var sections []persist.Section
	for i := range rng.IntN(4) {
		sections = append(sections, persist.Section{Name: fmt.Sprint("s", i), Value: randomValue(rng, rng.IntN(9))})
	}
	return s, sections
}

func randomValue(rng *rand.Rand, depth int) any {
	if depth == 0 {
		switch rng.IntN(3) {
		case 0:
			return strings.Repeat("v", rng.IntN(12))
		case 1:
			return int64(rng.IntN(1000))
		}
		return []byte(strings.Repeat("b", rng.IntN(12)))
	}
	switch rng.IntN(3) {
	case 0:
		return &Node{Name: "n", Next: &Node{Name: strings.Repeat("m", rng.IntN(4))}}
	case 1:
		b := &Bag{M: map[string]int{}}
		for i := range rng.IntN(5) {
			b.M[fmt.Sprint(i)] = i
			b.S = append(b.S, strings.Repeat("x", i))
		}
		return b
	}
	tr := &Tree{}
	for range rng.IntN(4) {
		tr.Kids = append(tr.Kids, randomValue(rng, depth-1))
	}
	return tr
}

// Bag holds a map and a slice.
type Bag struct {
	M map[string]int
	S []string
}

func init() { persist.Register[Bag]("ptest.Bag") }
