package persist_test

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/persist/persistbench"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

const crashEnv = "PERSIST_CRASH_CHILD"

// crashSave saves the crash test's world (200k tasklets, about 2.3 MB) as generation g.
func crashSave(t testing.TB, c *persist.Codec, s *sim.Scheduler, g int) []byte {
	data, _, err := c.Save(s, persist.Section{Name: "generation", Value: g})
	require.NoError(t, err)
	return data
}

// TestCrashChild is the child of TestCrashDuringSave: it saves generation after generation
// to the file named in the environment, printing each one's hash before and after.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestCrashDuringSave")
	}
	c := codec(t)
	s := persistbench.World(200_000)
	parent := os.Getppid()
	for g := 1; g <= 1000 && os.Getppid() == parent; g++ { // bounded, and gone with its parent
		data := crashSave(t, c, s, g)
		fmt.Printf("saving %d %x\n", g, sha256.Sum256(data))
		require.NoError(t, persist.WriteFileAtomic(path, data))
		fmt.Printf("saved %d\n", g)
	}
}

// TestCrashDuringSave kills a process in the middle of saving large snapshots, several
// times, and loads what is on disk: it must be the previous snapshot or the new one, whole.
func TestCrashDuringSave(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes mid-save; skipped with -short")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	c := codec(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "world.cbor")
	initial := crashSave(t, c, persistbench.World(200_000), 0)
	require.NoError(t, persist.WriteFileAtomic(path, initial))
	for trial := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		hashes := map[int]string{}
		saved, saving := 0, 0
		sc := bufio.NewScanner(stdout)
		kills := 1 + rng.IntN(4) // kill during the kills-th save, a random time into it
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) >= 2 && f[0] == "saving" {
				saving, _ = strconv.Atoi(f[1])
				hashes[saving] = f[2]
				if saving == kills {
					time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
					require.NoError(t, cmd.Process.Kill())
					break
				}
			} else if len(f) == 2 && f[0] == "saved" {
				saved, _ = strconv.Atoi(f[1])
			}
		}
		_ = cmd.Process.Kill() // if the scan ended otherwise
		_ = cmd.Wait()
		require.Positive(t, saving, "the child saved nothing")
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		got := fmt.Sprintf("%x", sha256.Sum256(data))
		old := fmt.Sprintf("%x", sha256.Sum256(initial))
		if saved > 0 {
			old = hashes[saved]
		}
		require.Contains(t, []string{old, hashes[saving]}, got, "trial %d: the file is neither generation %d nor %d", trial, saved, saving)
		_, _, err = c.Load(data, sim.RestoreOptions{})
		require.NoError(t, err, "trial %d", trial)
		initial = data // the next child starts from what is there: generation 1 again
		if got != old {
			t.Logf("trial %d: killed after the rename of generation %d", trial, saving)
		} else {
			t.Logf("trial %d: killed before the rename of generation %d", trial, saving)
		}
	}
}
