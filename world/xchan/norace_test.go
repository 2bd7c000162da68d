//go:build !race

package xchan_test

const raceOn = false
