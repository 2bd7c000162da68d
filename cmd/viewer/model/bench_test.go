package model

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/actors/actorstest"
	"github.com/stackworld/stackworld/world"
)

// BenchmarkRewind measures a rewind 1,000 ticks back in the default world (10,600
// entities) recorded with a snapshot every 50 ticks: load the nearest snapshot, re-run to
// the tick, verify the checksum. Target: ≤ 1 s.
func BenchmarkRewind(b *testing.B) {
	w := actorstest.Default(b)
	tl := &Timeline{Config: quiet(), Every: DefaultSnapshotEvery}
	l, err := NewLoop(w, tl, nil, 0, true)
	require.NoError(b, err)
	defer l.Close()
	const ran, back = 1_049, 1_000 // the target, tick 49, is 24 ticks past a snapshot: the worst case
	require.NoError(b, l.StepWait(ran))
	b.ResetTimer()
	for b.Loop() {
		v, err := l.Rewind(ran - back)
		if err != nil || !v.Verified {
			b.Fatalf("rewind: %v %+v", err, v)
		}
		b.StopTimer()
		l.View(func(w *world.World) { require.Equal(b, uint64(ran-back), w.Now()) })
		_, err = l.Rewind(ran) // back to the end: the next rewind goes 1,000 ticks again
		require.NoError(b, err)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/rewind")
}
