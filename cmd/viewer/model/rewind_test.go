package model

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/world"
)

// moveInput is the test's input handler: "move <entity> <x> <y>" sets an entity's position.
func moveInput(w *world.World, ins []Input) error {
	for _, in := range ins {
		f := strings.Fields(string(in.Payload))
		if len(f) != 4 || f[0] != "move" {
			return fmt.Errorf("bad input %q", in.Payload)
		}
		id, _ := strconv.Atoi(f[1])
		x, _ := strconv.Atoi(f[2])
		y, _ := strconv.Atoi(f[3])
		w.SetPos(world.EntityID(id), world.Vec{X: int32(x), Y: int32(y)})
	}
	return nil
}

// TestRewindVerified runs 300 ticks of the small scenario with inputs from three clients,
// then rewinds to 17 ticks, each of which must reach the checksum recorded on the way
// forward; then it runs on from a rewound tick and every re-run tick verifies again.
func TestRewindVerified(t *testing.T) {
	w := smallWorld(t)
	tl := &Timeline{Config: quiet(), Every: 25}
	l, err := NewLoop(w, tl, moveInput, 0, true)
	require.NoError(t, err)
	defer l.Close()
	var ids []world.EntityID
	l.View(func(w *world.World) {
		for _, e := range w.Entities() {
			ids = append(ids, e.ID)
		}
	})
	for tick := uint64(1); tick <= 300; tick++ {
		if tick%7 == 0 {
			for client := uint64(3); client >= 1; client-- { // submitted out of order
				e := ids[int(tick)*int(client)%len(ids)]
				payload := fmt.Sprintf("move %d %d %d", e, tick, 100+client)
				require.NoError(t, l.Submit(Input{Tick: tick, Client: client, Seq: tick, Payload: []byte(payload)}))
			}
		}
		require.NoError(t, l.StepWait(1))
	}
	require.Equal(t, uint64(0), tl.First())
	require.Equal(t, uint64(300), tl.Last())
	require.Len(t, tl.log, 3*(300/7))
	require.Equal(t, uint64(1), tl.log[0].Client, "inputs are delivered in (tick, client, seq) order")
	require.Equal(t, uint64(3), tl.log[2].Client)
	snaps, _ := tl.Snapshots()
	require.Equal(t, []uint64{0, 25, 50, 75, 100, 125, 150, 175, 200, 225, 250, 275, 300}, snaps)

	for _, target := range []uint64{299, 0, 1, 7, 13, 14, 24, 25, 26, 99, 150, 151, 176, 200, 263, 280, 300} {
		v, err := l.Rewind(target)
		require.NoError(t, err, "tick %d", target)
		require.True(t, v.Verified, "tick %d: %+v", target, v)
		require.True(t, v.Deep)
		require.Equal(t, target, v.Tick)
		want, _ := tl.SumAt(target)
		require.Equal(t, want, v.Sum)
		l.View(func(w *world.World) { require.Equal(t, target, w.Now()) })
	}
	require.Nil(t, tl.Diverged)

	_, err = l.Rewind(120)
	require.NoError(t, err)
	for range 30 {
		require.NoError(t, l.StepWait(1), "a re-run tick verifies against the record")
	}
	require.Nil(t, tl.Diverged)
	require.Equal(t, uint64(300), tl.Last(), "running on over the recorded ticks keeps the record")

	_, err = l.Rewind(301)
	require.ErrorIs(t, err, ErrNotRecorded)
}

// TestRewindDivergence: a recorded checksum that the re-run does not reach is reported
// loudly, with the first tick that differs.
func TestRewindDivergence(t *testing.T) {
	w := smallWorld(t)
	tl := &Timeline{Config: quiet(), Every: 10}
	l, err := NewLoop(w, tl, nil, 0, true)
	require.NoError(t, err)
	defer l.Close()
	for range 40 {
		require.NoError(t, l.StepWait(1))
	}
	tl.sums[33] ^= 1 // as if tick 33 had gone differently on the way forward
	tl.sums[35] ^= 1
	v, err := l.Rewind(35)
	require.NoError(t, err)
	require.False(t, v.Verified)
	require.Equal(t, uint64(30), v.From)
	require.Equal(t, &Divergence{Tick: 33, Want: tl.sums[33], Got: tl.sums[33] ^ 1}, tl.Diverged)
	require.Equal(t, "!!! DIVERGED at tick 33: rewound to tick 35, checksum "+fmt.Sprintf("%016x", v.Sum)+" differs from the recorded one !!!", RewindText(v, tl.Diverged))
	require.Equal(t, "rewound to tick 9 (from snapshot 0, 9 ticks re-run): verified", RewindText(Verdict{Tick: 9, From: 0, Ran: 9, Verified: true, Deep: true}, nil))
}

// TestTimelineThinning: over the memory limit, the oldest snapshots go first and the first
// and last stay.
func TestTimelineThinning(t *testing.T) {
	w, err := world.New(world.Config{Seed: 1, Logger: quiet().Logger})
	require.NoError(t, err)
	defer w.Close()
	data, err := w.Save(world.DefaultCodec())
	require.NoError(t, err)
	tl := &Timeline{Every: 1, MaxBytes: 6*len(data) + len(data)/2, Sum: func(*world.World) (uint64, error) { return 0, nil }}
	require.NoError(t, tl.Start(w))
	for range 40 {
		require.NoError(t, w.Tick())
		require.NoError(t, tl.Record(w))
	}
	snaps, bytes := tl.Snapshots()
	require.LessOrEqual(t, bytes, tl.MaxBytes)
	require.Equal(t, []uint64{0, 23, 36, 38, 39, 40}, snaps, "spacing grows with age")
}

// TestRewindDeepEvery: with DeepEvery, ticks between deep ones are checked with the cheap
// checksum, and a rewind says which it compared.
func TestRewindDeepEvery(t *testing.T) {
	w := smallWorld(t)
	tl := &Timeline{Config: quiet(), Every: 10, DeepEvery: 5}
	l, err := NewLoop(w, tl, nil, 0, true)
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.StepWait(30))
	deep, _ := tl.SumAt(15)
	cheap, _ := tl.SumAt(17)
	for _, target := range []uint64{15, 17} {
		v, err := l.Rewind(target)
		require.NoError(t, err)
		require.True(t, v.Verified)
		require.Equal(t, target == 15, v.Deep)
		l.View(func(w *world.World) {
			if target == 17 {
				require.Equal(t, w.Checksum(), cheap)
			} else {
				d, err := w.DeepChecksum()
				require.NoError(t, err)
				require.Equal(t, d, deep)
			}
		})
	}
	require.Equal(t, "rewound to tick 17 (from snapshot 10, 7 ticks re-run): verified (cheap checksum: --deep-every)",
		RewindText(Verdict{Tick: 17, From: 10, Ran: 7, Verified: true}, nil))
}
