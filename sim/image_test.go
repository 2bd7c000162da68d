package sim_test

import (
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// rec is case 10's rec(n, depth) as a frame.
type rec struct {
	log      *lines
	N, Depth int
	R        int
}

func (f *rec) Step(t *sim.T) sim.Op {
	switch t.At() {
	case 0:
		f.log.printf("enter %d", f.Depth)
		if f.Depth < f.N {
			return t.Call(&rec{log: f.log, N: f.N, Depth: f.Depth + 1}).Then(1)
		}
		return t.ScheduleRemove("paused at bottom").Then(2)
	case 1:
		f.R = t.Value().(int)
		fallthrough
	case 2:
		f.log.printf("leave %d", f.Depth)
		return t.ReturnValue(f.R + f.Depth)
	}
	return t.Raise(sim.ErrBadPC)
}

func TestImageRoundTripResumesRecursion(t *testing.T) {
	l := &lines{}
	s := sim.NewScheduler(sim.Options{})
	tk := s.Spawn(&rec{log: l, N: 3})
	require.NoError(t, s.Run())
	require.Equal(t, "paused at bottom", tk.TempVal())
	require.True(t, tk.Paused())
	img, omitted, err := s.Snapshot(sim.SnapshotOptions{})
	require.NoError(t, err)
	require.Empty(t, omitted)
	require.Len(t, img.Tasklets, 1)
	require.EqualValues(t, 4, img.Tasklets[0].FrameCount)

	for i := 0; i < 2; i++ {
		// Frames are live: give the copy its own logger-bearing frames.
		cl := &lines{}
		img2 := *img
		img2.Frames = nil
		for _, f := range img.Frames {
			c := *f.Frame.(*rec)
			c.log = cl
			img2.Frames = append(img2.Frames, sim.FrameState{Frame: &c, PC: f.PC})
		}
		s2 := sim.NewScheduler(sim.Options{})
		require.NoError(t, s2.Restore(&img2, sim.RestoreOptions{}))
		// invariants: see property tests
		var t2 *sim.Tasklet
		s2.Each(func(x *sim.Tasklet) bool {
			if !x.IsMain() {
				t2 = x
			}
			return true
		})
		require.True(t, t2.Paused())
		require.Equal(t, "paused at bottom", t2.TempVal())
		require.NoError(t, t2.Insert())
		require.NoError(t, s2.Run())
		require.Equal(t, "leave 3\nleave 2\nleave 1\nleave 0\n", cl.text())
		require.False(t, t2.Alive())
	}
	require.True(t, tk.Paused(), "the original is untouched")
}

func TestRestoreRejectsBadImages(t *testing.T) {
	base := func() *sim.Image {
		return &sim.Image{NextID: 3, NextChan: 2,
			Channels: []sim.ChannelState{{ID: 1, Preference: -1}},
			Tasklets: []sim.TaskletState{{ID: 2, State: sim.StateBlocked, Dir: -1, Channel: 1, FrameCount: 1}},
			Frames:   []sim.FrameState{{Frame: &rec{}}}}
	}
	cases := map[string]func(*sim.Image){
		"sim: restore: tasklet 5: id out of range [2, 3)":                 func(im *sim.Image) { im.Tasklets[0].ID = 5 },
		"sim: restore: tasklet 2: blocked on unknown channel 7":           func(im *sim.Image) { im.Tasklets[0].Channel = 7 },
		"sim: restore: tasklet 2: frames [0, +2) out of range (1 frames)": func(im *sim.Image) { im.Tasklets[0].FrameCount = 2 },
		"sim: restore: tasklet 2: wake tick 0 is not after tick 0": func(im *sim.Image) {
			im.Tasklets[0].State = sim.StateSleeping
			im.Tasklets[0].Channel = 0
			im.Tasklets[0].Dir = 0
		},
		"sim: restore: channel 1: duplicate channel":                     func(im *sim.Image) { im.Channels = append(im.Channels, im.Channels[0]) },
		"sim: restore: tasklet 2: state dead cannot be restored":         func(im *sim.Image) { im.Tasklets[0].State = sim.StateDead },
		"sim: restore: 1 timer entries for 0 sleeping or timed tasklets": func(im *sim.Image) { im.Timers = []sim.ID{2} },
		"sim: restore: tasklet 2: duplicate tasklet":                     func(im *sim.Image) { im.Tasklets = append(im.Tasklets, im.Tasklets[0]) },
		"sim: restore: tasklet 2: frame 0 is nil":                        func(im *sim.Image) { im.Frames[0].Frame = nil },
	}
	for want, mutate := range cases { // determinism: independent subtests
		t.Run(want, func(t *testing.T) {
			im := base()
			mutate(im)
			s := sim.NewScheduler(sim.Options{})
			err := s.Restore(im, sim.RestoreOptions{})
			require.EqualError(t, err, want)
			require.Equal(t, 1, s.RunCount())
			require.Nil(t, s.Channel(1), "nothing changed")
		})
	}
	s := sim.NewScheduler(sim.Options{})
	require.NoError(t, s.Restore(base(), sim.RestoreOptions{}))
	require.Equal(t, -1, s.Channel(1).Balance())
	require.Equal(t, fmt.Sprint(sim.ID(2)), fmt.Sprint(s.Channel(1).Head().ID()))
}
