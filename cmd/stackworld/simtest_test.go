package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSimtestCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), []string{"simtest", "--seed", "3", "--seeds", "2", "--ticks", "40"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2)
	require.True(t, strings.HasPrefix(lines[0], "seed 3: 40 ticks, "), lines[0])
	require.True(t, strings.HasPrefix(lines[1], "seed 4: 40 ticks, "), lines[1])

	out.Reset()
	errOut.Reset()
	code = runMain(context.Background(), []string{"simtest", "--ticks", "0"}, &out, &errOut)
	require.Equal(t, 2, code)
	require.Equal(t, "Error: --ticks 0 out of range [1, 2^24]\nTry: stackworld simtest -h\n", errOut.String())
}
