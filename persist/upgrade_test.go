package persist_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/persist/persistbench"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the fixtures in testdata")

// Tally is schema 2's name and layout of schema 1's "ptest.Counter" {N int}: the upgrade
// renames the type and the field and adds By.
type Tally struct{ Count, By int }

func (f *Tally) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		return t.ScheduleRemove(nil).Then(1)
	case 1:
		f.Count += f.By
		printf("tally %d\n", f.Count)
		return t.Return()
	}
	return t.Raise(sim.ErrBadPC)
}

// counterV1 is schema 1's layout, registered only to write the schema-1 fixture.
type counterV1 struct{ N int }

func (f *counterV1) Step(t *sim.T) sim.Op { return t.ScheduleRemove(nil).Then(1) }

func upgradeV1(r *persist.Raw) error {
	r.RenameType("ptest.Counter", "ptest.Tally")
	r.EachFrame(func(_ *persist.RawTasklet, f *persist.RawFrame) {
		if f.Type == "*ptest.Tally" {
			s := f.Value.(*persist.RawStruct)
			s.Rename("N", "Count")
			s.Set("By", int64(1))
		}
	})
	return nil
}

func init() {
	persist.Register[Tally]("ptest.Tally", "pause", "count")
	persist.RegisterUpgrade(1, upgradeV1)
}

const schema1Fixture = "testdata/format1-schema1.cbor"

// TestFormat1Schema1Loads keeps a format-1 snapshot of schema 1 loading forever: a
// recursion paused at its bottom and a frame whose type was renamed and changed since.
func TestFormat1Schema1Loads(t *testing.T) {
	if *update {
		persist.Register[counterV1]("ptest.Counter", "pause", "count")
		s := sim.NewScheduler(sim.Options{})
		s.Spawn(&Rec{N: 2})
		s.Spawn(&counterV1{N: 41})
		require.NoError(t, s.Run())
		opts := persist.DefaultOptions()
		opts.Schema = 1
		c, err := opts.Codec()
		require.NoError(t, err)
		_, err = c.SaveFile(schema1Fixture, s)
		require.NoError(t, err)
	}
	c := codec(t)
	s, snap, err := c.LoadFile(schema1Fixture, sim.RestoreOptions{Paused: true})
	require.NoError(t, err)
	require.Equal(t, 1, snap.Format)
	require.Equal(t, uint64(1), snap.Schema)
	require.Equal(t, []string{"string", "*ptest.Rec", "*ptest.Counter"}, snap.Types)
	out.Reset()
	insertAll(t, s)
	require.NoError(t, s.Run())
	require.Equal(t, "leave 2\nleave 1\nleave 0\ntally 42\n", out.String())

	raw, err := c.RawFile(schema1Fixture) // inspect sees the file as it is
	require.NoError(t, err)
	require.Equal(t, "*ptest.Counter", raw.Tasklets[1].Frames[0].Type)
}

// frameFixtures builds one small snapshot per frame type used in the tests.
var frameFixtures = map[string]func() *sim.Scheduler{
	"Rec":      spawnRun(func(s *sim.Scheduler) { s.Spawn(&Rec{N: 2}) }),
	"Consumer": spawnRun(func(s *sim.Scheduler) { s.Spawn(&Consumer{Ch: sim.NewChan[any](s), Name: "c", Got: 3}) }),
	"Producer": spawnRun(func(s *sim.Scheduler) {
		s.Spawn(&Producer{Ch: sim.NewChan[any](s), V: Msg{From: 2, Kind: 1, Text: "m"}})
	}),
	"Sleeper":   spawnRun(func(s *sim.Scheduler) { s.Spawn(&Sleeper{Name: "s", Ticks: 3, N: 2}) }),
	"Waiter":    spawnRun(func(s *sim.Scheduler) { s.Spawn(&Waiter{Ch: sim.NewChan[int](s), Ticks: 5}) }),
	"Byval":     spawnRun(func(s *sim.Scheduler) { s.Spawn(Byval{K: 1}) }),
	"Tally":     spawnRun(func(s *sim.Scheduler) { s.Spawn(&Tally{Count: 1, By: 2}) }),
	"Countdown": spawnRun(func(s *sim.Scheduler) { s.Spawn(&Countdown{N: 2}) }),
	"Kitchen": spawnRun(func(s *sim.Scheduler) {
		s.Spawn(&Kitchen{I: 1, S: "k", M: map[string]int{"a": 1}, Any: Point{1, 2}, Head: &Node{Name: "n"}, Err: ErrBoom, F64: 2.5})
	}),
	"bench": func() *sim.Scheduler { return persistbench.World(40) }, // Walker, Sleeper, Inbox, Outbox, Deep, Pauser
}

func spawnRun(spawn func(s *sim.Scheduler)) func() *sim.Scheduler {
	return func() *sim.Scheduler {
		s := sim.NewScheduler(sim.Options{})
		spawn(s)
		if err := s.Run(); err != nil {
			panic(err)
		}
		return s
	}
}

// TestFrameFixtures loads the saved fixture of each frame type and saves it again: a
// change of a layout, a resume point or the format shows as a failure here. The fixtures
// are format 1 (so they also keep format 1 loading); the save is today's format of the
// same state.
func TestFrameFixtures(t *testing.T) {
	c := codec(t)
	for name, build := range frameFixtures { // determinism: independent cases
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "frames", name+".cbor")
			if *update {
				s := build()
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				_, err := c.SaveFile(path, s)
				require.NoError(t, err)
			}
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			s, _, err := c.Load(data, sim.RestoreOptions{})
			require.NoError(t, err)
			require.Equal(t, persist.AsCurrentFormat(data), save(t, c, s))
		})
	}
}
