package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOutput builds the example and runs it: its output is deterministic, so it is
// compared exactly.
func TestOutput(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mmo")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	cmd := exec.Command(bin)
	got, err := cmd.Output()
	require.NoError(t, err)
	require.Equal(t, want, string(got))
}

const want = `tick  7  baker: alice asks for bread: 12 coins
tick  7  alice: bought bread, 12 coins spent so far
tick 10  baker: bob asks for pie: 10 coins
tick 10  bell: dong (1)
tick 10  bob: bought pie, 10 coins spent so far
tick 12  tasklet 14 failed: the blacksmith's hammer broke after 12 blows
tick 13  baker: alice asks for bread: 11 coins
tick 13  alice: bought bread, 23 coins spent so far
tick 19  baker: bob asks for pie: 12 coins
tick 19  baker: alice asks for bread: 12 coins
tick 19  bob: bought pie, 22 coins spent so far
tick 19  alice: bought bread, 35 coins spent so far
tick 20  bell: dong (2)
tick 21  the wolf ate sheep 5
tick 23  tasklet 15 failed: the blacksmith's hammer broke after 12 blows
tick 24  the wolf ate sheep 6
tick 25  baker: alice asks for bread: 10 coins
tick 25  alice: bought bread, 45 coins spent so far
tick 28  baker: bob asks for pie: 11 coins
tick 28  bob: bought pie, 33 coins spent so far
tick 30  bell: dong (3)
tick 30  -- the village was saved and loaded back; the story goes on from the copy --
tick 31  baker: alice asks for bread: 11 coins
tick 31  alice: bought bread, 56 coins spent so far
tick 34  the wolf ate sheep 4
tick 34  tasklet 16 failed: the blacksmith's hammer broke after 12 blows
tick 37  baker: bob asks for pie: 12 coins
tick 37  baker: alice asks for bread: 11 coins
tick 37  bob: bought pie, 45 coins spent so far
tick 37  alice: bought bread, 67 coins spent so far
tick 40  bell: dong (4)
tick 43  baker: alice asks for bread: 10 coins
tick 43  alice: bought bread, 77 coins spent so far
tick 45  tasklet 17 failed: the blacksmith's hammer broke after 12 blows
tick 45  tasklet 13 failed: actors: supervisor 13: child "blacksmith" failed more than 3 times in 50 ticks (last: the blacksmith's hammer broke after 12 blows); escalating
tick 46  baker: bob asks for pie: 11 coins
tick 46  bob: bought pie, 56 coins spent so far
tick 49  baker: alice asks for bread: 10 coins
tick 49  alice: bought bread, 87 coins spent so far
tick 50  bell: dong (5)
tick 55  baker: bob asks for pie: 11 coins
tick 55  baker: alice asks for bread: 12 coins
tick 55  bob: bought pie, 67 coins spent so far
tick 55  alice: bought bread, 99 coins spent so far
tick 60  bell: dong (6)
tick 60  7 entities, 8 tasklets, 5 failures, checksum e8d34d1742ec3b57
`
