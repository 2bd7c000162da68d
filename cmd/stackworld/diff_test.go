package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDiffSame(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.NoError(t, runDiff(context.Background(), []string{recFixture, recFixture}, &stdout, &stderr))
	require.Equal(t, "no differences\n", stdout.String())
}

func TestDiffChanges(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := runDiff(context.Background(), []string{recFixture, "../../persist/testdata/frames/Sleeper.cbor"}, &stdout, &stderr)
	require.Equal(t, errDiffer, err)
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	require.Len(t, lines, 17)
	require.Equal(t, []string{
		`stats.steps: 3 → 1`,
		`- types[name="string"]: {"name":"string","shape":"string"}`,
	}, lines[:2])
	require.Contains(t, lines, `tasklets[id=2].state: "paused" → "sleeping"`)
	require.Contains(t, lines, `tasklets[id=2].frames[0].fields.N: 2 → 1`)
	require.Contains(t, lines, `+ tasklets[id=2].wake: 3`)

	var out, errb bytes.Buffer
	require.Equal(t, 1, runMain(context.Background(), []string{"diff", recFixture, "../../persist/testdata/frames/Sleeper.cbor"}, &out, &errb))
	require.Len(t, strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"), 17)
	require.Empty(t, errb.String(), "a difference is not an error")
	out.Reset()
	require.Equal(t, 0, runMain(context.Background(), []string{"diff", recFixture, recFixture}, &out, &errb))
	require.Equal(t, "no differences\n", out.String())
	require.Equal(t, 2, runMain(context.Background(), []string{"diff", recFixture, "/no/such/file.cbor"}, &out, &errb))
	require.Contains(t, errb.String(), "Error: ")
	errb.Reset()
	require.Equal(t, 2, runMain(context.Background(), []string{"diff", recFixture}, &out, &errb))
	require.Contains(t, errb.String(), "Error: diff takes two snapshot files\nTry: stackworld diff -h\n")
}
