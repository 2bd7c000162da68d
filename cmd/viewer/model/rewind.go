package model

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/stackworld/stackworld/world"
)

// Timeline defaults.
const (
	// DefaultSnapshotEvery is how many ticks apart a Timeline keeps snapshots when Every is 0.
	DefaultSnapshotEvery = 25
	// DefaultMaxSnapshotBytes is the memory a Timeline's snapshots may use when MaxBytes is 0.
	DefaultMaxSnapshotBytes = 256 << 20
)

// A Timeline records a run so that the viewer can return to any earlier tick of it: a
// snapshot every Every ticks (in at most MaxBytes: when they take more, snapshots are
// thinned, the oldest first, always keeping the first and the last), the inputs delivered
// before every tick, and the checksum of every tick. Seek loads the nearest snapshot at or
// before a tick and re-runs the ticks after it with the logged inputs; the world is
// deterministic, so it arrives in the recorded state, which the checksum verifies.
//
// Memory: the snapshots (bounded by MaxBytes, or two snapshots if one is larger), 8 bytes
// per recorded tick and the inputs. Set the fields before Start; a Timeline is not safe for
// concurrent use (the Loop calls it under its lock).
type Timeline struct {
	Codec    world.Codec  // how snapshots are saved and loaded (world.DefaultCodec() if nil)
	Config   world.Config // for loaded worlds: clock, logger (sizes come from the snapshot)
	Handler  InputHandler // delivers logged inputs during a re-run (nil: inputs are ignored)
	Every    uint64       // ticks between snapshots (0: DefaultSnapshotEvery)
	MaxBytes int          // memory for snapshots (0: DefaultMaxSnapshotBytes)
	// Sum is the checksum recorded for every tick and compared after a re-run (nil:
	// world.World.DeepChecksum, which covers every frame, channel, component and message).
	Sum func(w *world.World) (uint64, error)
	// DeepEvery records Sum only every DeepEvery ticks (counted from Start) and the world's
	// cheap checksum (World.Checksum: tick, counters, RNG, entity records) at the ticks
	// between: for worlds whose deep checksum costs more than a tick. 0 or 1: Sum at every
	// tick.
	DeepEvery uint64

	base  uint64 // the first recorded tick (Start's)
	sums  []uint64
	log   []Input // every delivered input, in delivery order
	snaps []snapshot
	bytes int
	due   []Input // the inputs delivered before the tick being run
	// Diverged is the last divergence found by Record or Seek, or nil.
	Diverged *Divergence
}

type snapshot struct {
	tick uint64
	data []byte
}

// A Divergence is a tick whose checksum after a re-run differs from the one recorded on
// the way forward: the world was not deterministic, or an input was lost.
type Divergence struct {
	Tick      uint64
	Want, Got uint64
}

// Error says where the run diverged, loudly.
func (d *Divergence) Error() string {
	return fmt.Sprintf("viewer: DIVERGED at tick %d: checksum %016x, recorded %016x", d.Tick, d.Got, d.Want)
}

// A Verdict is the outcome of a Seek.
type Verdict struct {
	Tick     uint64 // the tick reached
	From     uint64 // the snapshot's tick it re-ran from (or the live world's)
	Ran      int    // ticks re-run
	Verified bool   // the checksum equals the recorded one
	Deep     bool   // the checksum compared is the deep one (see Timeline.DeepEvery)
	Sum      uint64
}

func (tl *Timeline) every() uint64 {
	if tl.Every == 0 {
		return DefaultSnapshotEvery
	}
	return tl.Every
}

func (tl *Timeline) codec() world.Codec {
	if tl.Codec == nil {
		tl.Codec = world.DefaultCodec()
	}
	return tl.Codec
}

// IsDeep reports whether the checksum of tick is the deep one (Sum), not World.Checksum.
func (tl *Timeline) IsDeep(tick uint64) bool {
	return tl.DeepEvery <= 1 || (tick-tl.base)%tl.DeepEvery == 0
}

// sum returns the checksum recorded for w's current tick: deep or cheap (see DeepEvery).
func (tl *Timeline) sum(w *world.World) (uint64, error) {
	switch {
	case !tl.IsDeep(w.Now()):
		return w.Checksum(), nil
	case tl.Sum == nil:
		return w.DeepChecksum()
	}
	return tl.Sum(w)
}

// Start forgets what was recorded and starts recording at w's tick, with a snapshot of w.
func (tl *Timeline) Start(w *world.World) error {
	tl.base, tl.sums, tl.log, tl.snaps, tl.bytes, tl.Diverged = w.Now(), tl.sums[:0], nil, nil, 0, nil
	return tl.record(w)
}

// First and Last return the range of recorded ticks.
func (tl *Timeline) First() uint64 { return tl.base }

// Last returns the last recorded tick.
func (tl *Timeline) Last() uint64 { return tl.base + uint64(len(tl.sums)) - 1 }

// Snapshots returns the ticks of the kept snapshots, oldest first, and their total size.
func (tl *Timeline) Snapshots() (ticks []uint64, bytes int) {
	for _, s := range tl.snaps {
		ticks = append(ticks, s.tick)
	}
	return ticks, tl.bytes
}

// SumAt returns the checksum recorded for tick.
func (tl *Timeline) SumAt(tick uint64) (uint64, bool) {
	if len(tl.sums) == 0 || tick < tl.base || tick > tl.Last() {
		return 0, false
	}
	return tl.sums[tick-tl.base], true
}

// Delivered tells the timeline the inputs delivered before tick next (a copy is kept).
// Within the recorded range (after a rewind) inputs other than the logged ones start a new
// branch: the recorded future from next on is dropped.
func (tl *Timeline) Delivered(next uint64, in []Input) {
	tl.due = append(tl.due[:0], in...)
	if len(tl.sums) > 0 && next <= tl.Last() && !sameInputs(in, tl.logged(next)) {
		tl.truncate(next - 1)
	}
}

// logged returns the logged inputs of tick (a subslice of the log).
func (tl *Timeline) logged(tick uint64) []Input {
	i := sort.Search(len(tl.log), func(i int) bool { return tl.log[i].Tick >= tick })
	j := i
	for j < len(tl.log) && tl.log[j].Tick == tick {
		j++
	}
	return tl.log[i:j]
}

// truncate drops what was recorded after tick.
func (tl *Timeline) truncate(tick uint64) {
	if tick < tl.base || tick >= tl.Last() {
		return
	}
	tl.sums = tl.sums[:tick-tl.base+1]
	i := sort.Search(len(tl.log), func(i int) bool { return tl.log[i].Tick > tick })
	tl.log = tl.log[:i]
	for len(tl.snaps) > 1 && tl.snaps[len(tl.snaps)-1].tick > tick {
		tl.bytes -= len(tl.snaps[len(tl.snaps)-1].data)
		tl.snaps = tl.snaps[:len(tl.snaps)-1]
	}
}

// Record records the tick w has just run, with the inputs Delivered before it. Over a
// recorded tick (after a rewind) it compares the checksum with the recorded one: on a
// mismatch it sets Diverged, drops the recorded future and returns the Divergence.
func (tl *Timeline) Record(w *world.World) error {
	delivered := tl.due
	tl.due = tl.due[:0]
	tick := w.Now()
	if len(tl.sums) == 0 || tick < tl.base || tick > tl.Last()+1 {
		return fmt.Errorf("viewer: timeline: tick %d is outside the recorded ticks %d..%d; call Start", tick, tl.base, tl.Last())
	}
	if tick <= tl.Last() {
		got, err := tl.sum(w)
		if err != nil {
			return err
		}
		if want := tl.sums[tick-tl.base]; got != want {
			tl.Diverged = &Divergence{Tick: tick, Want: want, Got: got}
			tl.truncate(tick - 1)
			tl.log = append(tl.log, delivered...)
			tl.sums = append(tl.sums, got)
			return tl.Diverged
		}
		return nil
	}
	tl.log = append(tl.log, delivered...)
	return tl.record(w)
}

// record appends w's checksum, and a snapshot every Every ticks.
func (tl *Timeline) record(w *world.World) error {
	sum, err := tl.sum(w)
	if err != nil {
		return err
	}
	tl.sums = append(tl.sums, sum)
	if (w.Now()-tl.base)%tl.every() != 0 {
		return nil
	}
	data, err := w.Save(tl.codec())
	if err != nil {
		return fmt.Errorf("viewer: timeline: snapshot at tick %d: %w", w.Now(), err)
	}
	tl.snaps = append(tl.snaps, snapshot{tick: w.Now(), data: data})
	tl.bytes += len(data)
	tl.thin()
	return nil
}

// thin drops snapshots while they take more than MaxBytes, keeping the first and the last:
// each time the one whose removal leaves the smallest gap relative to its age, so old
// snapshots go first and the spacing grows with age. O(snapshots) per drop.
func (tl *Timeline) thin() {
	limit := tl.MaxBytes
	if limit == 0 {
		limit = DefaultMaxSnapshotBytes
	}
	for tl.bytes > limit && len(tl.snaps) > 2 {
		last := tl.snaps[len(tl.snaps)-1].tick
		best, bestCost := -1, 0.0
		for i := 1; i < len(tl.snaps)-1; i++ {
			gap := float64(tl.snaps[i+1].tick - tl.snaps[i-1].tick)
			cost := gap / float64(last-tl.snaps[i].tick)
			if best < 0 || cost < bestCost {
				best, bestCost = i, cost
			}
		}
		tl.bytes -= len(tl.snaps[best].data)
		tl.snaps = slices.Delete(tl.snaps, best, best+1)
	}
}

// ErrNotRecorded is returned by Seek for a tick outside the recorded range.
var ErrNotRecorded = errors.New("viewer: rewind: tick not recorded")

// Seek returns a world at tick target: cur itself run forward if the nearest snapshot is
// not nearer, else the nearest snapshot at or before target loaded and re-run with the
// logged inputs. It verifies the checksum at target against the recorded one; a mismatch
// sets Diverged to the first tick that differs and is reported in the Verdict (the world is
// returned all the same). The caller owns the returned world (it may be cur).
func (tl *Timeline) Seek(target uint64, cur *world.World) (*world.World, Verdict, error) {
	if len(tl.sums) == 0 || target < tl.base || target > tl.Last() {
		return nil, Verdict{}, fmt.Errorf("%w: tick %d (recorded: %d..%d)", ErrNotRecorded, target, tl.base, tl.Last())
	}
	i := sort.Search(len(tl.snaps), func(i int) bool { return tl.snaps[i].tick > target }) - 1
	snap := tl.snaps[i]
	w := cur
	if cur == nil || cur.Now() > target || cur.Now() < snap.tick {
		var err error
		if w, err = world.Load(tl.codec(), snap.data, tl.Config); err != nil {
			return nil, Verdict{}, fmt.Errorf("viewer: rewind to tick %d: snapshot of tick %d: %w", target, snap.tick, err)
		}
	}
	v := Verdict{Tick: target, From: w.Now()}
	if err := tl.replay(w, target); err != nil {
		return w, v, err
	}
	v.Ran = int(target - v.From)
	sum, err := tl.sum(w)
	if err != nil {
		return w, v, err
	}
	v.Sum, v.Verified, v.Deep = sum, sum == tl.sums[target-tl.base], tl.IsDeep(target)
	if !v.Verified {
		tl.Diverged = tl.findDivergence(snap, target)
	}
	return w, v, nil
}

// replay runs w to tick target, delivering the logged inputs before each tick.
func (tl *Timeline) replay(w *world.World, target uint64) error {
	for w.Now() < target {
		next := w.Now() + 1
		if in := tl.logged(next); len(in) > 0 && tl.Handler != nil {
			if err := tl.Handler(w, in); err != nil {
				return fmt.Errorf("viewer: rewind: %d inputs before tick %d: %w", len(in), next, err)
			}
		}
		if err := w.Tick(); err != nil {
			return fmt.Errorf("viewer: rewind: tick %d: %w", next, err)
		}
	}
	return nil
}

// findDivergence re-runs from snap, comparing every tick, and returns the first tick whose
// checksum differs from the recorded one (target's if none before it does).
func (tl *Timeline) findDivergence(snap snapshot, target uint64) *Divergence {
	w, err := world.Load(tl.codec(), snap.data, tl.Config)
	if err != nil {
		return &Divergence{Tick: snap.tick}
	}
	defer w.Close()
	for w.Now() < target {
		if tl.replay(w, w.Now()+1) != nil {
			break
		}
		got, err := tl.sum(w)
		if want := tl.sums[w.Now()-tl.base]; err != nil || got != want {
			return &Divergence{Tick: w.Now(), Want: want, Got: got}
		}
	}
	return &Divergence{Tick: target, Want: tl.sums[target-tl.base]}
}

// sameInputs reports whether two input lists are equal, payloads included.
func sameInputs(a, b []Input) bool {
	return slices.EqualFunc(a, b, func(x, y Input) bool {
		return x.Tick == y.Tick && x.Client == y.Client && x.Seq == y.Seq && string(x.Payload) == string(y.Payload)
	})
}
