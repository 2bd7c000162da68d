package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/fxamacker/cbor/v2"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// teleport is the tests' Deliver: payload "x y" moves entity client%n+1 (n entities).
func teleport(n int) func(w *world.World, in []server.Input) error {
	return func(w *world.World, in []server.Input) error {
		for _, x := range in {
			var p world.Vec
			if _, err := fmt.Sscan(string(x.Payload), &p.X, &p.Y); err != nil {
				return err
			}
			w.SetPos(world.EntityID(x.Client%uint64(n)+1), p)
		}
		return nil
	}
}

// recorder is a Deliver that remembers what it was handed.
type recorder struct{ got []string }

func (r *recorder) deliver(w *world.World, in []server.Input) error {
	for _, x := range in {
		r.got = append(r.got, fmt.Sprintf("tick %d: client %d seq %d %q", x.Tick, x.Client, x.Seq, x.Payload))
	}
	return nil
}

func TestInputsAreDeliveredInTickClientSeqOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 3)
		var rec recorder
		var logBuf bytes.Buffer
		s, err := server.New(w, server.Options{Paused: true, Deliver: rec.deliver, InputLog: server.NewLogWriter(&logBuf, 0)})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		in := func(client, seq, tick uint64, p string) error {
			return s.Submit(server.Input{Client: client, Seq: seq, Tick: tick, Payload: []byte(p)})
		}
		require.NoError(t, in(2, 5, 2, "b"))
		require.NoError(t, in(1, 9, 2, "a"))
		require.NoError(t, in(1, 3, 2, "c"))
		require.NoError(t, in(3, 1, 0, "next"))
		require.NoError(t, in(1, 1, 3, "later"))
		require.Equal(t, server.ErrDuplicate, in(2, 5, 4, "again"))
		s.Step(1)
		synctest.Wait()
		require.Equal(t, []string{`tick 1: client 3 seq 1 "next"`}, rec.got)
		s.Step(1)
		synctest.Wait()
		require.NoError(t, in(4, 1, 1, "late")) // tick 1 has run: delivered before tick 3
		s.Step(2)
		synctest.Wait()
		require.Equal(t, []string{
			`tick 1: client 3 seq 1 "next"`,
			`tick 2: client 1 seq 3 "c"`, `tick 2: client 1 seq 9 "a"`, `tick 2: client 2 seq 5 "b"`,
			`tick 3: client 4 seq 1 "late"`, `tick 3: client 1 seq 1 "later"`,
		}, rec.got)
		st := s.Stats().Inputs
		require.Equal(t, server.InputStats{Accepted: 6, Delivered: 6, Duplicates: 1, Late: 1}, st)
		cancel()
		require.NoError(t, <-done)

		l, err := server.ReadLog(&logBuf)
		require.NoError(t, err)
		var logged []string
		for {
			x, err := l.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			logged = append(logged, fmt.Sprintf("tick %d: client %d seq %d %q", x.Tick, x.Client, x.Seq, x.Payload))
		}
		require.Equal(t, rec.got, logged)
		end, ok := l.End()
		require.True(t, ok)
		require.Equal(t, uint64(4), end)
	})
}

func TestSubmitRefusesWhatItCannotHold(t *testing.T) {
	w := newWorld(t, 1)
	s, err := server.New(w, server.Options{Deliver: teleport(1), MaxQueued: 3, MaxClients: 2, DedupWindow: 4})
	require.NoError(t, err)
	for seq := uint64(1); seq <= 3; seq++ {
		require.NoError(t, s.Submit(server.Input{Client: 1, Seq: seq, Tick: 5}))
	}
	require.Equal(t, server.ErrQueueFull, s.Submit(server.Input{Client: 1, Seq: 4}))
	require.Equal(t, server.ErrPayloadTooBig, s.Submit(server.Input{Client: 1, Seq: 5, Payload: make([]byte, server.MaxPayload+1)}))

	s2, err := server.New(w, server.Options{Deliver: teleport(1), MaxClients: 2, DedupWindow: 4})
	require.NoError(t, err)
	for seq := uint64(1); seq <= 6; seq++ {
		require.NoError(t, s2.Submit(server.Input{Client: 1, Seq: seq}))
	}
	require.Equal(t, server.ErrDuplicate, s2.Submit(server.Input{Client: 1, Seq: 2}), "below the window: remembered as seen")
	require.Equal(t, server.ErrDuplicate, s2.Submit(server.Input{Client: 1, Seq: 5}))
	require.NoError(t, s2.Submit(server.Input{Client: 2, Seq: 5}))
	require.Equal(t, server.ErrTooManyClients, s2.Submit(server.Input{Client: 3, Seq: 1}))
	s2.Forget(2)
	require.NoError(t, s2.Submit(server.Input{Client: 3, Seq: 1}))
	require.Equal(t, server.InputStats{Accepted: 8, Duplicates: 2, Refused: 1, Queued: 8}, s2.Stats().Inputs)

	s3, err := server.New(w, server.Options{})
	require.NoError(t, err)
	require.Equal(t, server.ErrNoDeliver, s3.Submit(server.Input{}))
}

// TestReplayInAFreshProcessMatchesEveryTick records a run fed by eight goroutines (their
// inputs land on whatever tick the timing gives), then replays the snapshot and the input
// log in a child process and compares the state checksum of every tick.
func TestReplayInAFreshProcessMatchesEveryTick(t *testing.T) {
	const entities, ticks = 40, 150
	dir := t.TempDir()
	w := newWorld(t, entities)
	snap := filepath.Join(dir, "start.cbor")
	_, err := w.SaveFile(world.DefaultCodec(), snap)
	require.NoError(t, err)
	logPath := filepath.Join(dir, "inputs.log")
	lw, err := server.CreateLog(logPath, w.Now(), server.SyncOnClose)
	require.NoError(t, err)
	var sums []string
	after := func(w *world.World) {
		sum, err := w.DeepChecksum()
		if err != nil {
			panic(err)
		}
		sums = append(sums, fmt.Sprintf("tick %d state %016x", w.Now(), sum))
	}
	s, err := server.New(w, server.Options{Ticks: ticks, Deliver: teleport(entities), InputLog: lw, AfterTick: after})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for c := range uint64(8) {
		wg.Go(func() {
			for seq := range uint64(40) {
				p := fmt.Sprintf("%d %d", (c*31+seq*17)%500, (c*7+seq*29)%500)
				tick := uint64(0) // the next tick, whichever it is when the loop takes it
				if seq%2 == 1 {
					tick = seq*3 + c // some for a tick already run: delivered late
				}
				if err := s.Submit(server.Input{Client: c, Seq: seq, Tick: tick, Payload: []byte(p)}); err != nil {
					panic(err)
				}
			}
		})
	}
	require.NoError(t, s.Run(t.Context()))
	wg.Wait()
	require.Len(t, sums, ticks)
	require.Equal(t, uint64(320), s.Stats().Inputs.Delivered+uint64(s.Stats().Inputs.Queued))

	cmd := exec.Command(os.Args[0], "-test.run=^TestReplayChild$", "-test.v")
	cmd.Env = append(os.Environ(), "REPLAY_SNAPSHOT="+snap, "REPLAY_LOG="+logPath, fmt.Sprintf("REPLAY_ENTITIES=%d", entities))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	var replayed []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "tick ") {
			replayed = append(replayed, line)
		}
	}
	require.Equal(t, sums, replayed)
}

// TestReplayChild is the child of TestReplayInAFreshProcessMatchesEveryTick.
func TestReplayChild(t *testing.T) {
	snap, logPath := os.Getenv("REPLAY_SNAPSHOT"), os.Getenv("REPLAY_LOG")
	if snap == "" {
		t.Skip("run by TestReplayInAFreshProcessMatchesEveryTick")
	}
	var entities int
	fmt.Sscan(os.Getenv("REPLAY_ENTITIES"), &entities)
	w, err := world.LoadFile(world.DefaultCodec(), snap, world.Config{Logger: quiet()})
	require.NoError(t, err)
	defer w.Close()
	f, err := os.Open(logPath)
	require.NoError(t, err)
	defer f.Close()
	l, err := server.ReadLog(f)
	require.NoError(t, err)
	err = server.Replay(w, l, teleport(entities), 0, func(w *world.World) error {
		sum, err := w.DeepChecksum()
		fmt.Printf("tick %d state %016x\n", w.Now(), sum)
		return err
	})
	require.NoError(t, err)
}

func TestReplayStopsAtToTick(t *testing.T) {
	w := newWorld(t, 2)
	var buf bytes.Buffer
	s, err := server.New(w, server.Options{Ticks: 20, Deliver: teleport(2), InputLog: server.NewLogWriter(&buf, 0)})
	require.NoError(t, err)
	require.NoError(t, s.Submit(server.Input{Client: 1, Seq: 1, Tick: 5, Payload: []byte("9 9")}))
	require.NoError(t, s.Run(t.Context()))
	twin := newWorld(t, 2)
	l, err := server.ReadLog(&buf)
	require.NoError(t, err)
	var ticks []uint64
	require.NoError(t, server.Replay(twin, l, teleport(2), 7, func(w *world.World) error { ticks = append(ticks, w.Now()); return nil }))
	require.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7}, ticks)
}

func TestReadLogRefusesBadLogsClearly(t *testing.T) {
	rec := func(v ...any) []byte {
		b, err := cbor.Marshal(v)
		require.NoError(t, err)
		return b
	}
	header := rec(0, "stackworld-inputs", 1, 10)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	// A byte string that claims 2^40 bytes, followed by a megabyte: refused without
	// buffering more than a record's bound.
	huge := append([]byte{0x85, 0x01, 0x0b, 0x01, 0x01, 0x5b, 0, 0, 1, 0, 0, 0, 0, 0}, make([]byte, 1<<20)...)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "server: input log: record 0: not an input log: EOF"},
		{"text", []byte("hello world"), "server: input log: record 0: not an input log: "},
		{"other magic", rec(0, "stackworld-outputs", 1, 10), `server: input log: record 0: not an input log (no "stackworld-inputs" header)`},
		{"format", rec(0, "stackworld-inputs", 9, 10), "server: input log: record 0: format 9, this program reads format 1"},
		{"kind", cat(header, rec(7, 1)), "server: input log: record 1: unknown record kind 7"},
		{"fields", cat(header, rec(1, 11, 1)), "server: input log: record 1: an input record has 5 fields, this one 3"},
		{"types", cat(header, rec(1, 11, 1, 1, "text")), "server: input log: record 1: an input record is [1, tick, client, seq, payload bytes]; got uint64 uint64 uint64 string"},
		{"before start", cat(header, rec(1, 10, 1, 1, []byte{})), "server: input log: record 1: input for tick 10 after tick 10 (ticks go up, after the start tick 10)"},
		{"backwards", cat(header, rec(1, 12, 1, 1, []byte{}), rec(1, 11, 1, 2, []byte{})), "server: input log: record 2: input for tick 11 after tick 12 (ticks go up, after the start tick 10)"},
		{"big payload", cat(header, rec(1, 12, 1, 1, make([]byte, server.MaxPayload+1))), "server: input log: record 1: payload of 65537 bytes over 65536 (MaxPayload)"},
		{"huge claim", cat(header, huge), "server: input log: record 1: a record longer than"},
		{"bad end", cat(header, rec(1, 12, 1, 1, []byte{}), rec(2, 11)), "server: input log: record 2: bad end record [2 11] (want [2, tick] with a tick at or after 12)"},
	} {
		l, err := server.ReadLog(bytes.NewReader(c.data))
		for err == nil {
			_, err = l.Next()
		}
		require.ErrorContains(t, err, c.want, c.name)
	}
}
