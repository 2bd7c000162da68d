package sim_test

// P4: the memory of a parked soft tasklet, measured in a fresh process: the test binary
// re-runs itself with only TestParkedMemoryChild selected and the environment variable
// parkedChildEnv set, so that nothing else lives in its heap.

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stackworld/stackworld/sim/simbench"
)

const (
	parkedChildEnv = "STACKWORLD_PARKED_CHILD" // "<impl> <n>": impl soft-batched, soft-all or goroutine
	parkedPrefix   = "parked bytes per tasklet: "
	parkedN        = 1_000_000
	parkedBatch    = 1024 // tasklets spawned and parked at a time by soft-batched
)

// TestParkedMemoryChild does the measuring in the child process; run alone it skips.
func TestParkedMemoryChild(t *testing.T) {
	spec := os.Getenv(parkedChildEnv)
	if spec == "" {
		t.Skip("runs only in the process that parkedMemory starts")
	}
	impl, nText, _ := strings.Cut(spec, " ")
	n, err := strconv.Atoi(nText)
	if err != nil {
		t.Fatalf("%s=%q: %v", parkedChildEnv, spec, err)
	}
	var per float64
	switch impl {
	case "soft-batched":
		per, err = simbench.ParkedSoft(n, parkedBatch)
	case "soft-all":
		per, err = simbench.ParkedSoft(n, 0)
	case "goroutine":
		per, err = simbench.ParkedGoroutines(n)
	default:
		err = fmt.Errorf("%s=%q: unknown impl", parkedChildEnv, spec)
	}
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%s%.2f\n", parkedPrefix, per)
}

// parkedMemory runs TestParkedMemoryChild in a new process and returns its figure.
func parkedMemory(tb testing.TB, impl string, n int) float64 {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestParkedMemoryChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", parkedChildEnv, impl, n))
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("child %s %d: %v\n%s", impl, n, err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), parkedPrefix); ok {
			per, err := strconv.ParseFloat(v, 64)
			if err != nil {
				tb.Fatalf("child %s %d: %v", impl, n, err)
			}
			return per
		}
	}
	tb.Fatalf("child %s %d printed no figure:\n%s", impl, n, out)
	return 0
}

func skipParked(tb testing.TB) {
	tb.Helper()
	if raceBuild() {
		tb.Skip("the race detector changes memory use (and 1M tasklets under it are slow)")
	}
}

// BenchmarkParkedMemory (P4) reports B/tasklet for 1M parked soft tasklets (parked 1024
// at a time, and all runnable at once first: the ring keeps that capacity) and 1M parked
// goroutines, each counted in its own process (one child per iteration).
func BenchmarkParkedMemory(b *testing.B) {
	for _, impl := range []string{"soft-batched", "soft-all", "goroutine"} {
		b.Run(fmt.Sprintf("impl=%s/N=%d", impl, parkedN), func(b *testing.B) {
			skipParked(b)
			var per float64
			for b.Loop() {
				per = parkedMemory(b, impl, parkedN)
			}
			b.ReportMetric(per, "B/tasklet")
		})
	}
}
