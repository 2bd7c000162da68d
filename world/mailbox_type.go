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

// mailboxQueues returns the queues of the saved mailboxes, in st.Mailboxes' order, each
// typed if the snapshot tells its type (see the notes above), else as loaded; or an error
// naming the first message that does not fit its mailbox's type. Only mailboxes that hold
// messages are looked at: one that is neither its owner's notify mailbox nor a monitor's
// has its owner's tasklet walked, so the cost is O(mailboxes + monitors + messages + the
// frames of their owners' tasklets), with no table of all mailboxes.
func (chk *snapshotCheck) mailboxQueues() ([]mailQueue, error) {
	st := chk.st
	out := make([]mailQueue, len(st.Mailboxes))
	var look *boxLookup // made at the first mailbox that holds messages
	for i, m := range st.Mailboxes {
		lq := &loaded{vals: m.Values, mailInfo: mailInfo{owner: m.Owner, name: m.Name}}
		out[i] = lq
		if len(m.Values) == 0 {
			continue
		}
		if look == nil {
			look = chk.newBoxLookup()
		}
		b, err := look.typeOf(m)
		if err != nil {
			return nil, fmt.Errorf("mailbox %d (%q): owner %d: %w", m.ID, m.Name, m.Owner, err)
		}
		if b == nil {
			continue // no typed handle names it: typed on first use
		}
		q, err := b.typedQueue(lq)
		if err != nil {
			return nil, fmt.Errorf("mailbox %d (%q): %w", m.ID, m.Name, err)
		}
		out[i] = q
	}
	return out, nil
}

// boxLookup finds the types of saved mailboxes for mailboxQueues.
type boxLookup struct {
	chk       *snapshotCheck
	monitored map[sim.ChanID]bool // the monitors' mailboxes
	types     boxTypeSet          // the typed handles in the owners' tasklets walked so far
	walked    map[sim.ID]bool     // those tasklets
}

func (chk *snapshotCheck) newBoxLookup() *boxLookup {
	look := &boxLookup{chk: chk, monitored: make(map[sim.ChanID]bool, len(chk.st.Monitors)), types: boxTypeSet{}, walked: map[sim.ID]bool{}}
	for _, m := range chk.st.Monitors {
		look.monitored[m.Mailbox] = true
	}
	return look
}

// typeOf returns saved mailbox m's type: AoIEvent for its owner's notify mailbox, Exit for
// a monitor's, else that of the typed handles to it in its owner's tasklet; nil if none
// tells it or two tell different types.
func (look *boxLookup) typeOf(m MailboxSnapshot) (boxType, error) {
	chk := look.chk
	row, owned := chk.idx.get(m.Owner)
	known := boxTypeSet{}
	if owned && chk.st.Entities.Notify[row] == m.ID {
		known.add(m.ID, aoiBox)
	}
	if look.monitored[m.ID] {
		known.add(m.ID, exitBox)
	}
	if _, ok := known[m.ID]; ok || !owned {
		return known.of(m.ID), nil
	}
	tid := chk.st.Entities.Tasklet[row]
	if t := chk.tasklets[tid]; t != nil && !look.walked[tid] {
		look.walked[tid] = true
		if err := look.types.walkTasklet(t); err != nil {
			return nil, err
		}
	}
	return look.types.of(m.ID), nil
}
