// Package globalrand draws from global random sources.
package globalrand

import (
	crand "crypto/rand"
	oldrand "math/rand"
	"math/rand/v2"
)

// Roll uses package-level functions of every random package.
func Roll() int {
	n := rand.IntN(6)                  // want "global-rand"
	n += int(rand.Float64())           // want "global-rand"
	n += rand.N(10)                    // want "global-rand"
	rand.Shuffle(3, func(i, j int) {}) // want "global-rand"
	n += oldrand.Intn(6)               // want "global-rand"
	_, _ = crand.Read(make([]byte, 8)) // want "global-rand"
	f := oldrand.Float64               // want "global-rand"
	return n + int(f())
}

// Seeded uses constructors and methods only: no findings.
func Seeded(seed uint64) int {
	r := rand.New(rand.NewPCG(seed, 1))
	c := rand.New(rand.NewChaCha8([32]byte{}))
	old := oldrand.New(oldrand.NewSource(int64(seed)))
	return r.IntN(6) + c.IntN(6) + old.Intn(6) + int(rand.NewZipf(r, 2, 1, 10).Uint64())
}
