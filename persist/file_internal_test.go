package persist

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriteFileAtomicFailuresLeaveTheOldFile injects ENOSPC into the write and EIO into the
// fsync: each time the error names the file, the old file is untouched and no temporary
// file is left.
func TestWriteFileAtomicFailuresLeaveTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.cbor")
	require.NoError(t, WriteFileAtomic(path, []byte("old")))
	for _, c := range []struct {
		name  string
		write func(*os.File, []byte) (int, error)
		sync  func(*os.File) error
		want  string
	}{
		{"write", func(*os.File, []byte) (int, error) { return 0, syscall.ENOSPC }, (*os.File).Sync, "persist: save " + path + ": no space left on device"},
		{"fsync", (*os.File).Write, func(*os.File) error { return syscall.EIO }, "persist: save " + path + ": input/output error"},
	} {
		writeFile, syncFile = c.write, c.sync
		err := WriteFileAtomic(path, []byte("new"))
		writeFile, syncFile = (*os.File).Write, (*os.File).Sync
		require.EqualError(t, err, c.want, c.name)
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, "old", string(got), c.name)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1, c.name)
	}
	require.NoError(t, WriteFileAtomic(path, []byte("new")))
	got, _ := os.ReadFile(path)
	require.Equal(t, "new", string(got))
}
