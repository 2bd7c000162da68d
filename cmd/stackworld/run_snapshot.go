package main

import (
	"github.com/stackworld/stackworld/world"
)

// snapshotCodec is the snapshot format of run's --save and --load: package persist's, with
// the world's state in the section "world".
var snapshotCodec = world.DefaultCodec()

// saveWorld saves w to path atomically (a crash leaves the old file or the new one) and
// returns the snapshot's size.
func saveWorld(w *world.World, path string) (int, error) {
	rep, err := w.SaveFile(snapshotCodec, path)
	if err != nil {
		return 0, err
	}
	return rep.Bytes, nil
}

// loadWorld loads the world saved in path.
func loadWorld(path string, cfg world.Config) (*world.World, error) {
	return world.LoadFile(snapshotCodec, path, cfg)
}
