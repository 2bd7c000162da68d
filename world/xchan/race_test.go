//go:build race

package xchan_test

// raceOn: the race detector is on (it makes copying large values slow).
const raceOn = true
