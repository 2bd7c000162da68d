package main

import (
	"bufio"
	"context"
	"fmt"
	"os"

	"github.com/stackworld/stackworld/world"
)

// tickSums writes a zone's deep checksum after every tick (zone --checksums FILE) in
// replay's format, "tick N state X", so that two runs of lock-step zones can be compared
// line by line and the first tick that differs found. Cost: one encoding of the world per
// tick (world.DeepChecksum), on the zone's loop.
type tickSums struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

// createTickSums creates (or truncates) the file at path.
func createTickSums(path string) (*tickSums, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, tryError{err: fmt.Errorf("--checksums: %w", err), try: "--checksums with a file in a folder that exists and is writable"}
	}
	return &tickSums{path: path, f: f, w: bufio.NewWriter(f)}, nil
}

// endTick writes the line of the tick w has just run (a server's EndTick hook).
func (s *tickSums) endTick(_ context.Context, w *world.World) error {
	sum, err := w.DeepChecksum()
	if err != nil {
		return fmt.Errorf("--checksums: tick %d: %w", w.Now(), err)
	}
	if _, err := fmt.Fprintf(s.w, "tick %d state %016x\n", w.Now(), sum); err != nil {
		return fmt.Errorf("--checksums %s: %w", s.path, err)
	}
	return nil
}

// close writes what is buffered and closes the file.
func (s *tickSums) close() error {
	err := s.w.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--checksums %s: %w", s.path, err)
	}
	return nil
}
