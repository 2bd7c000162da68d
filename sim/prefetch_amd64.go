//go:build !purego

package sim

// prefetchRing prefetches, for the ring positions from..to-1 (masked), the frame behind
// each tasklet (frames) or the tasklet itself: its two halves, for a Tasklet that does not
// start a cache line. It returns 0 (prefetchRingGo returns what its loads read).
//
//go:noescape
func prefetchRing(buf []*Tasklet, from, to, mask uint32, frames bool) taskletFlags
