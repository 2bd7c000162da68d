package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stackworld/stackworld/actors"
	"github.com/stretchr/testify/require"
)

func TestLiveTerminalKeepsLogLinesApart(t *testing.T) {
	var buf bytes.Buffer
	term := &liveTerminal{w: &buf}
	log := slog.New(slog.NewTextHandler(term, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	log.Info("before")
	term.setLine("tick 1")
	log.Warn("between")
	term.setLine("tick 2")
	term.end()
	log.Info("after")
	require.Equal(t, "level=INFO msg=before\n"+
		"\r\x1b[Ktick 1"+
		"\r\x1b[Klevel=WARN msg=between\ntick 1"+
		"\r\x1b[Ktick 2\n"+
		"level=INFO msg=after\n", buf.String())
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// TestPlannedFailuresAreLoggedAtDebugAndCounted: a failure with an actors.FlakyError and
// the supervisor's lines about the same tasklet go to debug level; a real bug's lines, and
// a supervisor line that only quotes a planned failure's text, keep their level.
func TestPlannedFailuresAreLoggedAtDebugAndCounted(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var buf bytes.Buffer
		h := newPlannedFilter(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level, ReplaceAttr: dropTime}))
		log := slog.New(h)
		planned := &actors.FlakyError{Trader: 7, Corr: 3}
		log.Warn("tasklet failed", "tasklet", uint64(5), "err", planned)
		log.Info("supervisor restarts child", "tasklet", uint64(5), "err", planned.Error())
		log.Warn("tasklet failed", "tasklet", uint64(6), "err", errors.New("a real bug"))
		log.Info("supervisor restarts child", "tasklet", uint64(6), "err", "a real bug")
		log.Info("supervisor restarts child", "tasklet", uint64(9), "err", planned.Error())
		log.With("zone", 1).Warn("tasklet failed", "tasklet", uint64(8), "err", &actors.FlakyError{Trader: 8})
		require.Equal(t, uint64(2), h.count())
		want := `level=WARN msg="tasklet failed" tasklet=6 err="a real bug"` + "\n" +
			`level=INFO msg="supervisor restarts child" tasklet=6 err="a real bug"` + "\n" +
			`level=INFO msg="supervisor restarts child" tasklet=9 err="actors: trader 7 dropped request 3 (a planned failure: fail_one_in in the scenario)"` + "\n"
		if level == slog.LevelDebug {
			want = `level=DEBUG msg="tasklet failed" tasklet=5 err="actors: trader 7 dropped request 3 (a planned failure: fail_one_in in the scenario)"` + "\n" +
				`level=DEBUG msg="supervisor restarts child" tasklet=5 err="actors: trader 7 dropped request 3 (a planned failure: fail_one_in in the scenario)"` + "\n" +
				want + `level=DEBUG msg="tasklet failed" zone=1 tasklet=8 err="actors: trader 8 dropped request 0 (a planned failure: fail_one_in in the scenario)"` + "\n"
		}
		require.Equal(t, want, buf.String())
	}
}

// TestPlannedFailuresAreRememberedBoundedly: the filter remembers the last plannedKept
// planned failures, the oldest giving way.
func TestPlannedFailuresAreRememberedBoundedly(t *testing.T) {
	var buf bytes.Buffer
	h := newPlannedFilter(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	log := slog.New(h)
	for id := range uint64(plannedKept + 2) {
		log.Warn("tasklet failed", "tasklet", id+1, "err", &actors.FlakyError{})
	}
	require.Len(t, h.planned.ids, plannedKept)
	for _, id := range []uint64{1, 2, 3, plannedKept + 2} {
		log.Info("supervisor restarts child", "tasklet", id)
	}
	require.Equal(t, "level=INFO msg=\"supervisor restarts child\" tasklet=1\n"+
		"level=INFO msg=\"supervisor restarts child\" tasklet=2\n", buf.String())
}

func TestAFirstRunLooksClean(t *testing.T) {
	code, _, stderr := runIt(t, context.Background(), "--scenario", small(t), "--ticks", "400", "--progress", "1000")
	require.Equal(t, 0, code, stderr)
	// The small scenario's traders fail so often that their supervisor gives up now and
	// then: those escalations stay visible; the planned failures themselves do not.
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "supervisor restarts child") {
			require.Contains(t, line, "escalating")
		}
	}
	require.NotRegexp(t, `child="trader-\d+"`, stderr, "a trader's planned failure and its restart are at debug level")
	require.Regexp(t, `msg="planned failures \(fail_one_in in the scenario\) were logged at debug level" count=[1-9]\d*\n$`, stderr)
}

// TestPlannedFailuresMatchTheLastKept: with ids repeated and the ring overwritten many
// times over, the filter knows a tasklet id exactly when it is among the last plannedKept
// planned failures (what a scan of the ring, the filter's former way, answers), and its
// set holds no more ids than the ring.
func TestPlannedFailuresMatchTheLastKept(t *testing.T) {
	p := newPlannedFilter(slog.DiscardHandler).planned
	rng := rand.New(rand.NewPCG(1, 2))
	var last []uint64 // the model: every planned failure, newest last
	record := func(tasklet uint64, flaky bool) slog.Record {
		r := slog.NewRecord(time.Time{}, slog.LevelInfo, "supervisor restarts child", 0)
		r.AddAttrs(slog.Uint64("tasklet", tasklet))
		if flaky {
			r.AddAttrs(slog.Any("err", &actors.FlakyError{}))
		}
		return r
	}
	for step := range 5 * plannedKept {
		id := rng.Uint64N(3*plannedKept) + 1
		if rng.IntN(2) == 0 {
			last = append(last, id)
			require.True(t, p.about(record(id, true)))
			continue
		}
		want := slices.Contains(last[max(0, len(last)-plannedKept):], id)
		require.Equal(t, want, p.about(record(id, false)), "step %d, tasklet %d", step, id)
	}
	require.Greater(t, len(last), 2*plannedKept, "the ring was overwritten")
	require.LessOrEqual(t, len(p.kept), plannedKept)
}

// BenchmarkPlannedFailureLookup is the filter's look-up of a supervisor line's tasklet in
// a full ring of planned failures, absent (the common case: a real bug's line).
func BenchmarkPlannedFailureLookup(b *testing.B) {
	p := newPlannedFilter(slog.DiscardHandler).planned
	for id := range uint64(plannedKept) {
		p.remember(id + 1)
	}
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "supervisor restarts child", 0)
	r.AddAttrs(slog.Uint64("tasklet", plannedKept+1))
	for b.Loop() {
		if p.about(r) {
			b.Fatal("not a planned failure")
		}
	}
}
