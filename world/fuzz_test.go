package world_test

import (
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// loadAllocBound is what Load may allocate for data (the bound Restore documents): 64
// times its size, plus the spatial grid's 4 bytes for each of LoadGridCellsPerEntity cells
// per saved entity, plus a constant: the grid's first MaxLoadGridCells cells (1 MiB), the
// interest grid (1 MiB at most) and 64 KiB. It was 64 times the size plus 4 bytes per
// cell of the saved map (up to 256 MiB) plus 4 MiB.
func loadAllocBound(data []byte, st *world.Snapshot) uint64 {
	return 64*uint64(len(data)) + 4*world.LoadGridCellsPerEntity*uint64(len(st.Entities.ID)) + 2*4*world.MaxLoadGridCells + 64<<10
}

// loadCounted loads data and returns the bytes it allocated.
func loadCounted(data []byte) (*world.World, uint64, error) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w, err := world.Load(world.DefaultCodec(), data, cfgQuiet())
	runtime.ReadMemStats(&after)
	return w, after.TotalAlloc - before.TotalAlloc, err
}

func TestLoadAllocatesAFewTimesItsInput(t *testing.T) {
	data := fullSave(t)
	_, st, err := world.DefaultCodec().Decode(data)
	must(t, err == nil, "decode: %v", err)
	w, n, err := loadCounted(data)
	must(t, err == nil, "load: %v", err)
	w.Close()
	t.Logf("load of %d bytes allocated %d bytes (%.1f×)", len(data), n, float64(n)/float64(len(data)))
	must(t, n <= loadAllocBound(data, st), "load of %d bytes allocated %d, over the bound %d", len(data), n, loadAllocBound(data, st))
}

func must(t *testing.T, ok bool, format string, a ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, a...)
	}
}

// FuzzWorldSection decodes a real save, changes fields of its world section as the fuzzer's
// bytes say (ids, references, lengths, sizes), encodes it again and loads it: Load must not
// panic, must allocate within loadAllocBound, and a world it accepts must tick, save, and
// load its save.
func FuzzWorldSection(f *testing.F) {
	base := fullSave(f)
	codec := world.DefaultCodec()
	f.Add([]byte{})
	for op := range byte(mutations) {
		f.Add([]byte{op, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
		f.Add([]byte{op, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0})
		f.Add([]byte{op, 1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		s, st, err := codec.Decode(base)
		if err != nil {
			t.Fatal(err)
		}
		for len(prog) >= 11 {
			mutate(st, prog[0], int(prog[1])|int(prog[2])<<8, binary.LittleEndian.Uint64(prog[3:11]))
			prog = prog[11:]
		}
		data, _, err := codec.Encode(s, st)
		if err != nil {
			return // not encodable: nothing to load
		}
		w, n, err := loadCounted(data)
		if bound := loadAllocBound(data, st); n > bound {
			t.Fatalf("load of %d bytes allocated %d, over the bound %d (err %v)", len(data), n, bound, err)
		}
		if err != nil {
			return
		}
		defer w.Close()
		for range 3 {
			if err := w.Tick(); err != nil {
				t.Fatal(err)
			}
		}
		again, err := w.Save(codec)
		if err != nil {
			t.Fatalf("a loaded world does not save: %v", err)
		}
		l, err := world.Load(codec, again, cfgQuiet())
		if err != nil {
			t.Fatalf("a save of a loaded world does not load: %v", err)
		}
		l.Close()
	})
}

const mutations = 25

// mutate sets one field of st, chosen by op, at index i (taken modulo the length), to v.
func mutate(st *world.Snapshot, op byte, i int, v uint64) {
	c := &st.Entities
	at := func(n int) (int, bool) {
		if n == 0 {
			return 0, false
		}
		return i % n, true
	}
	switch op % mutations {
	case 0:
		st.NextEntity = world.EntityID(v)
	case 1:
		if j, ok := at(len(c.ID)); ok {
			c.ID[j] = world.EntityID(v)
		}
	case 2:
		if j, ok := at(len(c.Kind)); ok {
			c.Kind[j] = world.Kind(v)
		}
	case 3:
		if j, ok := at(len(c.X)); ok {
			c.X[j], c.Y[j] = int32(v), int32(v>>32)
		}
	case 4:
		if j, ok := at(len(c.Interest)); ok {
			c.Interest[j] = int32(v)
		}
	case 5:
		if j, ok := at(len(c.Tasklet)); ok {
			c.Tasklet[j] = sim.ID(v)
		}
	case 6:
		if j, ok := at(len(c.Notify)); ok {
			c.Notify[j] = sim.ChanID(v)
		}
	case 7:
		if j, ok := at(len(st.Mailboxes)); ok {
			st.Mailboxes[j].ID = sim.ChanID(v)
		}
	case 8:
		if j, ok := at(len(st.Mailboxes)); ok {
			st.Mailboxes[j].Owner = world.EntityID(v)
		}
	case 9:
		if j, ok := at(len(st.Monitors)); ok {
			st.Monitors[j].Tasklet, st.Monitors[j].Mailbox = sim.ID(v), sim.ChanID(v>>32)
		}
	case 10:
		if j, ok := at(len(st.Components)); ok {
			cs := &st.Components[j]
			if k, ok := at(len(cs.IDs)); ok {
				cs.IDs[k] = world.EntityID(v)
			}
		}
	case 11:
		if j, ok := at(len(st.Channels)); ok {
			st.Channels[j].ID = sim.ChanID(v)
		}
	case 12:
		if ix := st.Index; ix != nil {
			if j, ok := at(len(ix.Items)); ok {
				ix.Items[j].ID = world.EntityID(v)
			}
		}
	case 13:
		if ix := st.Index; ix != nil {
			ix.Died = int(int32(v))
		}
	case 14:
		if ix := st.Index; ix != nil {
			if j, ok := at(len(ix.Watchers)); ok {
				ix.Watchers[j].ID = world.EntityID(v)
			}
		}
	case 15:
		if ix := st.Index; ix != nil {
			if j, ok := at(len(ix.Watchers)); ok {
				ws := &ix.Watchers[j]
				if k, ok := at(len(ws.Set)); ok {
					ws.Set[k] = world.EntityID(v)
				}
			}
		}
	case 16:
		st.Width, st.Height = int32(v), int32(v>>32)
	case 17:
		st.CellSize = int32(v)
	case 18:
		st.TickBudget = uint32(v)
	case 19:
		if j, ok := at(len(st.Kinds)); ok {
			st.Kinds[j] = st.Kinds[int(v%uint64(len(st.Kinds)))]
		}
	case 20: // drop the tail of one entity column
		cols := [][]int32{c.X, c.Y, c.VX, c.VY, c.Interest}
		col := &cols[i%len(cols)]
		*col = (*col)[:int(v%uint64(len(*col)+1))]
		c.X, c.Y, c.VX, c.VY, c.Interest = cols[0], cols[1], cols[2], cols[3], cols[4]
	case 21:
		if j, ok := at(len(st.RNG)); ok {
			st.RNG[j] = byte(v)
		}
	case 22: // a mailbox made the twin of another
		if j, ok := at(len(st.Mailboxes)); ok {
			st.Mailboxes = append(st.Mailboxes, st.Mailboxes[j])
		}
	case 23:
		st.Version = uint32(v)
	case 24:
		st.InterestCap = int32(v)
	}
}
