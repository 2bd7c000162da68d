package taskletgen

import (
	"bufio"
	"bytes"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// An exportImporter imports packages from the export data the go command writes when it
// compiles them (go list -export), which the build cache usually holds already: much
// faster than type-checking them, and their dependencies, from source. It asks the go
// command once per batch of paths it has not seen (with their dependencies), from dir
// ("" is the working directory), and caches the packages it imported; it is safe for
// concurrent use.
type exportImporter struct {
	dir   string
	mu    sync.Mutex
	files map[string]string // import path → export data file
	imp   types.Importer
}

func newExportImporter(fset *token.FileSet, dir string) *exportImporter {
	e := &exportImporter{dir: dir, files: map[string]string{}}
	e.imp = importer.ForCompiler(fset, "gc", e.open)
	return e
}

// Import imports path (and lists it with its dependencies first if it is new).
func (e *exportImporter) Import(path string) (*types.Package, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.files[path]; !ok {
		if err := e.list(path); err != nil {
			return nil, err
		}
	}
	return e.imp.Import(path)
}

// Prefetch lists paths and their dependencies in one go command, so that importing them
// later costs no more commands. Call it with the imports you expect.
func (e *exportImporter) Prefetch(paths ...string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.list(paths...)
}

// list runs go list -export on paths (with e.mu held) and records their export files.
func (e *exportImporter) list(paths ...string) error {
	args := append([]string{"list", "-e", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}, paths...)
	cmd := exec.Command("go", args...)
	cmd.Dir = e.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("taskletgen: go list -export %s: %v: %s", strings.Join(paths, " "), err, strings.TrimSpace(stderr.String()))
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		path, file, _ := strings.Cut(sc.Text(), "\t")
		e.files[path] = file
	}
	for _, p := range paths {
		if _, ok := e.files[p]; !ok {
			e.files[p] = "" // remembered as missing: not listed again
		}
	}
	return nil
}

// open is the gc importer's lookup: the export data of path.
func (e *exportImporter) open(path string) (io.ReadCloser, error) {
	file := e.files[path]
	if file == "" {
		return nil, fmt.Errorf("taskletgen: no export data for package %q (it does not exist, or does not compile)", path)
	}
	return os.Open(file)
}
