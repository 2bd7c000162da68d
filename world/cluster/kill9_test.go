package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/cluster"
	"github.com/stackworld/stackworld/world/server"
	"github.com/stretchr/testify/require"
)

// Real kill -9 trials: each zone runs in its own process (this test binary, re-executed to
// run TestZoneProcess), one of them sends itself SIGKILL at a random step of a migration,
// it is restarted from its last save, and in the end every entity is in exactly one world.
// STACKWORLD_KILL9_TRIALS sets the number of trials (default 4).

const childEnv = "STACKWORLD_ZONE_CHILD"

func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts zone processes")
	}
	trials := 4
	if n, err := strconv.Atoi(os.Getenv("STACKWORLD_KILL9_TRIALS")); err == nil {
		trials = n
	}
	points := []string{"out.journaled", "out.exported", "out.published", "in.journaled", "in.committed", "in.imported", "in.purged", "saved"}
	for trial := range trials {
		seed := uint64(trial + 1)
		r := rand.New(rand.NewPCG(seed, 9))
		point, victim, after := points[r.IntN(len(points))], r.IntN(2), r.IntN(3)
		t.Run(fmt.Sprintf("seed=%d/%s/zone%d", seed, point, victim), func(t *testing.T) {
			kill9Trial(t, point, victim, after)
		})
	}
}

func kill9Trial(t *testing.T, point string, victim, after int) {
	s := startServer(t, t.TempDir(), -1)
	dir := t.TempDir()
	names := []string{"a", "b"}
	all := append(ids(walkers(t, 30, 1)), ids(walkersFrom(t, 30, 2, 2, 514))...) // both sides cross
	start := func(i int, kill bool) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestZoneProcess$", "-test.count=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.Env = append(os.Environ(), childEnv+"=1", "ZONE_NAME="+names[i], "ZONE_REGION="+strconv.Itoa(i),
			"ZONE_NATS="+s.ClientURL(), "ZONE_SAVE="+filepath.Join(dir, names[i]+".cbor"))
		if kill {
			cmd.Env = append(cmd.Env, "ZONE_KILL_POINT="+point, "ZONE_KILL_AFTER="+strconv.Itoa(after))
		}
		require.NoError(t, cmd.Start())
		return cmd, &out
	}
	cmds := make([]*exec.Cmd, 2)
	outs := make([]*bytes.Buffer, 2)
	for i := range cmds {
		cmds[i], outs[i] = start(i, i == victim)
	}
	err := cmds[victim].Wait()
	var ee *exec.ExitError
	killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
	require.True(t, err == nil || killed, "zone %s: %v\n%s", names[victim], err, outs[victim])
	if killed {
		cmds[victim], outs[victim] = start(victim, false) // from its last save
		require.NoError(t, cmds[victim].Wait(), "zone %s after the restart:\n%s", names[victim], outs[victim])
	} else {
		t.Logf("the kill point %s was not reached %d times", point, after+1)
	}
	require.NoError(t, cmds[1-victim].Wait(), "zone %s:\n%s", names[1-victim], outs[1-victim])

	// Both processes are gone; their zones come back here from their saves and settle.
	zs := make([]*zone, 2)
	for i, name := range names {
		path := filepath.Join(dir, name+".cbor")
		w, err := world.LoadFile(world.DefaultCodec(), path, world.Config{Logger: quiet()})
		require.NoError(t, err)
		zs[i] = openZone(t, cluster.Config{Name: name, Conn: connect(t, s.ClientURL()), World: w, Regions: 2, Region: i,
			SavePath: path, Logger: quiet(), AckWait: 250 * time.Millisecond, Recovering: true})
	}
	settle(t, zs)
	census(t, zs[0].cfg.Conn, zs, all)
}

// TestZoneProcess is one zone's process in TestKill9 (it runs only there): it opens zone
// ZONE_NAME (from its save if there is one), runs it on world/server for 40 ticks with an
// autosave every third, and, given
// ZONE_KILL_POINT, sends itself SIGKILL when it reaches that step of a migration for the
// (ZONE_KILL_AFTER+1)th time.
func TestZoneProcess(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("a zone process of TestKill9")
	}
	ctx := context.Background()
	name, save := os.Getenv("ZONE_NAME"), os.Getenv("ZONE_SAVE")
	region, _ := strconv.Atoi(os.Getenv("ZONE_REGION"))
	point := os.Getenv("ZONE_KILL_POINT")
	after, _ := strconv.Atoi(os.Getenv("ZONE_KILL_AFTER"))
	var w *world.World
	_, err := os.Stat(save)
	recovering := err == nil
	switch {
	case recovering:
		w, err = world.LoadFile(world.DefaultCodec(), save, world.Config{Logger: quiet()})
		require.NoError(t, err)
	case region == 0:
		w = walkers(t, 30, 1)
	default:
		w = walkersFrom(t, 30, 2, 2, 514)
	}
	armed, hits := false, 0
	cfg := cluster.Config{Name: name, Conn: connect(t, os.Getenv("ZONE_NATS")), World: w, Regions: 2, Region: region,
		SavePath: save, Logger: quiet(), AckWait: 250 * time.Millisecond, Recovering: recovering,
		Fault: func(p string) error {
			if armed && p == point {
				if hits++; hits > after {
					_ = syscall.Kill(os.Getpid(), syscall.SIGKILL) // kill -9: no deferred call runs
					select {}
				}
			}
			return nil
		}}
	z, err := cluster.Open(ctx, cfg)
	require.NoError(t, err)
	require.NoError(t, z.Save(ctx))
	armed = true
	// At 200 ticks a second the two processes, started one after the other, overlap.
	srv, err := z.NewServer(server.Options{Rate: 200, Ticks: 40, SaveEvery: 3}) // saves encoded and written off the loop
	require.NoError(t, err)
	require.NoError(t, srv.Run(ctx))
}
