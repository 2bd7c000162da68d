package taskletgen_test

import (
	"fmt"
	"log"

	"github.com/stackworld/stackworld/sim/taskletgen"
)

// Generate writes nothing: it returns the files, which Write writes (what `stackworld gen`
// does) and Check compares with the disk (`stackworld gen -check`).
func ExampleGenerate() {
	files, err := taskletgen.Generate("../../examples/pickle", ".")
	if err != nil {
		log.Fatal(err) // taskletgen.Refusals: one "file:line: what and why" per line
	}
	stale, err := taskletgen.Check("../../examples/pickle", nil, files)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(files), "file,", len(stale), "stale")
	// Output: 1 file, 0 stale
}
