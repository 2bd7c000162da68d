//go:build !amd64 || purego

package sim

// prefetchRing is prefetchRingGo where there is no assembly version.
func prefetchRing(buf []*Tasklet, from, to, mask uint32, frames bool) taskletFlags {
	return prefetchRingGo(buf, from, to, mask, frames)
}
