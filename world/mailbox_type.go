package world

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/stackworld/stackworld/sim"
)

// Mailbox types. A saved mailbox's messages are untyped (a snapshot does not record M), so
// a mailbox comes out of a load or an import as a loaded queue, typed on first use. Where
// the world can tell M at the load or the import — from a typed handle (Mailbox[M]) that
// refers to the mailbox in its owner's data, from an entity's AoI notify mailbox
// (Mailbox[AoIEvent]) or a monitor's (Mailbox[Exit]) — it converts the messages then, and
// refuses a message that does not fit M with an error naming the mailbox, the message's
// index and both types, instead of leaving a mailbox that no typed use can read.

// boxType is what a Mailbox[M] knows of M, for a mailbox reached through a handle whose M
// only reflection sees.
type boxType interface {
	// typedQueue returns q's messages converted to M, or an error naming the first that
	// does not fit (its index and both types).
	typedQueue(q *loaded) (mailQueue, error)
	msgType() reflect.Type
}

func (Mailbox[M]) msgType() reflect.Type { return reflect.TypeFor[M]() }

func (Mailbox[M]) typedQueue(q *loaded) (mailQueue, error) {
	tq := &queue[M]{mailInfo: mailInfo{owner: q.owner, name: q.name}, items: make([]M, 0, len(q.vals))}
	for i, v := range q.vals {
		m, err := convert[M](v)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		tq.items = append(tq.items, m)
	}
	return tq, nil
}

var (
	boxTypeIface = reflect.TypeFor[boxType]()
	worldPkg     = reflect.TypeFor[World]().PkgPath()
	// boxTypes caches, by type, the boxType of a Mailbox[M] type (nil for other types).
	boxTypes sync.Map // reflect.Type -> boxType
)

// boxTypeOf returns the boxType of t if t is a Mailbox[M], else nil.
func boxTypeOf(t reflect.Type) boxType {
	if v, ok := boxTypes.Load(t); ok {
		b, _ := v.(boxType) // nil: not a mailbox type
		return b
	}
	var b boxType
	if t.Kind() == reflect.Struct && t.PkgPath() == worldPkg && strings.HasPrefix(t.Name(), "Mailbox[") && t.Implements(boxTypeIface) {
		b = reflect.Zero(t).Interface().(boxType)
	}
	boxTypes.Store(t, b)
	return b
}

// boxTypeSet gathers the types of the mailbox handles met in a walk: a mailbox that two
// handles of different types refer to gets none (its first typed use decides, as before).
type boxTypeSet map[sim.ChanID]boxType

// add records that a handle of type b refers to mailbox id.
func (s boxTypeSet) add(id sim.ChanID, b boxType) {
	if had, ok := s[id]; ok && had != nil && had.msgType() != b.msgType() {
		b = nil
	}
	s[id] = b
}

// of returns mailbox id's type, or nil if no handle, or handles of two types, name it.
func (s boxTypeSet) of(id sim.ChanID) boxType { return s[id] }

// walk adds the mailbox handles in the value v addresses (see mapHandles), which it does not change.
func (s boxTypeSet) walk(v reflect.Value) error {
	return handleWalker{f: keepHandle, box: s.add}.walk(v, 0)
}

// walkTasklet adds the mailbox handles in t's frames and value slot.
func (s boxTypeSet) walkTasklet(t *sim.Tasklet) error {
	var err error
	k := 0
	t.Frames(func(fr sim.Frame, _ sim.PC) bool {
		if err = s.walk(reflect.ValueOf(&fr).Elem()); err != nil {
			err = fmt.Errorf("tasklet %d, frame %d (%T): %w", t.ID(), k, fr, err)
		}
		k++
		return err == nil
	})
	if v := t.TempVal(); err == nil && v != nil {
		err = s.walk(reflect.ValueOf(&v).Elem())
	}
	return err
}

func keepHandle(id sim.ChanID) (sim.ChanID, error) { return id, nil }

var (
	aoiBox  boxType = Mailbox[AoIEvent]{}
	exitBox boxType = Mailbox[Exit]{}
)

// ---- restore ----

// mailboxQueues returns the queues of the saved mailboxes by id, each typed if the
// snapshot tells its type (see the notes above), else as loaded; or an error naming the
// first message that does not fit its mailbox's type. Only mailboxes that hold messages
// are looked at: the owner's tasklet is walked for those that neither an entity's notify
// nor a monitor names, so the cost is O(messages + the frames of their owners' tasklets).
func (chk *snapshotCheck) mailboxQueues() (map[sim.ChanID]mailQueue, error) {
	st := chk.st
	out := make(map[sim.ChanID]mailQueue, len(st.Mailboxes))
	types := boxTypeSet{}
	known := false
	for _, m := range st.Mailboxes {
		out[m.ID] = &loaded{vals: m.Values, mailInfo: mailInfo{owner: m.Owner, name: m.Name}}
		if len(m.Values) > 0 && !known {
			chk.knownBoxTypes(types)
			known = true
		}
	}
	walked := map[sim.ID]bool{}
	for _, m := range st.Mailboxes {
		if len(m.Values) == 0 {
			continue
		}
		if _, ok := types[m.ID]; !ok {
			if err := chk.walkOwner(m.Owner, types, walked); err != nil {
				return nil, fmt.Errorf("mailbox %d (%q): owner %d: %w", m.ID, m.Name, m.Owner, err)
			}
		}
		b := types.of(m.ID)
		if b == nil {
			continue // no typed handle names it: typed on first use
		}
		q, err := b.typedQueue(out[m.ID].(*loaded))
		if err != nil {
			return nil, fmt.Errorf("mailbox %d (%q): %w", m.ID, m.Name, err)
		}
		out[m.ID] = q
	}
	return out, nil
}

// knownBoxTypes adds the types the world section itself gives: notify mailboxes receive
// AoIEvents, monitors' mailboxes Exits.
func (chk *snapshotCheck) knownBoxTypes(types boxTypeSet) {
	for _, id := range chk.st.Entities.Notify {
		if id != 0 {
			types.add(id, aoiBox)
		}
	}
	for _, m := range chk.st.Monitors {
		types.add(m.Mailbox, exitBox)
	}
}

// walkOwner adds the mailbox handles in the frames of entity owner's tasklet (once per
// tasklet; nothing for an owner that is gone or has no tasklet).
func (chk *snapshotCheck) walkOwner(owner EntityID, types boxTypeSet, walked map[sim.ID]bool) error {
	row, ok := chk.idx.get(owner)
	if !ok {
		return nil
	}
	tid := chk.st.Entities.Tasklet[row]
	t := chk.tasklets[tid]
	if t == nil || walked[tid] {
		return nil
	}
	walked[tid] = true
	return types.walkTasklet(t)
}
