package world_test

import (
	"fmt"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// fullSave is a save of the small scenario that holds every part of a world section:
// entities with tasklets, supervised traders (monitors), customers' mailboxes, components,
// a named channel, and — changed by the main program after tick 10 — the spatial index,
// with one despawned entity still listed.
func fullSave(t testing.TB) []byte {
	t.Helper()
	w := savedWorld(t, 1)
	defer w.Close()
	runTo(t, w, 10)
	w.NewEntity(w.Kind("sheep"), world.Vec{X: 5, Y: 5})
	w.Despawn(w.Entities()[3].ID)
	data, err := w.Save(world.DefaultCodec())
	require.NoError(t, err)
	return data
}

func TestLoadRefusesBadWorldSections(t *testing.T) {
	data := fullSave(t)
	codec := world.DefaultCodec()
	const sec = `world: load: section "world": `
	for _, c := range []struct {
		name   string
		mutate func(st *world.Snapshot, s *sim.Scheduler) string // returns the error wanted
	}{
		{"mailbox id 2^32-1", func(st *world.Snapshot, s *sim.Scheduler) string {
			m := &st.Mailboxes[0]
			m.ID = 1<<32 - 1
			return fmt.Sprintf(sec+"mailbox 4294967295 (%q): no channel 4294967295 in the snapshot", m.Name)
		}},
		{"duplicate mailbox", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Mailboxes[1].ID = st.Mailboxes[0].ID
			return fmt.Sprintf(sec+"mailbox %d (%q): saved twice", st.Mailboxes[1].ID, st.Mailboxes[1].Name)
		}},
		{"mailbox owner never issued", func(st *world.Snapshot, s *sim.Scheduler) string {
			m := &st.Mailboxes[0]
			m.Owner = st.NextEntity + 5
			return fmt.Sprintf(sec+"mailbox %d (%q): owner %d was never an entity", m.ID, m.Name, m.Owner)
		}},
		{"monitor of no tasklet", func(st *world.Snapshot, s *sim.Scheduler) string {
			next, _ := s.NextIDs()
			st.Monitors = append(st.Monitors, world.MonitorSnapshot{Tasklet: next + 10, Mailbox: st.Monitors[0].Mailbox})
			return fmt.Sprintf(sec+"monitor of tasklet %d: no such tasklet (a monitor ends with its tasklet)", next+10)
		}},
		{"monitor without a mailbox", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Monitors[0].Mailbox = 0
			return fmt.Sprintf(sec+"monitor of tasklet %d: mailbox 0 was never made (channel ids end at %d)", st.Monitors[0].Tasklet, nextChan(s))
		}},
		{"component of no entity", func(st *world.Snapshot, s *sim.Scheduler) string {
			cs := &st.Components[0]
			alive := map[world.EntityID]bool{}
			for _, id := range st.Entities.ID {
				alive[id] = true
			}
			gone := cs.IDs[len(cs.IDs)-1] + 1 // the first id after the last one that is no entity now
			for alive[gone] {
				gone++
			}
			cs.IDs[len(cs.IDs)-1] = gone
			return fmt.Sprintf(sec+"component %q: entity %d: no such entity", cs.Name, cs.IDs[len(cs.IDs)-1])
		}},
		{"component ids out of order", func(st *world.Snapshot, s *sim.Scheduler) string {
			cs := &st.Components[0]
			cs.IDs[0], cs.IDs[1] = cs.IDs[1], cs.IDs[0]
			return fmt.Sprintf(sec+"component %q: entity %d: after entity %d (ids are saved in increasing order, once)", cs.Name, cs.IDs[1], cs.IDs[0])
		}},
		{"component saved twice", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Components = append(st.Components, st.Components[0])
			return fmt.Sprintf(sec+"component %q: saved twice", st.Components[0].Name)
		}},
		{"entity tasklet never made", func(st *world.Snapshot, s *sim.Scheduler) string {
			next, _ := s.NextIDs()
			st.Entities.Tasklet[0] = next
			return fmt.Sprintf(sec+"entity %d: tasklet %d was never made (tasklet ids end at %d)", st.Entities.ID[0], next, next)
		}},
		{"two entities share a tasklet", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Entities.Tasklet[1] = st.Entities.Tasklet[0]
			return fmt.Sprintf(sec+"entity %d: tasklet %d also drives entity %d", st.Entities.ID[1], st.Entities.Tasklet[0], st.Entities.ID[0])
		}},
		{"notify mailbox never made", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Entities.Notify[2] = 1 << 30
			return fmt.Sprintf(sec+"entity %d: notify mailbox 1073741824 was never made (channel ids end at %d)", st.Entities.ID[2], nextChan(s))
		}},
		{"entity saved twice", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Entities.ID[1] = st.Entities.ID[0]
			return fmt.Sprintf(sec+"entity %d: saved twice", st.Entities.ID[0])
		}},
		{"entity not issued yet", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Entities.ID[0] = st.NextEntity
			return fmt.Sprintf(sec+"entity %d: not issued yet (the next id of zone 0 is %d)", st.NextEntity, st.NextEntity)
		}},
		{"entity column short", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Entities.Notify = st.Entities.Notify[1:]
			return fmt.Sprintf(sec+"entity column \"notify\" has %d values for %d entities", len(st.Entities.Notify), len(st.Entities.ID))
		}},
		{"kind named twice", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Kinds[1] = st.Kinds[0]
			return fmt.Sprintf(sec+"kind 1: name %q used twice", st.Kinds[0])
		}},
		{"ghost entity in the index", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Index.Items[2].ID = st.Index.Items[0].ID + 1_000_000_000_000
			return fmt.Sprintf(sec+"index: item %d was never an entity", st.Index.Items[2].ID)
		}},
		{"more ghosts than despawned", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Index.Died = 0
			return sec + "index: 1 items are no entity, but only 0 despawned since the index was built"
		}},
		{"item listed twice", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Index.Items[5].ID = st.Index.Items[4].ID
			return fmt.Sprintf(sec+"index: item %d listed twice", st.Index.Items[4].ID)
		}},
		{"watcher of no entity", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Index.Watchers[0].ID = st.NextEntity + 1
			return fmt.Sprintf(sec+"index: watcher %d: no such entity", st.NextEntity+1)
		}},
		{"watcher set unsorted", func(st *world.Snapshot, s *sim.Scheduler) string {
			for i := range st.Index.Watchers {
				if ws := &st.Index.Watchers[i]; len(ws.Set) >= 2 {
					ws.Set[0], ws.Set[1] = ws.Set[1], ws.Set[0]
					return fmt.Sprintf(sec+"index: watcher %d: sees %d after %d (sets are sorted, without duplicates)", ws.ID, ws.Set[1], ws.Set[0])
				}
			}
			panic("no watcher sees two entities")
		}},
		{"named channel never made", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.Channels[0].ID = 1 << 31
			return fmt.Sprintf(sec+"named channel %q: channel 2147483648 was never made (channel ids end at %d)", st.Channels[0].Name, nextChan(s))
		}},
		{"two names for one channel", func(st *world.Snapshot, s *sim.Scheduler) string {
			nc := st.Channels[0]
			st.Channels = append(st.Channels, world.NamedChannel{Name: nc.Name + "2", ID: nc.ID})
			return fmt.Sprintf(sec+"named channels %q and %q: both name channel %d (a channel has one name)", nc.Name, nc.Name+"2", nc.ID)
		}},
		{"one name for two channels", func(st *world.Snapshot, s *sim.Scheduler) string {
			nc := st.Channels[0]
			st.Channels = append(st.Channels, world.NamedChannel{Name: nc.Name, ID: st.Mailboxes[0].ID})
			return fmt.Sprintf(sec+"named channel %q: saved twice", nc.Name)
		}},
		{"next entity id past the serials", func(st *world.Snapshot, s *sim.Scheduler) string {
			st.NextEntity = world.MakeEntityID(0, world.MaxEntitySerial+1) + 1
			return fmt.Sprintf(sec+"next entity id %d: serial %d out of range [1, %d]", st.NextEntity, st.NextEntity.Serial(), uint64(world.MaxEntitySerial+1))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, st, err := codec.Decode(data)
			require.NoError(t, err)
			want := c.mutate(st, s)
			w, err := world.Restore(s, st, cfgQuiet())
			if w != nil {
				w.Close()
			}
			require.EqualError(t, err, want)
		})
	}
	// the unchanged save loads
	s, st, err := codec.Decode(data)
	require.NoError(t, err)
	w, err := world.Restore(s, st, cfgQuiet())
	require.NoError(t, err)
	w.Close()
}

func nextChan(s *sim.Scheduler) sim.ChanID {
	_, c := s.NextIDs()
	return c
}

// TestLoadBuildsNoGridTheInputDoesNotPay: a small save whose map claims 2^22 grid cells
// (16 MiB of grid) for a few hundred entities is refused, saying how to load it: with a
// config that names the map, which then loads. Such a save once made Load allocate up to
// 256 MiB (2^26 cells) whatever its size.
func TestLoadBuildsNoGridTheInputDoesNotPay(t *testing.T) {
	codec := world.DefaultCodec()
	s, st, err := codec.Decode(fullSave(t))
	require.NoError(t, err)
	st.Width, st.Height = 1<<16, 1<<16 // cells of 32: 2048 × 2048
	data, _, err := codec.Encode(s, st)
	require.NoError(t, err)
	n := len(st.Entities.ID)
	_, used, err := loadCounted(data)
	require.EqualError(t, err, fmt.Sprintf(`world: load: section "world": the 65536×65536 map with cell size 32 has 4194304 grid cells, `+
		`more than a load builds for %d entities (%d); if the save is yours, name its map in the config (Width 65536, Height 65536, CellSize 32)`,
		n, world.MaxLoadGridCells+world.LoadGridCellsPerEntity*n))
	require.LessOrEqual(t, used, loadAllocBound(data, st))
	w, err := world.Load(codec, data, world.Config{Width: 1 << 16, Height: 1 << 16, CellSize: 32, Logger: quiet()})
	require.NoError(t, err)
	defer w.Close()
	tick(t, w, 1)
}
