package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

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

func TestPlannedFailuresAreLoggedAtDebugAndCounted(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var buf bytes.Buffer
		n := new(atomic.Uint64)
		log := slog.New(plannedFilter{slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level, ReplaceAttr: dropTime}), n})
		planned := (&actors.FlakyError{Trader: 7, Corr: 3}).Error()
		log.Warn("tasklet failed", "err", planned)
		log.Info("supervisor restarts child", "err", planned)
		log.Warn("tasklet failed", "err", &actors.FlakyError{Trader: 8})
		log.Warn("tasklet failed", "err", "a real bug")
		require.Equal(t, uint64(2), n.Load())
		want := `level=WARN msg="tasklet failed" err="a real bug"` + "\n"
		if level == slog.LevelDebug {
			want = `level=DEBUG msg="tasklet failed" err="actors: trader 7 dropped request 3 (a planned failure: fail_one_in in the scenario)"` + "\n" +
				`level=DEBUG msg="supervisor restarts child" err="actors: trader 7 dropped request 3 (a planned failure: fail_one_in in the scenario)"` + "\n" +
				`level=DEBUG msg="tasklet failed" err="actors: trader 8 dropped request 0 (a planned failure: fail_one_in in the scenario)"` + "\n" + want
		}
		require.Equal(t, want, buf.String())
	}
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
