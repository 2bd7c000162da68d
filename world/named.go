package world

import (
	"maps"
	"slices"

	"github.com/stackworld/stackworld/sim"
)

// Named channels: a world-wide name for a channel, saved with the world. Names are only
// ever added (a named channel is never dropped), so the index by id is current exactly when
// it was built from as many names as there are.

// nameIndex is the named channels by id. A channel has one name: Chan makes a channel per
// new name, and Restore refuses a save that gives one channel two.
type nameIndex struct {
	byID  map[sim.ChanID]string
	names int // len(w.names) when byID was last brought up to date
}

// Chan returns the named channel called name, creating it on first use. Named channels are
// saved with the world, so a loaded world finds them by the same names.
func Chan[V any](w *World, name string) sim.Chan[V] {
	id, ok := w.names[name]
	if !ok {
		id = w.s.NewChannel().ID()
		w.names[name] = id
		if ix := &w.named; ix.byID != nil && ix.names == len(w.names)-1 {
			ix.byID[id], ix.names = name, ix.names+1 // a new channel: its only name
		}
	}
	return sim.ChanOf[V](id)
}

// ChannelName returns the name of channel id (of a named channel, its least name; of a
// mailbox, the mailbox's name), or "". Constant time, after one O(named channels) pass
// when the world was loaded.
func (w *World) ChannelName(id sim.ChanID) string {
	if name, ok := w.namedByID()[id]; ok {
		return name
	}
	if q := w.mail[id]; q != nil {
		return q.Name()
	}
	return ""
}

// namedByID returns the named channels by id (read only), building the index if a name
// was added other than by Chan since it was built (a load, or the first call).
func (w *World) namedByID() map[sim.ChanID]string {
	ix := &w.named
	if ix.byID != nil && ix.names == len(w.names) {
		return ix.byID
	}
	ix.byID = make(map[sim.ChanID]string, len(w.names))
	for name, id := range w.names { // determinism: were a channel to have two names, the least is kept, in any order
		if had, ok := ix.byID[id]; !ok || name < had {
			ix.byID[id] = name
		}
	}
	ix.names = len(w.names)
	return ix.byID
}

// channelNames returns the names of the named channels, sorted. Cost: O(n log n), one
// allocation.
func (w *World) channelNames() []string { return slices.Sorted(maps.Keys(w.names)) }
