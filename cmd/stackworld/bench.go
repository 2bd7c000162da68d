package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stackworld/stackworld/actors/actorbench"
	"github.com/stackworld/stackworld/persist/persistbench"
	"github.com/stackworld/stackworld/sim/simbench"
)

func init() {
	commands["bench"] = command{
		summary: "run the performance benchmarks (P1-P6) and print them beside their baselines",
		run:     benchCmd,
	}
}

// benchRow is one line of the performance table.
type benchRow struct {
	id, measure, target string
	reached, baseline   string
	ratio               string
	met                 string // whether each part of the target was met: "yes", "no / yes", "—"
}

// met says, for each part of a row's target in order, whether the figure meets it.
func met(parts ...bool) string {
	words := make([]string, len(parts))
	for i, ok := range parts {
		words[i] = "no"
		if ok {
			words[i] = "yes"
		}
	}
	return strings.Join(words, " / ")
}

// noTarget is the met column of a row without a target.
const noTarget = "—"

// benchConfig is what the bench flags select.
type benchConfig struct {
	quick     bool
	only      map[string]bool
	benchtime time.Duration
	count     int // runs of each P1-P3 benchmark; the table shows the median
	stderr    io.Writer
}

func (c *benchConfig) want(id string) bool { return len(c.only) == 0 || c.only[id] }

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "small sizes and short runs (a smoke test of the table, not figures to quote)")
	only := fs.String("only", "", "comma-separated measures to run, e.g. P1,P2 (default: all of P1-P6)")
	benchtime := fs.Duration("benchtime", time.Second, "target time per benchmark")
	count := fs.Int("count", 1, "runs of each P1-P3 benchmark, taken in turn with its baselines; the table shows the median, which steadies figures on a noisy machine")
	inProcess := fs.Bool("in-process", false, "run every measure in this process (default: each measure in a fresh child process, so that one measure's heap does not slow the next)")
	child := fs.String("parked-child", "", "internal: measure parked memory in this process (soft|goroutine)")
	childN := fs.Int("parked-n", 1_000_000, "internal: tasklets for -parked-child")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stackworld bench [-quick] [-only P1,P2,...] [-benchtime 1s] [-count 1]")
		fmt.Fprintln(stderr, "\nRuns the benchmarks behind the README's performance table, each beside its baseline,")
		fmt.Fprintln(stderr, "and prints the table in Markdown. Progress goes to stderr. For the README's figures")
		fmt.Fprintln(stderr, "run it as: GOMAXPROCS=1 go run ./cmd/stackworld bench -count 3")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("bench takes no arguments, got %q", fs.Args())}
	}
	if *child != "" {
		return parkedChild(stdout, *child, *childN)
	}
	if *count < 1 || *count > 99 {
		return usageError{fmt.Sprintf("-count %d: want 1 to 99", *count)}
	}
	cfg := &benchConfig{quick: *quick, benchtime: *benchtime, count: *count, stderr: stderr, only: map[string]bool{}}
	if *quick && *benchtime == time.Second {
		cfg.benchtime = 20 * time.Millisecond
	}
	for _, id := range strings.Split(*only, ",") {
		if id = strings.ToUpper(strings.TrimSpace(id)); id != "" {
			if id < "P1" || id > "P6" || len(id) != 2 {
				return usageError{fmt.Sprintf("-only: unknown measure %q (want P1 to P6)", id)}
			}
			cfg.only[id] = true
		}
	}
	testing.Init()
	if err := flag.Set("test.benchtime", cfg.benchtime.String()); err != nil {
		return fmt.Errorf("bench: set benchtime: %w", err)
	}
	runs := ""
	if cfg.count > 1 {
		runs = fmt.Sprintf(", P1-P3 the median of %d runs", cfg.count)
	}
	fmt.Fprintf(stdout, "GOMAXPROCS=%d, %s/%s, %s, benchtime %s%s\n\n", runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), cfg.benchtime, runs)
	if !*inProcess {
		return benchChildren(ctx, cfg, *quick, stdout, stderr)
	}
	var rows []benchRow
	steps := []struct {
		id  string
		run func(*benchConfig) ([]benchRow, error)
	}{{"P1", benchTurns}, {"P2", benchHandoff}, {"P3", benchHardSwitch}, {"P4", benchParked}, {"P5", benchSnapshots}, {"P6", benchWorld}}
	for _, st := range steps {
		if !cfg.want(st.id) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := st.run(cfg)
		if err != nil {
			return fmt.Errorf("bench %s: %w", st.id, err)
		}
		rows = append(rows, r...)
	}
	fmt.Fprintln(stdout, tableHeader)
	fmt.Fprintln(stdout, tableRule)
	for _, r := range rows {
		fmt.Fprintf(stdout, "| %s | %s | %s | %s | %s | %s | %s |\n", r.id, r.measure, r.target, r.reached, r.baseline, r.ratio, r.met)
	}
	return nil
}

const (
	tableHeader = "| | measure | target | reached | baseline (same run) | ratio | met? |"
	tableRule   = "|---|---|---|---|---|---|---|"
)

// benchChildren runs each selected measure as `stackworld bench -in-process -only Pn` in a
// child process and prints one table of their rows: a measure that leaves a large heap (a
// 1M-tasklet ring) would otherwise slow the garbage collector for the next.
func benchChildren(ctx context.Context, cfg *benchConfig, quick bool, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find this program to run the measures in child processes: %w (or use -in-process)", err)
	}
	var rows []string
	for _, id := range []string{"P1", "P2", "P3", "P4", "P5", "P6"} {
		if !cfg.want(id) {
			continue
		}
		args := []string{"bench", "-in-process", "-only", id, "-benchtime", cfg.benchtime.String(), "-count", strconv.Itoa(cfg.count)}
		if quick {
			args = append(args, "-quick")
		}
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Stderr = stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("bench %s (child process): %w", id, err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "| P") {
				rows = append(rows, line)
			}
		}
	}
	fmt.Fprintln(stdout, tableHeader)
	fmt.Fprintln(stdout, tableRule)
	for _, r := range rows {
		fmt.Fprintln(stdout, r)
	}
	return nil
}

// benchBody is a benchmark body and its name in progress lines.
type benchBody struct {
	name string
	run  func(*testing.B)
}

// measure runs the bodies c.count times, in turn (so that a measure and its baseline meet
// the machine in the same state), and returns the median of each one's metric in unit,
// with a progress line for each run.
func (c *benchConfig) measure(unit string, bodies ...benchBody) ([]float64, error) {
	runs := make([][]float64, len(bodies))
	for range max(c.count, 1) {
		for i, body := range bodies {
			v, err := c.measureOnce(body.name, unit, body.run)
			if err != nil {
				return nil, err
			}
			runs[i] = append(runs[i], v)
		}
	}
	medians := make([]float64, len(bodies))
	for i, r := range runs {
		medians[i] = median(r)
	}
	return medians, nil
}

// median returns the median of vs (sorting vs); vs must not be empty.
func median(vs []float64) float64 {
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2
	}
	return vs[len(vs)/2]
}

// measureOnce runs one benchmark body once and returns its metric in unit.
func (c *benchConfig) measureOnce(name, unit string, body func(*testing.B)) (float64, error) {
	fmt.Fprintf(c.stderr, "bench: %s ...", name)
	start := time.Now()
	var failed string
	res := testing.Benchmark(func(b *testing.B) {
		body(b)
		if b.Failed() {
			failed = "failed"
		}
	})
	if failed != "" || res.N == 0 {
		fmt.Fprintln(c.stderr, " failed")
		return 0, fmt.Errorf("%s: the benchmark failed its own check (run the package's benchmarks with go test -bench for details)", name)
	}
	v, ok := res.Extra[unit]
	if !ok {
		v = float64(res.NsPerOp())
	}
	fmt.Fprintf(c.stderr, " %.4g %s (%s)\n", v, unit, time.Since(start).Round(time.Millisecond))
	return v, nil
}

func (c *benchConfig) sizes(full ...int) []int {
	if c.quick {
		return full[:1]
	}
	return full
}

func fmtF(v float64, unit string) string { return fmt.Sprintf("%.3g %s", v, unit) }

func speedup(slow, fast float64) string { return fmt.Sprintf("%.1f× faster", slow/fast) }

func benchTurns(c *benchConfig) ([]benchRow, error) {
	var rows []benchRow
	for _, n := range c.sizes(1_000, 10_000, 100_000, 1_000_000) {
		m, err := c.measure("ns/turn",
			benchBody{fmt.Sprintf("P1 turn soft N=%d", n), func(b *testing.B) { simbench.Turn(b, n, false) }},
			benchBody{fmt.Sprintf("P1 turn soft shuffled N=%d", n), func(b *testing.B) { simbench.Turn(b, n, true) }},
			benchBody{fmt.Sprintf("P1 turn iter.Pull N=%d", n), func(b *testing.B) { simbench.PullTurn(b, n) }})
		if err != nil {
			return nil, err
		}
		soft, shuf, pull := m[0], m[1], m[2]
		target, targetShuf := "≥10× pull", "≥10× pull"
		metSpawn, metShuf := met(pull >= 10*soft), met(pull >= 10*shuf)
		if n == 1_000_000 {
			target, targetShuf = "≤10 ns, ≥10× pull", "≤25 ns, ≥10× pull"
			metSpawn, metShuf = met(soft <= 10, pull >= 10*soft), met(shuf <= 25, pull >= 10*shuf)
		}
		rows = append(rows,
			benchRow{"P1", fmt.Sprintf("soft turn, %s tasklets, spawn order", count(n)), target, fmtF(soft, "ns"), "iter.Pull " + fmtF(pull, "ns"), speedup(pull, soft), metSpawn},
			benchRow{"P1", fmt.Sprintf("soft turn, %s tasklets, shuffled ring", count(n)), targetShuf, fmtF(shuf, "ns"), "iter.Pull " + fmtF(pull, "ns"), speedup(pull, shuf), metShuf})
	}
	return rows, nil
}

func benchHandoff(c *benchConfig) ([]benchRow, error) {
	m, err := c.measure("ns/handoff",
		benchBody{"P2 hand-off soft (pointer)", simbench.Handoff},
		benchBody{"P2 hand-off soft (int)", simbench.HandoffInt},
		benchBody{"P2 hand-off goroutines", simbench.GoroutineHandoff})
	if err != nil {
		return nil, err
	}
	ptr, boxed, gor := m[0], m[1], m[2]
	return []benchRow{
		{"P2", "send→receive, two soft tasklets (pointer)", "≤15 ns, ≥10×", fmtF(ptr, "ns"), "goroutines + chan " + fmtF(gor, "ns"), speedup(gor, ptr), met(ptr <= 15, gor >= 10*ptr)},
		{"P2", "send→receive, two soft tasklets (int, boxed)", "—", fmtF(boxed, "ns"), "goroutines + chan " + fmtF(gor, "ns"), speedup(gor, boxed), noTarget},
	}, nil
}

func benchHardSwitch(c *benchConfig) ([]benchRow, error) {
	m, err := c.measure("ns/switch",
		benchBody{"P3 hard-tasklet switch", simbench.HardSwitch},
		benchBody{"P3 main's round trip through a hard tasklet", simbench.MainHardSwitch},
		benchBody{"P3 raw iter.Pull switch", simbench.PullSwitch},
		benchBody{"P3 model: iter.Pull + two ring moves", simbench.PullRingSwitch})
	if err != nil {
		return nil, err
	}
	hard, mainTrip, raw, model := m[0], m[1], m[2], m[3]
	vsRaw := func(v float64) string { return fmt.Sprintf("%.2f× raw", v/raw) }
	rawCol := "iter.Pull next() " + fmtF(raw, "ns")
	return []benchRow{
		{"P3", "hard-tasklet switch: hard → hard (resume + yield)", "≤1.2× raw", fmtF(hard, "ns"), rawCol, vsRaw(hard), met(hard <= 1.2*raw)},
		{"P3", "main's round trip through one hard tasklet (main's Schedule)", "—", fmtF(mainTrip, "ns"), rawCol, vsRaw(mainTrip), noTarget},
		{"P3", "model of that round trip: iter.Pull + the two ring moves any ring scheduler makes", "—", fmtF(model, "ns"), rawCol, vsRaw(model), noTarget},
	}, nil
}

// benchParked measures P4 in child processes, so that nothing else lives in the heap.
func benchParked(c *benchConfig) ([]benchRow, error) {
	n := 1_000_000
	if c.quick {
		n = 10_000
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	child := func(kind string) (float64, error) {
		fmt.Fprintf(c.stderr, "bench: P4 parked %s N=%d (child process) ...", kind, n)
		out, err := exec.Command(exe, "bench", "-parked-child", kind, "-parked-n", strconv.Itoa(n)).Output()
		if err != nil {
			fmt.Fprintln(c.stderr, " failed")
			return 0, fmt.Errorf("parked %s child: %w", kind, err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		fmt.Fprintf(c.stderr, " %.4g B\n", v)
		return v, err
	}
	soft, err := child("soft")
	if err != nil {
		return nil, err
	}
	gor, err := child("goroutine")
	if err != nil {
		return nil, err
	}
	return []benchRow{{"P4", fmt.Sprintf("parked soft tasklet (blocked, one 16-byte frame), %s", count(n)), "≤96 B", fmtF(soft, "B"), "parked goroutine " + fmtF(gor, "B"), fmt.Sprintf("%.0f× smaller", gor/soft), met(soft <= 96)}}, nil
}

func parkedChild(stdout io.Writer, kind string, n int) error {
	var v float64
	var err error
	switch kind {
	case "soft":
		v, err = simbench.ParkedSoft(n, 1024)
	case "goroutine":
		v, err = simbench.ParkedGoroutines(n)
	default:
		return usageError{fmt.Sprintf("-parked-child %q: want soft or goroutine", kind)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%.2f\n", v)
	return nil
}

func benchSnapshots(c *benchConfig) ([]benchRow, error) {
	n := 1_000_000
	if c.quick {
		n = 10_000
	} else {
		// A 1M save or load takes about 0.2 s: a 1 s benchtime would average 3 or 4 runs, the
		// first of them warming up. Ten runs each give a steadier figure.
		if err := flag.Set("test.benchtime", "10x"); err != nil {
			return nil, err
		}
		defer flag.Set("test.benchtime", c.benchtime.String())
	}
	m := func(name string, body func(*testing.B, int)) (float64, float64, error) {
		var per, size float64
		fmt.Fprintf(c.stderr, "bench: P5 %s N=%d ...", name, n)
		res := testing.Benchmark(func(b *testing.B) { body(b, n) })
		if res.N == 0 {
			fmt.Fprintln(c.stderr, " failed")
			return 0, 0, fmt.Errorf("%s: the benchmark failed its own check", name)
		}
		per, size = res.Extra["ns/tasklet"], res.Extra["B/tasklet"]
		fmt.Fprintf(c.stderr, " %.3g ns/tasklet, %.3g B/tasklet\n", per, size)
		return per, size, nil
	}
	save, size, err := m("save cbor", persistbench.Save)
	if err != nil {
		return nil, err
	}
	gobSave, gobSize, err := m("save gob", persistbench.GobSave)
	if err != nil {
		return nil, err
	}
	load, _, err := m("load cbor", persistbench.Load)
	if err != nil {
		return nil, err
	}
	gobLoad, _, err := m("load gob", persistbench.GobLoad)
	if err != nil {
		return nil, err
	}
	_, idle, err := m("save idle cbor", persistbench.SaveIdle)
	if err != nil {
		return nil, err
	}
	pause, err := benchSavePause(c)
	if err != nil {
		return nil, err
	}
	ms := func(perTasklet float64) string { return fmt.Sprintf("%.0f ms per 1M", perTasklet) } // ns/tasklet × 1M / 1e6
	return []benchRow{pause,
		{"P5", fmt.Sprintf("save, %s mixed parked tasklets", count(n)), "≤250 ms per 1M, ≥2× gob", ms(save), "gob " + ms(gobSave), speedup(gobSave, save), met(save <= 250, gobSave >= 2*save)},
		{"P5", fmt.Sprintf("load, %s mixed parked tasklets", count(n)), "≤250 ms per 1M, ≥2× gob", ms(load), "gob " + ms(gobLoad), speedup(gobLoad, load), met(load <= 250, gobLoad >= 2*load)},
		{"P5", "snapshot size per idle tasklet", "≤12 B", fmtF(idle, "B"), fmt.Sprintf("mixed: cbor %.3g B, gob %.3g B", size, gobSize), fmt.Sprintf("%.1f× smaller (mixed)", gobSize/size), met(idle <= 12)},
	}, nil
}

func benchWorld(c *benchConfig) ([]benchRow, error) {
	var rows []benchRow
	for _, n := range c.sizes(10_000, 100_000, 1_000_000) {
		fmt.Fprintf(c.stderr, "bench: P6 world tick N=%d (and the plain-loop baseline) ...", n)
		r := actorbench.Run(n)
		if r.World == 0 || r.Baseline == 0 {
			fmt.Fprintln(c.stderr, " failed")
			return nil, fmt.Errorf("world tick N=%d: the benchmark failed its own check", n)
		}
		fmt.Fprintf(c.stderr, " %s/tick vs %s/tick\n", r.World, r.Baseline)
		target, ok := "—", noTarget
		if n == 100_000 {
			target, ok = "≤20 ms per tick", met(r.World <= 20*time.Millisecond)
		}
		rows = append(rows, benchRow{"P6", fmt.Sprintf("world tick, %s NPCs (wander + 1 AoI query each)", count(n)), target,
			fmt.Sprintf("%.3g ms", float64(r.World)/1e6), fmt.Sprintf("plain loop %.3g ms", float64(r.Baseline)/1e6), fmt.Sprintf("%.2f× overhead", r.Ratio), ok})
	}
	return rows, nil
}

func count(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1_000 && n%1_000 == 0:
		return fmt.Sprintf("%dk", n/1_000)
	}
	return strconv.Itoa(n)
}
