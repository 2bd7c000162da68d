//go:build race

package world_test

// raceEnabled: the race detector slows single-goroutine soaks tenfold and finds nothing in
// them; they skip.
const raceEnabled = true
