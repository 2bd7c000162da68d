package debugapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// A server whose next tick waits (BeforeTick answers ErrTickNotReady, as a LockStep zone at
// the barrier does) serves the wait in the frame's JSON: "waiting" names it, "tick_waits"
// counts it once; the client decodes both.
func TestFrameShowsTheWait(t *testing.T) {
	w := smallWorld(t)
	asked := make(chan struct{})
	var once sync.Once
	srv, err := server.New(w, server.Options{BeforeTick: func(ctx context.Context, w *world.World) error {
		once.Do(func() { close(asked) })
		select { // a bounded wait, as the barrier's
		case <-ctx.Done():
		case <-time.After(5 * time.Millisecond):
		}
		return fmt.Errorf("cluster: zone z0: at tick 0 waiting for zone z1 (it announced 0): %w", server.ErrTickNotReady)
	}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	<-asked
	hs := httptest.NewServer(NewHandler(srv, Options{}))
	t.Cleanup(hs.Close)

	resp, err := http.Get(hs.URL + Prefix + "frame")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	var fields map[string]any
	require.NoError(t, json.Unmarshal(body, &fields))
	require.Equal(t, "cluster: zone z0: at tick 0 waiting for zone z1 (it announced 0): server: the tick is not ready", fields["waiting"])
	require.Equal(t, 1.0, fields["tick_waits"])

	f, err := DecodeFrame(bytes.NewReader(body))
	require.NoError(t, err)
	require.Equal(t, fields["waiting"], f.Waiting)
	require.Equal(t, uint64(1), f.TickWaits)
	require.Equal(t, uint64(0), f.Tick)
}

// A frame whose waiting text is longer than MaxTextLen is refused.
func TestFrameRefusesALongWait(t *testing.T) {
	body := `{"width":10,"height":10,"cell":1,"waiting":"` + strings.Repeat("a", MaxTextLen+1) + `"}`
	_, err := DecodeFrame(strings.NewReader(body))
	require.EqualError(t, err, "debugapi: frame: waiting: text of 16385 bytes, more than 16384")
	f, err := DecodeFrame(strings.NewReader(`{"width":10,"height":10,"cell":1,"waiting":"at tick 3"}`))
	require.NoError(t, err)
	require.Equal(t, "at tick 3", f.Waiting)
}
