package xchan_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/xchan"
	"github.com/stretchr/testify/require"
)

// ---- the frames of spec case 20 (and of the other tests) ----

func init() {
	persist.Register[master]("xchan_test.master", "send", "sent")
	persist.Register[slave]("xchan_test.slave", "start", "got")
	persist.Register[party]("xchan_test.party", "start", "op", "done")
}

// outputs holds what the frames print, by the name of their log. Frames name their log in
// a field (they hold no pointers); tests run one at a time.
var outputs = map[string]*[]string{}

func say(t *sim.T, log, format string, args ...any) {
	out := outputs[log]
	if out == nil {
		return
	}
	*out = append(*out, fmt.Sprintf("%d %s", world.Of(t).Now(), fmt.Sprintf(format, args...)))
}

// newLog makes a log for frames to print to and returns it.
func newLog(t testing.TB, name string) *[]string {
	t.Helper()
	out := &[]string{}
	outputs[name] = out
	t.Cleanup(func() { delete(outputs, name) })
	return out
}

// text returns a log's lines without their ticks.
func text(out []string) []string {
	lines := make([]string, len(out))
	for i, l := range out {
		_, lines[i], _ = strings.Cut(l, " ")
	}
	return lines
}

var commands = []string{"ECHO 1", "ECHO 2", "ECHO 3", "QUIT"}

// master is case 20's master_func: it sends the commands.
type master struct {
	Ch sim.Chan[string]
	I  int
}

const (
	mSend sim.PC = iota
	mSent
)

func (f *master) Step(t *sim.T) sim.Op {
	switch t.At() {
	case mSend:
		if f.I == len(commands) {
			return t.Return()
		}
		return f.Ch.Send(t, commands[f.I]).Then(mSent)
	case mSent:
		f.I++
		return t.Goto(mSend)
	}
	return t.Raise(sim.ErrBadPC)
}

// slave is case 20's slave_func: it prints what it receives until QUIT.
type slave struct {
	Ch  sim.Chan[string]
	Log string
}

const (
	sStart sim.PC = iota
	sGot
)

func (f *slave) Step(t *sim.T) sim.Op {
	switch t.At() {
	case sStart:
		say(t, f.Log, "SLAVE STARTING")
		return f.Ch.Recv(t).Then(sGot)
	case sGot:
		cmd := f.Ch.Got(t)
		say(t, f.Log, "SLAVE: %s", cmd)
		if cmd == "QUIT" {
			say(t, f.Log, "SLAVE ENDING")
			return t.Return()
		}
		return f.Ch.Recv(t).Then(sGot)
	}
	return t.Raise(sim.ErrBadPC)
}

// party is one end of a channel in a test: it sleeps Delay ticks, then sends (Recv
// false) or receives with Next (Recv true) N values, sleeping Pause ticks after each, and
// logs each step. A sender sends "<Name>-<i>", then the error End names, if any (see
// endError); a receiver with N == 0 receives until the iteration ends. An error raised
// at the send or receive (sim.ErrClosed, ...) is logged and ends the tasklet.
type party struct {
	Ch           sim.Chan[string]
	Log, Name    string
	Recv         bool
	Delay, Pause int
	N, I         int
	End          string
}

const (
	pStart sim.PC = iota
	pOp
	pDone
)

func (f *party) Step(t *sim.T) sim.Op {
	switch t.At() {
	case pStart:
		if f.Delay > 0 {
			return t.Sleep(f.Delay).Then(pOp)
		}
		return f.op(t)
	case pOp:
		return f.op(t)
	case pDone:
		return f.done(t)
	}
	return t.Raise(sim.ErrBadPC)
}

// op starts the next send or receive, or ends the tasklet.
func (f *party) op(t *sim.T) sim.Op {
	switch {
	case f.Recv && f.N > 0 && f.I == f.N:
		return t.Return()
	case f.Recv:
		say(t, f.Log, "%s recv", f.Name)
		return f.Ch.Next(t).Then(pDone)
	case f.I == f.N && f.End != "":
		say(t, f.Log, "send error %s", f.End)
		err := endError(f.End)
		f.End = ""
		return f.Ch.SendError(t, err).Then(pOp)
	case f.I >= f.N:
		return t.Return()
	}
	v := fmt.Sprintf("%s-%d", f.Name, f.I)
	say(t, f.Log, "send %s", v)
	return f.Ch.Send(t, v).Then(pDone)
}

// done logs what the send or receive did and goes on, after Pause ticks.
func (f *party) done(t *sim.T) sim.Op {
	if !f.Recv {
		say(t, f.Log, "sent %s-%d", f.Name, f.I)
	} else if v, ok := f.Ch.GotOK(t); ok {
		say(t, f.Log, "%s got %s", f.Name, v)
	} else {
		say(t, f.Log, "%s end", f.Name)
		return t.Return()
	}
	f.I++
	if f.Pause > 0 {
		return t.Sleep(f.Pause).Then(pOp)
	}
	return t.Goto(pOp)
}

// Catch logs an error raised at the send or receive and ends the tasklet.
func (f *party) Catch(t *sim.T, err error) sim.Op {
	if f.Recv {
		say(t, f.Log, "%s recv failed: %v", f.Name, err)
	} else {
		say(t, f.Log, "send failed: %v", err)
	}
	return t.Return()
}

// errGone is a sentinel registered with persist: it crosses zones as itself.
var errGone = errors.New("gone")

func init() { persist.RegisterError("xchan_test.errGone", errGone) }

// endError returns the error a sender's End names: "stop" and "exit" are sim's
// StopIteration and TaskletExit, "gone" is errGone, "door" an error wrapping
// sim.ErrClosed; any other text is an error registered nowhere.
func endError(end string) error {
	switch end {
	case "stop":
		return sim.ErrStopIteration
	case "exit":
		return sim.ErrTaskletExit
	case "gone":
		return errGone
	case "door":
		return fmt.Errorf("door: %w", sim.ErrClosed)
	}
	return errors.New(end)
}

// ---- NATS, zones, lock step ----

// startNATS starts an embedded NATS server for the test, as nats-server's own tests do.
func startNATS(t testing.TB) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second), "embedded NATS server not ready")
	t.Cleanup(s.Shutdown)
	return s
}

func connect(t testing.TB, s *server.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// zone is one world with its link to a peer, on its own NATS connection.
type zone struct {
	name, peer string
	w          *world.World
	l          *xchan.Link
	nc         *nats.Conn
	logs       *bytes.Buffer // the link's log
}

func newZone(t testing.TB, s *server.Server, name, peer string, seed uint64) *zone {
	t.Helper()
	w, err := world.New(world.Config{Seed: seed})
	require.NoError(t, err)
	return openZone(t, s, w, name, peer)
}

func openZone(t testing.TB, s *server.Server, w *world.World, name, peer string) *zone {
	t.Helper()
	z := &zone{name: name, peer: peer, w: w, nc: connect(t, s), logs: &bytes.Buffer{}}
	l, err := xchan.Open(w, xchan.Config{Conn: z.nc, Local: name, Peer: peer, LockStep: true,
		Logger: slog.New(slog.NewTextHandler(z.logs, &slog.HandlerOptions{ReplaceAttr: dropTime}))})
	require.NoError(t, err)
	z.l = l
	servers[z] = s
	t.Cleanup(func() { delete(servers, z) })
	return z
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// step runs one tick and the boundary of each zone in turn.
func step(t testing.TB, zs ...*zone) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, z := range zs {
		require.NoError(t, z.w.Tick())
		require.NoError(t, z.l.Boundary(ctx), "zone %s at tick %d", z.name, z.w.Now())
	}
}

// runUntil steps the zones in lock step until done, at most max ticks.
func runUntil(t testing.TB, max int, done func() bool, zs ...*zone) {
	t.Helper()
	for range max {
		if done() {
			return
		}
		step(t, zs...)
	}
	require.True(t, done(), "not done after %d ticks", max)
}

// catchUp steps z alone until it reaches tick to (a zone restarted from a save).
func catchUp(t testing.TB, z *zone, to uint64) {
	t.Helper()
	for z.w.Now() < to {
		step(t, z)
	}
}

// save saves z's world through its link.
func save(t testing.TB, z *zone) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), z.name+".cbor")
	_, err := z.l.SaveFile(world.DefaultCodec(), path)
	require.NoError(t, err)
	return path
}

// crash drops z's link and connection (the process is gone) and returns a zone loaded from
// path with a new connection.
func crash(t testing.TB, s *server.Server, z *zone, path string) *zone {
	t.Helper()
	require.NoError(t, z.l.Shutdown())
	z.nc.Close()
	z.w.Close()
	w, err := world.LoadFile(world.DefaultCodec(), path, world.Config{})
	require.NoError(t, err)
	return openZone(t, s, w, z.name, z.peer)
}

func dead(ts ...*sim.Tasklet) func() bool {
	return func() bool {
		for _, t := range ts {
			if t.Alive() {
				return false
			}
		}
		return true
	}
}

// servers remembers each zone's NATS server, for crash.
var servers = map[*zone]*server.Server{}

func startNATSFor(z *zone) *server.Server { return servers[z] }
