package server

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/world"
)

// SaveResult is the outcome of one save.
type SaveResult struct {
	Path  string
	Tick  uint64        // the tick the snapshot holds
	Bytes int           // the snapshot's size
	Pause time.Duration // how long the tick loop was held (taking the copy)
	Took  time.Duration // from the copy to the file written and synced
	Final bool          // the save made when Run stops
	Err   error
}

// saver takes snapshots at tick boundaries and writes them on its own goroutine, one at a
// time. All its methods but write run on the loop goroutine.
type saver struct {
	s        *Server
	jobs     chan saveJob    // to the writer (cap 1: one save in flight)
	results  chan SaveResult // from the writer (cap 1)
	exited   chan struct{}
	busy     bool                     // a job is with the writer
	due      bool                     // an autosave is due at the next boundary
	waiting  []chan SaveResult        // SaveNow calls for the next save
	inFlight []chan SaveResult        // SaveNow calls answered by the save being written
	failing  bool                     // the last save failed: retry at retryAt
	backoff  time.Duration            // the wait before the next retry
	retryAt  time.Duration            // clock time of the next retry
	last     *persist.Capture         // the latest capture: the scheduler's Freezer
	spare    *persist.Capture         // the one before, saved and replaced: its memory is reused
	prepared chan [2]*persist.Capture // the first two spares, from the writer (cap 1; nil once taken)
}

// saveJob is one snapshot for the writer.
type saveJob struct {
	tick  uint64
	snap  *persist.Capture
	start time.Duration // clock time the copy began
	pause time.Duration
	final bool
	// next is the capture the next save will reuse (saved and replaced), for the writer
	// to make room in after this save (persist.Capture.Reserve): nil if none.
	next *persist.Capture
}

func (sv *saver) init(s *Server) {
	sv.s = s
	sv.jobs = make(chan saveJob, 1)
	sv.results = make(chan SaveResult, 1)
	sv.exited = make(chan struct{})
}

// prepare checks SavePath and its folder and removes stale temporary files, before the
// first tick.
func (sv *saver) prepare() error {
	o := &sv.s.opts
	if o.SavePath == "" {
		return nil
	}
	if err := CheckSavePath(o.SavePath, o.ReplaceAny); err != nil {
		return err
	}
	removed, err := persist.RemoveStaleTemps(o.SavePath)
	if len(removed) > 0 {
		o.Logger.Info("removed temporary files of saves that were killed midway", "files", removed)
	}
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if err := persist.CheckSaveDir(o.SavePath); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

// CheckSavePath reports what stops a server from saving to path: a file there that is not
// a Stackworld snapshot (ErrNotSnapshot, unless replaceAny), a file that cannot be read,
// or a folder that does not exist or does not take a new file. Run checks it before the
// first tick; a program may check it before it builds its world.
func CheckSavePath(path string, replaceAny bool) error {
	ok, err := persist.IsSnapshotFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("server: save file %s: %w", path, err)
	case !ok && !replaceAny:
		return fmt.Errorf("server: save file %s %w", path, ErrNotSnapshot)
	}
	if err := persist.CheckSaveDir(path); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

// start starts the writer goroutine. With a SavePath, the writer first prepares the
// memory of the first two captures (persist.PrepareCapture, World.PrepareCapture), sized
// on the loop now, so that no autosave, the first ones included, allocates its tables in
// the pause (each capture reuses the tables of the one before last).
func (sv *saver) start() {
	var room persist.CaptureRoom
	var worldRoom world.CaptureRoom
	if sv.s.opts.SavePath != "" {
		room, worldRoom = persist.CaptureRoomOf(sv.s.w.Scheduler()), sv.s.w.CaptureRoom()
		sv.prepared = make(chan [2]*persist.Capture, 1)
	}
	go func() {
		defer close(sv.exited)
		if sv.prepared != nil {
			sv.s.w.PrepareCapture(worldRoom)
			sv.prepared <- [2]*persist.Capture{persist.PrepareCapture(room), persist.PrepareCapture(room)}
		}
		for job := range sv.jobs {
			sv.results <- sv.write(job)
		}
	}()
}

// stop waits for a save in flight, saves a last time if final and a SavePath is set, and
// stops the writer. It returns the final save's error.
func (sv *saver) stop(final bool) error {
	if sv.busy {
		sv.finished(<-sv.results)
	}
	var err error
	if final && sv.s.opts.SavePath != "" {
		r := SaveResult{Path: sv.s.opts.SavePath, Tick: sv.s.w.Now(), Final: true}
		if r.Err = sv.finalGate(); r.Err == nil {
			var job saveJob
			if job, r.Err = sv.capture(true); r.Err == nil {
				r = sv.write(job)
			}
		}
		sv.inFlight, sv.waiting = sv.waiting, nil
		sv.finished(r)
		err = r.Err
	}
	close(sv.jobs)
	<-sv.exited
	return err
}

// request adds SaveNow calls to the next save.
func (sv *saver) request(cs []chan SaveResult) { sv.waiting = append(sv.waiting, cs...) }

// maybeSave starts a save if one is due, asked for, or a retry is due, and the writer is
// free. A due autosave waits while the writer is busy; during a retry's backoff only the
// retry (or SaveNow) saves.
func (sv *saver) maybeSave() {
	o := &sv.s.opts
	if o.SavePath == "" || sv.busy {
		return
	}
	now := o.Clock.Now()
	switch {
	case len(sv.waiting) > 0:
	case sv.failing:
		if now < sv.retryAt {
			sv.due = false // the retry will save the world as it is then
			return
		}
	case !sv.due:
		return
	}
	if !sv.gate() {
		return
	}
	sv.due = false
	sv.inFlight, sv.waiting = sv.waiting, nil
	job, err := sv.capture(false)
	if err != nil {
		sv.finished(SaveResult{Path: o.SavePath, Tick: sv.s.w.Now(), Err: err})
		return
	}
	sv.busy = true
	sv.jobs <- job
}

// capture takes the consistent copy of the world that the writer encodes: the only part of
// a save that holds the tick loop.
func (sv *saver) capture(final bool) (saveJob, error) {
	clock := sv.s.opts.Clock
	t0 := clock.Now()
	sec, err := sv.s.w.CaptureSection()
	if err != nil {
		return saveJob{}, err
	}
	// The spare's writer is done (a capture is taken only while the writer is idle) and
	// the scheduler has asked the last capture, not the spare, since last was taken. The
	// first capture waits for the writer's prepared spares (ready long before an autosave
	// is due; only a SaveNow at once waits): one for it, one (as last) for the second.
	if sv.prepared != nil {
		p := <-sv.prepared
		sv.spare, sv.last, sv.prepared = p[0], p[1], nil
	}
	spare := sv.spare
	sv.spare = nil
	snap, err := sv.s.opts.Codec.Recapture(spare, sv.s.w.Scheduler(), sec)
	if err != nil {
		return saveJob{}, fmt.Errorf("server: save at tick %d: %w", sv.s.w.Now(), err)
	}
	sv.spare, sv.last = sv.last, snap
	return saveJob{tick: sv.s.w.Now(), snap: snap, start: t0, pause: clock.Now() - t0, final: final, next: sv.spare}, nil
}

// write encodes and writes a job (on the writer goroutine, or the loop's for the final save).
func (sv *saver) write(job saveJob) SaveResult {
	o := &sv.s.opts
	r := SaveResult{Path: o.SavePath, Tick: job.tick, Pause: job.pause, Final: job.final}
	data, _, err := o.Codec.SaveCapture(job.snap)
	if err == nil {
		r.Bytes = len(data)
		err = o.WriteFile(o.SavePath, data)
	}
	if err != nil {
		r.Err = fmt.Errorf("server: save %s at tick %d: %w", o.SavePath, job.tick, err)
	}
	r.Took = o.Clock.Now() - job.start
	if job.next != nil {
		job.next.Reserve(job.snap.Room()) // the loop takes the next capture after this result only
	}
	return r
}

// finished records a save's result, answers its SaveNow calls and schedules a retry after
// a failure.
func (sv *saver) finished(r SaveResult) {
	sv.busy = false
	o := &sv.s.opts
	s := sv.s
	s.mu.Lock()
	if r.Err != nil {
		s.stats.SaveFailures++
	} else {
		s.stats.Saves++
	}
	s.stats.LastSave = r
	s.mu.Unlock()
	if r.Err != nil {
		sv.backoff = min(max(2*sv.backoff, o.RetryMin), o.RetryMax)
		sv.failing, sv.retryAt = true, o.Clock.Now()+sv.backoff
		o.Logger.Error("save failed; the world keeps running and the save is retried", "file", r.Path,
			"tick", r.Tick, "retry_in", sv.backoff, "err", r.Err)
	} else {
		sv.failing, sv.backoff = false, 0
		o.Logger.Debug("saved", "file", r.Path, "tick", r.Tick, "bytes", r.Bytes, "pause", r.Pause, "took", r.Took)
	}
	for _, c := range sv.inFlight {
		c <- r
	}
	sv.inFlight = nil
	if o.OnSave != nil {
		o.OnSave(r)
	}
}
