package sim

import (
	"cmp"
	"fmt"
	"slices"
)

// idFIFO is the channel table's free list: for each dropped slot, the id it issues next, in
// the order the slots were dropped (so a slot rests as long as possible before reuse).
type idFIFO struct {
	buf  []ChanID
	head int // buf[head:] are queued
}

func (f *idFIFO) len() int { return len(f.buf) - f.head }

// push appends id. O(1) amortized.
func (f *idFIFO) push(id ChanID) {
	if f.head > 0 && f.head >= len(f.buf)/2 && len(f.buf) == cap(f.buf) {
		n := copy(f.buf, f.buf[f.head:])
		clear(f.buf[n:])
		f.buf, f.head = f.buf[:n], 0
	}
	f.buf = append(f.buf, id)
}

// pop removes and returns the first id; the FIFO must not be empty.
func (f *idFIFO) pop() ChanID {
	id := f.buf[f.head]
	f.head++
	if f.head == len(f.buf) {
		f.buf, f.head = f.buf[:0], 0
	}
	return id
}

// all returns the queued ids, first to be reused first; the caller must not keep it.
func (f *idFIFO) all() []ChanID { return f.buf[f.head:] }

// FreeChans returns the channel table's free list (Image.FreeChans): for each dropped slot
// that will be reused, the id it issues next, first to be reused first. The slice is a
// copy. O(n) in the dropped slots.
func (s *Scheduler) FreeChans() []ChanID { return append([]ChanID(nil), s.freeChans.all()...) }

// channelsByID returns the live channels in id order. O(n log n) in the table's slots.
func (s *Scheduler) channelsByID() []*Channel {
	out := make([]*Channel, 0, len(s.chans))
	for _, ch := range s.chans {
		if ch != noChannel {
			out = append(out, ch)
		}
	}
	byID := func(a, b *Channel) int { return cmp.Compare(a.id, b.id) }
	if !slices.IsSortedFunc(out, byID) {
		slices.SortFunc(out, byID)
	}
	return out
}

// channelStates returns the live channels' states in id order. O(n log n) in the table's
// slots.
func (s *Scheduler) channelStates() []ChannelState {
	var out []ChannelState
	for _, ch := range s.channelsByID() {
		out = append(out, ChannelState{ID: ch.id, Preference: ch.preference, ScheduleAll: ch.scheduleAll, Closing: ch.closing})
	}
	return out
}

// Slot states in checkChanTable.
const (
	slotEmpty = iota
	slotLive
	slotFree
)

// checkChanTable checks an image's channels (in increasing id order) and free list against
// its table size and returns each slot's state (slotEmpty, slotLive, slotFree): one byte a
// slot, so that a loader's memory stays a small multiple of its input.
func checkChanTable(st *ImageTable) ([]uint8, error) {
	inTable := func(id ChanID) bool {
		return id.Slot() != 0 && ChanID(id.Slot()) < st.NextChan && id.Gen() <= MaxChanGen
	}
	slots := make([]uint8, st.NextChan)
	for i, cs := range st.Channels {
		switch {
		case !inTable(cs.ID):
			return nil, &RestoreError{Channel: cs.ID, Problem: fmt.Sprintf("id out of range: slot not in [1, %d) or generation over %d", st.NextChan, MaxChanGen)}
		case slots[cs.ID.Slot()] != slotEmpty:
			return nil, &RestoreError{Channel: cs.ID, Problem: "duplicate channel"}
		case i > 0 && cs.ID < st.Channels[i-1].ID:
			return nil, &RestoreError{Channel: cs.ID, Problem: fmt.Sprintf("channels out of id order (after channel %d)", st.Channels[i-1].ID)}
		case cs.Preference < -1 || cs.Preference > 1:
			return nil, &RestoreError{Channel: cs.ID, Problem: fmt.Sprintf("preference %d not in -1..1", cs.Preference)}
		}
		slots[cs.ID.Slot()] = slotLive
	}
	for _, id := range st.FreeChans {
		switch {
		case !inTable(id) || id.Gen() == 0:
			return nil, &RestoreError{Channel: id, Problem: fmt.Sprintf("free list: id out of range: slot not in [1, %d) or generation not in [1, %d]", st.NextChan, MaxChanGen)}
		case slots[id.Slot()] == slotLive:
			return nil, &RestoreError{Channel: id, Problem: fmt.Sprintf("free list: slot %d holds a channel", id.Slot())}
		case slots[id.Slot()] == slotFree:
			return nil, &RestoreError{Channel: id, Problem: fmt.Sprintf("free list: slot %d listed twice", id.Slot())}
		}
		slots[id.Slot()] = slotFree
	}
	return slots, nil
}

// hasChannel reports whether the image, checked by checkChanTable, has channel id. O(log n).
func (st *ImageTable) hasChannel(id ChanID) bool {
	_, ok := slices.BinarySearchFunc(st.Channels, id, func(cs ChannelState, id ChanID) int { return cmp.Compare(cs.ID, id) })
	return ok
}
