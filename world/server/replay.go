package server

import (
	"errors"
	"fmt"
	"io"

	"github.com/stackworld/stackworld/world"
)

// MaxReplayGap is the most ticks Replay runs toward a record of the log when the log
// decides where it stops (toTick 0): a record (an input, or the end) whose tick is more than
// MaxReplayGap ticks after the record before it (or after the tick Replay started at) is
// refused as corrupt, since a bit flipped in a tick would otherwise have Replay tick toward
// 2^60. A run that truly went that long without inputs replays with an explicit toTick.
const MaxReplayGap = 1 << 20

// Replay runs w, restored from a snapshot, forward with the inputs of an input log, as the
// recorded run did: before each tick it hands that tick's inputs (if any) to deliver, then
// ticks, then calls each. w's tick must be at or after the log's start; inputs for ticks
// already run are skipped. It stops after tick toTick, or, with toTick 0, after the tick
// the log's end record names (or its last input, if the recorded process died); then a
// record more than MaxReplayGap ticks after the one before is refused with a *LogError
// naming it, before Replay ticks toward it. Same snapshot, same log, same deliver: the
// same world at every tick. A bad log stops Replay with a *LogError.
func Replay(w *world.World, log *LogReader, deliver func(*world.World, []Input) error, toTick uint64, each func(*world.World) error) error {
	if w.Now() < log.Start() {
		return fmt.Errorf("server: replay: the snapshot is at tick %d, before the log's start at tick %d (use a snapshot from tick %d or later)",
			w.Now(), log.Start(), log.Start())
	}
	var (
		pending  Input
		havePend bool
		eof      bool
		lastTick = log.Start()
		from     = w.Now() // the tick the gap to the next record is measured from
		batch    []Input
	)
	read := func() error {
		for !havePend && !eof {
			in, err := log.Next()
			if errors.Is(err, io.EOF) {
				eof = true
				if end, ok := log.End(); ok && toTick == 0 {
					return checkGap(log, "the end record", end, from)
				}
				return nil
			}
			if err != nil {
				return err
			}
			if toTick == 0 {
				if err := checkGap(log, "input", in.Tick, from); err != nil {
					return err
				}
				from = max(from, in.Tick)
			}
			if in.Tick > w.Now() {
				pending, havePend, lastTick = in, true, in.Tick
			}
		}
		return nil
	}
	for {
		next := w.Now() + 1
		if toTick != 0 && next > toTick {
			return nil
		}
		batch = batch[:0]
		for {
			if err := read(); err != nil {
				return err
			}
			if !havePend || pending.Tick != next {
				break
			}
			batch = append(batch, pending)
			havePend = false
		}
		if toTick == 0 && !havePend && eof {
			limit := lastTick
			if end, ok := log.End(); ok {
				limit = end
			}
			if next > limit {
				return nil
			}
		}
		if len(batch) > 0 {
			if err := deliver(w, batch); err != nil {
				return fmt.Errorf("server: replay: deliver %d inputs before tick %d: %w", len(batch), next, err)
			}
		}
		if err := w.Tick(); err != nil {
			return fmt.Errorf("server: replay: tick %d: %w", next, err)
		}
		if each != nil {
			if err := each(w); err != nil {
				return err
			}
		}
	}
}

// checkGap refuses the record the log just read, what naming it, if its tick is more than
// MaxReplayGap ticks after tick from: a *LogError holding a *GapError.
func checkGap(log *LogReader, what string, tick, from uint64) error {
	if tick <= from || tick-from <= MaxReplayGap {
		return nil
	}
	return &LogError{Record: log.n, Err: &GapError{Record: what, Tick: tick, From: from}}
}

// A GapError is what Replay, left to stop where the log says, reports (inside a *LogError,
// which names the record's number) of a record more than MaxReplayGap ticks after tick From.
type GapError struct {
	Record string // "input" or "the end record"
	Tick   uint64 // the tick the record names
	From   uint64 // the tick of the record before, or the tick Replay started at
}

func (e *GapError) Error() string {
	return fmt.Sprintf("%s names tick %d, %d ticks after tick %d, more than a replay runs toward without an explicit last tick (MaxReplayGap %d): "+
		"a corrupt tick? If the recorded run truly had no input for that long, replay to an explicit tick", e.Record, e.Tick, e.Tick-e.From, e.From, MaxReplayGap)
}
