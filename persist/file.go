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
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
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
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
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
