package server

import (
	"errors"
	"fmt"
	"io"

	"github.com/stackworld/stackworld/world"
)

// Replay runs w, restored from a snapshot, forward with the inputs of an input log, as the
// recorded run did: before each tick it hands that tick's inputs (if any) to deliver, then
// ticks, then calls each. w's tick must be at or after the log's start; inputs for ticks
// already run are skipped. It stops after tick toTick, or, with toTick 0, after the tick
// the log's end record names (or its last input, if the recorded process died). Same
// snapshot, same log, same deliver: the same world at every tick. A bad log stops Replay
// with a *LogError.
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
		batch    []Input
	)
	read := func() error {
		for !havePend && !eof {
			in, err := log.Next()
			switch {
			case errors.Is(err, io.EOF):
				eof = true
			case err != nil:
				return err
			case in.Tick > w.Now():
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
