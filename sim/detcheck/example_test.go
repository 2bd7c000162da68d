package detcheck_test

import (
	"fmt"

	"github.com/stackworld/stackworld/sim/detcheck"
)

// A core package runs detcheck.AssertDeterministic(t, ".") in a test; CheckDir
// gives the findings as values.
func Example() {
	findings, err := detcheck.CheckDir("testdata/gostmt")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range findings {
		fmt.Println(f.Rule, f.Pos.Line, f.Text)
	}
	// Output:
	// go-stmt 6 go statement: the Go scheduler would decide the order
	// go-stmt 7 go statement: the Go scheduler would decide the order
}
