package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stackworld/stackworld/world/cluster"
)

// stackworld run --zones N: N zone processes on this machine, one of them this one.

// zonesFlag finds --zones N (or --zones=N) in run's arguments and returns N and the
// other arguments; ok is false when it is absent.
func zonesFlag(args []string) (n int, rest []string, ok bool, err error) {
	v, rest, ok, err := cutFlag(args, "zones")
	switch {
	case err != nil:
		return 0, nil, false, usageError{"--zones needs a number"}
	case !ok:
		return 0, args, false, nil
	}
	if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 64 {
		return 0, nil, false, usageError{fmt.Sprintf("--zones %s: want a number from 1 to 64", v)}
	}
	return n, rest, true, nil
}

// cutFlag finds flag name (--name V, -name V, --name=V or -name=V; the last one wins)
// in args and returns its value and the other arguments; ok is false when it is absent,
// err is set when it has no value.
func cutFlag(args []string, name string) (value string, rest []string, ok bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--"+name || a == "-"+name:
			if i+1 >= len(args) {
				return "", nil, false, fmt.Errorf("--%s needs a value", name)
			}
			value, ok, i = args[i+1], true, i+1
		case strings.HasPrefix(a, "--"+name+"=") || strings.HasPrefix(a, "-"+name+"="):
			_, value, _ = strings.Cut(a, "=")
			ok = true
		default:
			rest = append(rest, a)
		}
	}
	return value, rest, ok, nil
}

// perZone are the flags of run --zones that each zone gets a value of its own for:
// --metrics HOST:PORT serves zone r on PORT+r (each zone is its own process with its own
// runtime metrics, as Prometheus expects of a target; the zones' metrics carry a zone
// label too), or on a free port of its own with PORT 0; --save FILE.cbor saves zone r to
// FILE.z<r>.cbor, and --checksums FILE.txt writes its checksums to FILE.z<r>.txt. --debug
// HOST:PORT is --metrics with the debug endpoint on the same servers (an empty HOST is
// 127.0.0.1, as for run --debug).
type perZone struct {
	metricsHost     string
	metricsPort     int // -1: no --metrics
	debug           bool
	save, checksums string
}

// cutPerZone takes --metrics, --debug, --save and --checksums out of run's arguments and
// checks them for n zones.
func cutPerZone(args []string, n int) (perZone, []string, error) {
	z := perZone{metricsPort: -1}
	addr, args, ok, err := cutFlag(args, "metrics")
	if err != nil {
		return z, nil, usageError{err.Error()}
	}
	debug, args, debugOK, err := cutFlag(args, "debug")
	switch {
	case err != nil:
		return z, nil, usageError{err.Error()}
	case debugOK && ok && addr != loopbackDefault(debug):
		return z, nil, usageError{"--debug and --metrics share one HTTP server: give them the same address"}
	case debugOK:
		addr, ok, z.debug = loopbackDefault(debug), true, true
	}
	if ok {
		host, port, err := net.SplitHostPort(addr)
		p, perr := strconv.Atoi(port)
		if err != nil || perr != nil || p < 0 || p+n-1 > 65535 {
			return z, nil, usageError{fmt.Sprintf("--metrics %s: with --zones %d, want HOST:PORT with PORT+%d at most 65535 (zone r serves on PORT+r; PORT 0: free ports)", addr, n, n-1)}
		}
		z.metricsHost, z.metricsPort = host, p
	}
	if z.save, args, _, err = cutFlag(args, "save"); err != nil {
		return z, nil, usageError{err.Error()}
	}
	if z.checksums, args, _, err = cutFlag(args, "checksums"); err != nil {
		return z, nil, usageError{err.Error()}
	}
	return z, args, nil
}

// args are zone r's flags for them.
func (z perZone) args(r int) []string {
	var a []string
	if z.metricsPort >= 0 {
		a = append(a, "--metrics", z.metricsAddr(r))
	}
	if z.debug {
		a = append(a, "--debug", z.metricsAddr(r))
	}
	if z.save != "" {
		a = append(a, "--save", zonePath(z.save, r))
	}
	if z.checksums != "" {
		a = append(a, "--checksums", zonePath(z.checksums, r))
	}
	return a
}

// metricsAddr is zone r's --metrics address: PORT+r, or a free port with PORT 0.
func (z perZone) metricsAddr(r int) string {
	p := z.metricsPort
	if p > 0 {
		p += r
	}
	return net.JoinHostPort(z.metricsHost, strconv.Itoa(p))
}

// zonePath is zone r's file for file: FILE.z<r>.cbor for FILE.cbor.
func zonePath(file string, r int) string {
	ext := filepath.Ext(file)
	return strings.TrimSuffix(file, ext) + ".z" + strconv.Itoa(r) + ext
}

// describe prints where each zone serves its metrics, saves and writes its checksums.
func (z perZone) describe(w io.Writer, n int) {
	var m, s, c []string
	for r := range n {
		host, port, _ := net.SplitHostPort(z.metricsAddr(r))
		m = append(m, fmt.Sprintf("z%d http://%s/metrics", r, net.JoinHostPort(cmp.Or(host, "localhost"), port)))
		s = append(s, fmt.Sprintf("z%d %s", r, zonePath(z.save, r)))
		c = append(c, fmt.Sprintf("z%d %s", r, zonePath(z.checksums, r)))
	}
	switch {
	case z.metricsPort == 0:
		fmt.Fprintln(w, "metrics: each zone serves on a free port and logs it (\"serving metrics\")")
	case z.metricsPort > 0:
		fmt.Fprintf(w, "metrics: %s\n", strings.Join(m, ", "))
	}
	if z.save != "" {
		fmt.Fprintf(w, "saves: %s\n", strings.Join(s, ", "))
	}
	if z.checksums != "" {
		fmt.Fprintf(w, "checksums: %s\n", strings.Join(c, ", "))
	}
}

// zoneCommand returns the command that runs stackworld with args in a new process (tests
// run their own binary instead).
var zoneCommand = func(args []string) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.Command(self, args...), nil
}

// When run --zones stops early (Ctrl-C, a failed zone), a zone process has ownSignal to
// stop by itself (a Ctrl-C on a terminal reaches every process of the group: a second
// signal from here would make it exit without its final save), then gets an interrupt,
// then stopGrace to stop before it is killed (a zone that hangs: its final save is lost,
// and it restarts from its last autosave).
var (
	ownSignal = 2 * time.Second // tests: 0
	stopGrace = 30 * time.Second
)

// runZones runs N zones on this machine: this process embeds the NATS server and runs zone
// 0; N-1 child processes run the others (stackworld zone), each with its own --metrics
// port and --save file (perZone). One progress view on stderr: a line per second with
// every zone's tick and entities, from their reports on stackworld.stats.*. With --ticks
// every zone runs its ticks to the end; Ctrl-C stops them all; a zone process that fails
// stops the others (with --lockstep they would wait for it). When all have stopped, each
// zone's last line (printZoneSummary: tick, migrations, deep checksum) goes to stdout in
// zone order, so two --lockstep runs with the same seed can be compared with diff.
func runZones(ctx context.Context, n int, args []string, stdout, stderr io.Writer) error {
	pz, args, err := cutPerZone(args, n)
	if err != nil {
		return err
	}
	s, err := cluster.StartServer(cluster.ServerOptions{})
	if err != nil {
		return err
	}
	defer stopServer(s, true)
	url := s.ClientURL()
	fmt.Fprintf(stderr, "NATS: %s (%d zones; watch with: nats --server %s sub 'stackworld.>')\n", url, n, url)
	pz.describe(stderr, n)
	zoneArgs := func(r int) []string {
		a := []string{"--quiet", "--nats", url, "--region", strconv.Itoa(r), "--regions", strconv.Itoa(n)}
		return append(append(a, pz.args(r)...), args...)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := make([]bytes.Buffer, n) // each zone's stdout: its last line
	var procs []*zoneProcess
	for r := 1; r < n; r++ {
		p, err := startZoneProcess(r, zoneArgs(r), &outs[r], stderr, cancel)
		if err != nil {
			cancel()
			_ = waitZones(ctx, procs)
			return err
		}
		procs = append(procs, p)
	}
	stop := progressView(url, n, stderr)
	err = runZone(ctx, zoneArgs(0), &outs[0], stderr)
	switch {
	case err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled):
		err = nil // stopped while it opened (Ctrl-C, or a zone failed: that error is the one)
	case err != nil:
		cancel() // the others stop too
	}
	werr := waitZones(ctx, procs)
	stop()
	for i := range outs {
		_, _ = stdout.Write(outs[i].Bytes())
	}
	return errors.Join(err, werr)
}

// zoneProcess is a zone's child process.
type zoneProcess struct {
	zone   string
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited; err is set then
	err    error
	killed bool
}

// startZoneProcess starts stackworld zone with args; its stdout goes to out, its stderr
// to stderr. If it fails, failed is called (to stop the others).
func startZoneProcess(r int, args []string, out *bytes.Buffer, stderr io.Writer, failed func()) (*zoneProcess, error) {
	cmd, err := zoneCommand(append([]string{"zone"}, args...))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("zone z%d: %w", r, err)
	}
	p := &zoneProcess{zone: "z" + strconv.Itoa(r), cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		if p.err != nil {
			failed()
		}
		close(p.done)
	}()
	return p, nil
}

// waitZones waits until every zone process has exited: until each has run its ticks, or,
// once ctx ends, until each has stopped (ownSignal, then an interrupt: a clean stop with
// a final save, then stopGrace, then kill). It returns the failures, naming each zone
// (its own error is on stderr already).
func waitZones(ctx context.Context, procs []*zoneProcess) error {
	stopping := ctx.Done()
	var interrupt, kill <-chan time.Time // determinism: these decide only when a stopping process is signalled
	for _, p := range procs {
		for waiting := true; waiting; {
			select {
			case <-p.done:
				waiting = false
			case <-stopping:
				stopping, interrupt = nil, time.After(ownSignal)
			case <-interrupt:
				interrupt, kill = nil, time.After(stopGrace)
				for _, q := range procs {
					_ = q.cmd.Process.Signal(os.Interrupt) // to an exited one: an error, ignored
				}
			case <-kill:
				kill = nil
				for _, q := range procs {
					select {
					case <-q.done:
					default:
						q.killed = true
						_ = q.cmd.Process.Kill()
					}
				}
			}
		}
	}
	var errs []error
	for _, p := range procs {
		switch {
		case p.killed && p.err != nil:
			errs = append(errs, fmt.Errorf("zone %s did not stop within %v of the interrupt: killed (it restarts from its last save)", p.zone, stopGrace))
		case p.err != nil:
			errs = append(errs, fmt.Errorf("zone %s: %w (its error is above)", p.zone, p.err))
		}
	}
	return errors.Join(errs...)
}

// progressView prints every zone's last report once a second.
func progressView(url string, n int, stderr io.Writer) func() {
	nc, err := nats.Connect(url)
	if err != nil {
		return func() {}
	}
	var mu sync.Mutex
	last := map[string]cluster.Report{}
	_, _ = nc.Subscribe(cluster.StatsSubject+"*", func(m *nats.Msg) {
		var r cluster.Report
		if json.Unmarshal(m.Data, &r) == nil {
			mu.Lock()
			last[r.Zone] = r
			mu.Unlock()
		}
	})
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			mu.Lock()
			line := progressLine(last, n, time.Now())
			mu.Unlock()
			fmt.Fprintln(stderr, line)
		}
	}()
	return func() { close(done); nc.Close() }
}

// progressLine is the progress view's line for zones z0 to z<n-1> from their last reports:
// tick, entities and migrations of each, "-" before its first report, "silent Ns" once
// its last report is older than cluster.DefaultSilentAfter at now, and a LockStep zone's
// wait at the barrier (cluster.BarrierWait.Text).
func progressLine(last map[string]cluster.Report, n int, now time.Time) string {
	line := "zones:"
	for r := range n {
		name := "z" + strconv.Itoa(r)
		rep, ok := last[name]
		if !ok {
			line += fmt.Sprintf("  %s: -", name)
			continue
		}
		line += fmt.Sprintf("  %s: tick %d, %d entities, %d in/%d out", name, rep.Tick, rep.Entities, rep.Stats.MigrationsIn, rep.Stats.MigrationsOut)
		if age := now.Sub(time.UnixMilli(rep.UnixMs)); age > cluster.DefaultSilentAfter {
			line += fmt.Sprintf(" (silent %s)", age.Round(time.Second))
		}
		if wait := rep.Stats.Waiting.Text(now); wait != "" {
			line += ", " + wait
		}
	}
	return line
}
