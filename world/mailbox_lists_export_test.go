package world

import (
	"fmt"

	"github.com/stackworld/stackworld/sim"
)

// MailLists returns w's mailbox ids in creation order, checking first that the queue list
// runs beside them: each queue is the one the map holds for its id and knows its place.
func MailLists(w *World) ([]sim.ChanID, error) {
	if len(w.mailQs) != len(w.mailIDs) || len(w.mail) != len(w.mailIDs) {
		return nil, fmt.Errorf("%d ids, %d queues, %d in the map", len(w.mailIDs), len(w.mailQs), len(w.mail))
	}
	for i, id := range w.mailIDs {
		if q := w.mailQs[i]; q != w.mail[id] || q.info().slot != i {
			return nil, fmt.Errorf("mailbox %d at %d: queue %p (slot %d), the map's %p", id, i, q, q.info().slot, w.mail[id])
		}
	}
	return w.mailIDs, nil
}
