package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// fuzzReplayTicks bounds how far FuzzReplay runs a replay (a log may name any tick).
const fuzzReplayTicks = 40

// replayWorld is the fuzz target's world: two sheep wandering on a 128×128 map.
func replayWorld(tb testing.TB) *world.World {
	w, err := world.New(world.Config{Seed: 3, Width: 128, Height: 128, Logger: quiet()})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 2 {
		w.SpawnEntity(w.Kind("sheep"), world.Vec{X: int32(10 + 30*i), Y: 10}, actors.Wander{Speed: 2}.New)
	}
	return w
}

// teleportAny moves the client's entity to the payload's "x y", as a game's handler would:
// whatever the log says, an unknown entity or a position off the map included.
func teleportAny(w *world.World, inputs []server.Input) error {
	for _, in := range inputs {
		var p world.Vec
		if _, err := fmt.Sscan(string(in.Payload), &p.X, &p.Y); err == nil && w.Alive(world.EntityID(in.Client)) {
			w.SetPos(world.EntityID(in.Client), p)
		}
	}
	return nil
}

// recordedLog is a real input log: a 30-tick run fed inputs by two clients.
func recordedLog(tb testing.TB) []byte {
	w := replayWorld(tb)
	defer w.Close()
	var log bytes.Buffer
	s, err := server.New(w, server.Options{Ticks: 30, Deliver: teleportAny, InputLog: server.NewLogWriter(&log, w.Now())})
	if err != nil {
		tb.Fatal(err)
	}
	for i, in := range []server.Input{
		{Client: 1, Seq: 1, Tick: 3, Payload: []byte("100 100")},
		{Client: 2, Seq: 1, Tick: 3, Payload: []byte("7 9")},
		{Client: 1, Seq: 2, Tick: 10, Payload: []byte("5 120")},
		{Client: 2, Seq: 2, Tick: 20, Payload: []byte("64 64")},
	} {
		if err := s.Submit(in); err != nil {
			tb.Fatalf("input %d: %v", i, err)
		}
	}
	if err := s.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return log.Bytes()
}

// FuzzReplay replays mutated copies of a real input log on the world it was recorded from:
// ReadLog and Replay must refuse a bad log with a *LogError (or stop at a bad tick with an
// error) and never panic; an accepted log replays to a world whose invariants hold. A
// second replay, to where the log says, must refuse a corrupt tick the same way or run
// (stopped by the test after fuzzReplayTicks ticks).
func FuzzReplay(f *testing.F) {
	f.Add(recordedLog(f))
	f.Add([]byte{})
	f.Add(hugeTickLog(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := server.ReadLog(bytes.NewReader(data))
		if err != nil {
			var le *server.LogError
			if !errors.As(err, &le) {
				t.Fatalf("ReadLog refused with %T %v, not a *LogError", err, err)
			}
			return
		}
		w := replayWorld(t)
		defer w.Close()
		if l.Start() > w.Now() {
			return // a snapshot of a later tick would be needed: Replay says so
		}
		err = server.Replay(w, l, teleportAny, w.Now()+fuzzReplayTicks, nil)
		var le *server.LogError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("Replay failed with %v, not a *LogError", err)
		}
		if err := w.Scheduler().CheckInvariants(); err != nil {
			t.Fatal(err)
		}
		replayToTheEnd(t, data)
	})
}

// replayToTheEnd replays data (a log ReadLog accepts) to where the log says (toTick 0) on
// a fresh world, stopping it after fuzzReplayTicks ticks: Replay must refuse a bad log or
// a record past MaxReplayGap with a *LogError, or run.
func replayToTheEnd(t *testing.T, data []byte) {
	l, err := server.ReadLog(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadLog accepted the log once, then refused it: %v", err)
	}
	w := replayWorld(t)
	defer w.Close()
	ticks := 0
	err = server.Replay(w, l, teleportAny, 0, func(*world.World) error {
		if ticks++; ticks == fuzzReplayTicks {
			return errStop
		}
		return nil
	})
	var le *server.LogError
	if err != nil && !errors.Is(err, errStop) && !errors.As(err, &le) {
		t.Fatalf("Replay to the log's end failed with %v, neither a *LogError nor the test's stop", err)
	}
}

// hugeTickLog is recordedLog with its second input's tick made 2^40, as a flipped bit does.
func hugeTickLog(tb testing.TB) []byte {
	var buf bytes.Buffer
	for _, r := range [][]any{{0, "stackworld-inputs", 1, 0}, {1, 3, 1, 1, []byte("100 100")}, {1, uint64(1) << 40, 2, 1, []byte("7 9")}, {2, uint64(1)<<40 + 10}} {
		b, err := cbor.Marshal(r)
		if err != nil {
			tb.Fatal(err)
		}
		buf.Write(b)
	}
	return buf.Bytes()
}
