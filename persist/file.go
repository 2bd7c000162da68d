package persist

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/stackworld/stackworld/sim"
)

// WriteFileAtomic replaces the file at path with data so that a crash at any moment leaves
// either the old file or the new one, whole: it writes a temporary file in the same
// directory, fsyncs it, closes it, renames it over path and fsyncs the directory. On error
// the temporary file is removed and the old file is untouched. A process killed midway can
// leave a temporary file named .NAME.tmp* beside path; it is never read.
func WriteFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, tempName(base))
	if err != nil {
		return fmt.Errorf("persist: save %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("persist: save %s: %w", path, err)
		}
	}()
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if _, err = writeFile(f, data); err != nil {
		return err
	}
	if err = syncFile(f); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// writeFile and syncFile are the writes WriteFileAtomic makes; tests replace them to inject
// ENOSPC and EIO.
var (
	writeFile = (*os.File).Write
	syncFile  = (*os.File).Sync
)

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// SaveFile saves s and the sections to path with WriteFileAtomic.
func (c *Codec) SaveFile(path string, s *sim.Scheduler, sections ...Section) (*Report, error) {
	data, rep, err := c.save(s, sections)
	if err != nil {
		return nil, fmt.Errorf("persist: save %s: %w", path, err)
	}
	if err := WriteFileAtomic(path, data); err != nil {
		return nil, err
	}
	return rep, nil
}

// LoadFile loads the snapshot at path (see Load). A file larger than MaxBytes is refused
// before it is read.
func (c *Codec) LoadFile(path string, ro sim.RestoreOptions) (*sim.Scheduler, *Snapshot, error) {
	data, err := c.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	s := sim.NewScheduler(sim.Options{})
	snap, err := c.load(s, data, ro, path)
	if err != nil {
		return nil, nil, err
	}
	return s, snap, nil
}

// RawFile reads the snapshot at path in generic form (see Raw).
func (c *Codec) RawFile(path string) (*Raw, error) {
	data, err := c.ReadFile(path)
	if err != nil {
		return nil, err
	}
	raw, err := c.raw(data)
	if le := (*LoadError)(nil); errors.As(err, &le) {
		le.File = path
	}
	return raw, err
}

// ReadFile reads a file of at most MaxBytes.
func (c *Codec) ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &LoadError{File: path, Offset: -1, Err: unwrapPath(err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(c.opts.MaxBytes)+1))
	if err != nil {
		return nil, &LoadError{File: path, Offset: -1, Err: unwrapPath(err)}
	}
	if len(data) > c.opts.MaxBytes {
		return nil, &LoadError{File: path, Offset: -1, Err: errorf(ErrLimit, "file over the limit of %d bytes (MaxBytes)", c.opts.MaxBytes)}
	}
	return data, nil
}

// unwrapPath drops the path from an *os.PathError (the LoadError names the file).
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// IsSnapshotFile reports whether the file at path begins as a snapshot does: a CBOR array
// whose first element is Magic. It reads at most 64 bytes and does not check the rest: a
// damaged snapshot is still a snapshot (to be replaced by a good one). A missing file is
// reported as an error for which errors.Is(err, fs.ErrNotExist) holds.
func IsSnapshotFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var head [64]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	r := reader{b: head[:n]}
	m, k := r.head()
	magic := r.rawBytes(majText, 64, "magic")
	return r.err == nil && m == majArray && k >= 2 && string(magic) == Magic, nil
}

// tempName is the pattern of WriteFileAtomic's temporary files beside path's base name.
func tempName(base string) string { return "." + base + ".tmp*" }

// RemoveStaleTemps removes the temporary files WriteFileAtomic leaves beside path when a
// process is killed midway (.NAME.tmp followed by digits), and returns their paths. Call it
// before saving to path again, never while another process may be saving there. It touches
// no other file.
func RemoveStaleTemps(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("persist: clean %s: %w", dir, err)
	}
	prefix := "." + base + ".tmp"
	var removed []string
	var errs []error
	for _, e := range entries { // determinism: ReadDir sorts by name
		name := e.Name()
		if !e.Type().IsRegular() || len(name) <= len(prefix) || name[:len(prefix)] != prefix || !allDigits(name[len(prefix):]) {
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("persist: clean %s: %w", dir, err)
	}
	return removed, nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// CheckSaveDir reports whether WriteFileAtomic can save to path: its directory exists and
// takes a new file (it creates and removes one of its temporary files).
func CheckSaveDir(path string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, tempName(base))
	if err != nil {
		return fmt.Errorf("persist: cannot save %s: folder %s: %w", path, dir, unwrapPath(err))
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("persist: cannot save %s: %w", path, err)
	}
	return nil
}
