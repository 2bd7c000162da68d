package server_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// logOf returns an input log starting at tick 0 made of records, each the fields of one
// CBOR array ([1, tick, client, seq, payload] an input, [2, tick] the end).
func logOf(t *testing.T, records ...[]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, r := range append([][]any{{0, "stackworld-inputs", 1, 0}}, records...) {
		b, err := cbor.Marshal(r)
		require.NoError(t, err)
		buf.Write(b)
	}
	return buf.Bytes()
}

// replayTicks replays log on a fresh world up to toTick (0: where the log says) and
// returns the ticks it ran and Replay's error.
func replayTicks(t *testing.T, log []byte, toTick uint64) ([]uint64, error) {
	t.Helper()
	l, err := server.ReadLog(bytes.NewReader(log))
	require.NoError(t, err)
	var ticks []uint64
	err = server.Replay(newWorld(t, 2), l, teleport(2), toTick, func(w *world.World) error {
		ticks = append(ticks, w.Now())
		return nil
	})
	return ticks, err
}

// A corrupt tick (here 2^40, as a flipped bit makes it) is refused, naming its record,
// before the replay ticks toward it, whether an input or the end record names it; with an
// explicit last tick the same log replays.
func TestReplayRefusesAGapOverMaxReplayGap(t *testing.T) {
	const huge = 1 << 40
	in := func(tick uint64) []any { return []any{1, tick, 1, tick, []byte("9 9")} }
	for _, c := range []struct {
		name string
		log  []byte
		want string
	}{
		{"input", logOf(t, in(2), in(huge), []any{2, huge + 3}),
			"server: input log: record 2: input names tick 1099511627776, 1099511627774 ticks after tick 2, more than a replay runs toward without an explicit last tick (MaxReplayGap 1048576): " +
				"a corrupt tick? If the recorded run truly had no input for that long, replay to an explicit tick"},
		{"end", logOf(t, in(2), []any{2, huge}),
			"server: input log: record 2: the end record names tick 1099511627776, 1099511627774 ticks after tick 2, more than a replay runs toward"},
		{"first input", logOf(t, in(server.MaxReplayGap+1)),
			"server: input log: record 1: input names tick 1048577, 1048577 ticks after tick 0, more than"},
	} {
		ticks, err := replayTicks(t, c.log, 0)
		var le *server.LogError
		require.True(t, errors.As(err, &le), "%s: %v", c.name, err)
		require.ErrorContains(t, err, c.want, c.name)
		if c.name != "first input" {
			require.Equal(t, []uint64{1}, ticks, c.name) // tick 2's batch ends where the bad record is read
		} else {
			require.Empty(t, ticks)
		}
		ticks, err = replayTicks(t, c.log, 5)
		require.NoError(t, err, c.name)
		require.Equal(t, []uint64{1, 2, 3, 4, 5}, ticks, c.name)
	}
}

// A gap of MaxReplayGap ticks is a log's to take; the gap is measured from the tick the
// replay starts at, not from the log's start, for a snapshot taken later in the run.
func TestReplayMeasuresTheGapFromItsStart(t *testing.T) {
	w := newWorld(t, 2)
	for range 3 {
		require.NoError(t, w.Tick())
	}
	l, err := server.ReadLog(bytes.NewReader(logOf(t, []any{1, uint64(3 + server.MaxReplayGap), 1, 1, []byte("9 9")})))
	require.NoError(t, err)
	err = server.Replay(w, l, teleport(2), 0, func(w *world.World) error {
		if w.Now() == 5 {
			return errStop // the gap was accepted: no need to tick a million times
		}
		return nil
	})
	require.ErrorIs(t, err, errStop)
}

var errStop = errors.New("stop")

// A log whose input names a tick far past the one before, as a flipped bit makes it, is
// refused before Replay ticks toward it; a replay to an explicit tick runs.
func ExampleGapError() {
	w, _ := world.New(world.Config{Seed: 3, Width: 128, Height: 128, Logger: quiet()})
	defer w.Close()
	var log bytes.Buffer
	for _, rec := range [][]any{{0, "stackworld-inputs", 1, 0}, {1, 2, 1, 1, []byte("move")}, {1, uint64(1) << 40, 1, 2, []byte("move")}} {
		b, _ := cbor.Marshal(rec)
		log.Write(b)
	}
	l, _ := server.ReadLog(bytes.NewReader(log.Bytes()))
	err := server.Replay(w, l, func(*world.World, []server.Input) error { return nil }, 0, nil)
	var ge *server.GapError
	fmt.Println(errors.As(err, &ge), ge.Tick, ge.From, w.Now())
	// Output:
	// true 1099511627776 2 1
}
