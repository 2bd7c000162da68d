package world

import (
	"encoding/binary"
	"fmt"
	"hash/crc64"
	"sync"

	"github.com/stackworld/stackworld/persist"
)

// Two checksums, for two jobs:
//
//   - Checksum is computed at every tick's end in time proportional to the entities: cheap
//     enough for every tick of every run. It covers the entities and the scheduler's
//     counters, not what the tasklets hold, so two worlds whose frames or components differ
//     can agree.
//   - DeepChecksum covers everything a snapshot holds — all that decides what the world does
//     next — and costs a save. Replay, rewind checks and seeded simulation tests use it.

// Checksum returns the checksum of the world at the end of the last tick: FNV-1a over
// little-endian 64-bit words (one multiply per word) of the tick, the scheduler's counters
// and tasklet counts, the RNG state, the entity count and every entity's fields in the
// world's order. Same seed and same inputs give the same checksum at every tick, on every
// machine. It leaves out frame fields, channel queues, timers, mailboxes and components:
// use DeepChecksum to compare those.
func (w *World) Checksum() uint64 { return w.sum }

// DeepChecksum returns a checksum of everything that decides what the world does next: the
// CRC-64 (ECMA) of the snapshot Save would write at this point with the default persist
// options, hard tasklets omitted. The snapshot holds every tasklet with its state, flags,
// tempval and frames (each frame's exported fields and resume point), every channel with
// its preference, flags and queue, the timers, the scheduler's counters, the RNG state, the
// entities, components, named channels, mailboxes with their queued messages, monitors and
// kinds; save → load → save gives the same bytes, so a loaded world has the deep checksum
// of the world it was saved from, and two worlds with equal deep checksums at a tick
// continue alike (up to hard tasklets, which no snapshot holds).
//
// Cost: one Save — time and allocation proportional to the snapshot's size (every tasklet,
// frame, channel, entity and message) — plus one pass of CRC-64 over the bytes. Call it
// between ticks (it fails like Save from a running tasklet, or with a frame or message of
// an unregistered type). Deterministic: same seed and same inputs give the same deep
// checksum at every tick, on every machine.
func (w *World) DeepChecksum() (uint64, error) {
	c, err := deepCodec()
	if err != nil {
		return 0, err
	}
	st, err := w.Snapshot()
	if err != nil {
		return 0, err
	}
	data, _, err := c.Save(w.s, persist.Section{Name: SectionName, Value: st})
	if err != nil {
		return 0, fmt.Errorf("world: deep checksum: %w", err)
	}
	return crc64.Checksum(data, crcTable), nil
}

var (
	crcTable = crc64.MakeTable(crc64.ECMA)
	// deepCodec is the persist codec DeepChecksum encodes with: the defaults, hard tasklets
	// omitted (they cannot be encoded, and a checksum must not fail because one exists).
	deepCodec = sync.OnceValues(func() (*persist.Codec, error) {
		o := persist.DefaultOptions()
		o.HardTasklets = persist.OmitHard
		return o.Codec()
	})
)

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

type hash64 uint64

func (h *hash64) word(v uint64) { *h = (*h ^ hash64(v)) * fnvPrime }

func (w *World) checksum() uint64 {
	h := hash64(fnvOffset)
	st := w.s.Stats()
	h.word(w.s.Now())
	h.word(st.Steps)
	h.word(st.Switches)
	h.word(st.Preempted)
	h.word(st.Spawned)
	h.word(uint64(w.s.RunCount()))
	h.word(w.failed)
	h.word(w.seq)
	var rb [32]byte
	b, _ := w.pcg.AppendBinary(rb[:0]) // "pcg:" + 16 bytes of state; cannot fail
	for len(b) >= 8 {
		h.word(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	var tail [8]byte
	copy(tail[:], b)
	h.word(binary.LittleEndian.Uint64(tail[:]))
	h.word(uint64(len(w.ents)))
	for i := range w.ents {
		e := &w.ents[i]
		h.word(uint64(uint32(e.ID)) | uint64(e.Kind)<<32 | uint64(e.State)<<48)
		h.word(uint64(uint32(e.Pos.X)) | uint64(uint32(e.Pos.Y))<<32)
		h.word(uint64(uint32(e.Vel.X)) | uint64(uint32(e.Vel.Y))<<32)
		h.word(uint64(uint32(e.Interest)) | uint64(uint32(e.Tasklet))<<32)
		h.word(uint64(e.Notify))
		// the high halves of the ids, in a word of their own only when one is not 0, so
		// that worlds of zone 0 below 2^32 ids keep the checksums they always had
		if hi := uint64(e.ID)>>32 | uint64(e.Tasklet)>>32<<32; hi != 0 {
			h.word(hi)
		}
	}
	return uint64(h)
}
