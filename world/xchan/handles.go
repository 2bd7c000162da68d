package xchan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stackworld/stackworld/world"
)

// CheckHandles reports the cross-zone channel handles in w, the world of zone local, that
// reach no zone: named channels "xchan.<peer>.<name>" that none of links (w's open
// links) declares, and "xchan.<local>.<name>" channels, which name w's own zone. Such channels come with
// entities migrated in holding handles (world.Import maps a named channel by name, see
// the package documentation); a tasklet that sends or receives on one waits forever.
// Call it after an Import, before the next tick (on a world/cluster zone, from
// Config.Boundary, which runs after the step's imports). It returns nil if there are none,
// otherwise an error naming each channel and what to do. Cost: O(channels of w).
func CheckHandles(w *world.World, local string, links ...*Link) error {
	declared := map[string]bool{}
	for _, l := range links {
		for _, c := range l.chans {
			if c.declared {
				declared[localName(l.cfg.Peer, c.st.Name)] = true
			}
		}
	}
	var errs []error
	w.Channels(func(ci world.ChannelInfo) bool {
		rest, ok := strings.CutPrefix(ci.Name, "xchan.")
		if ci.Mailbox || !ok || strings.HasPrefix(rest, "link.") || declared[ci.Name] {
			return true
		}
		peer, name, _ := strings.Cut(rest, ".")
		if peer == local {
			errs = append(errs, fmt.Errorf("xchan: zone %s: channel %q (%d) is another zone's end of its link to this zone: a handle that came with a migrated entity, reaching no zone here (move the entity back, or give it a channel of this zone)", local, ci.Name, ci.Channel.ID()))
			return true
		}
		errs = append(errs, fmt.Errorf("xchan: zone %s: channel %q (%d) is not declared on a link to %s here: a handle that came with a migrated entity (Open a link to %s and declare %q with Out, In or Both, as the zone it came from did)", local, ci.Name, ci.Channel.ID(), peer, peer, name))
		return true
	})
	return errors.Join(errs...)
}
