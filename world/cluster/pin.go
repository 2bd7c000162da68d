package cluster

import (
	"fmt"
	"strings"

	"github.com/stackworld/stackworld/world"
)

// crossZonePrefix starts the names of the local ends of cross-zone channels (world/xchan
// names them "xchan.<peer>.<name>").
const crossZonePrefix = "xchan."

// crossZoneWait returns an error wrapping world.ErrPinned if entity id's tasklet is
// blocked on the local end of a cross-zone channel, else nil. Such an entity stays: the
// world would move its wait to the target's channel of the same name, which belongs to
// another link (or none), so its send or receive would never complete. It moves at a
// later tick, once the wait is over. Cost: O(named channels) for a blocked tasklet.
func crossZoneWait(w *world.World, id world.EntityID) error {
	t := w.TaskletOf(id)
	if t == nil || !t.Alive() || !t.Blocked() {
		return nil
	}
	if name := w.ChannelName(t.BlockedOn()); strings.HasPrefix(name, crossZonePrefix) {
		return fmt.Errorf("cluster: migrate entity %d: %w: its tasklet %d waits on cross-zone channel %q "+
			"(it can move once the wait is over)", id, world.ErrPinned, t.ID(), name)
	}
	return nil
}
