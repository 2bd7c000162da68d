package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stretchr/testify/require"
)

// The fixture's types (package persist's tests) are not linked into this binary: inspect
// reads the layouts recorded in the snapshot.
const recFixture = "../../persist/testdata/frames/Rec.cbor"

func TestInspect(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.NoError(t, runInspect(context.Background(), []string{recFixture}, &stdout, &stderr))
	require.Equal(t, recJSON, stdout.String())
	require.Empty(t, stderr.String())
}

func TestInspectErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := runInspect(context.Background(), nil, &stdout, &stderr)
	require.EqualError(t, err, "inspect takes one snapshot file")
	require.ErrorAs(t, err, &usageError{})

	err = runInspect(context.Background(), []string{"inspect.go"}, &stdout, &stderr)
	require.EqualError(t, err, `persist: load inspect.go: not a stackworld snapshot (it does not start with ["stackworld", ...])`)
	var te tryError
	require.ErrorAs(t, err, &te)
	require.Equal(t, "check that the file is a stackworld snapshot (saved with persist.Codec.SaveFile)", te.try)
	require.True(t, errors.Is(err, persist.ErrBadMagic))

	var out bytes.Buffer
	code := runMain(context.Background(), []string{"inspect", "missing.cbor"}, &out, &out)
	require.Equal(t, 1, code)
	require.Equal(t, "Error: persist: load missing.cbor: no such file or directory\nTry: check that the file is a stackworld snapshot (saved with persist.Codec.SaveFile)\n", out.String())
}

const recJSON = `{
  "format": 1,
  "schema": 2,
  "tick": 0,
  "nextTasklet": 3,
  "nextChannel": 1,
  "stats": {
    "steps": 3,
    "switches": 2,
    "preempted": 0,
    "spawned": 2
  },
  "types": [
    {
      "name": "string",
      "shape": "string"
    },
    {
      "name": "*ptest.Rec",
      "shape": "{N int; Depth int; R int}",
      "pcs": [
        "enter",
        "back",
        "leave"
      ]
    }
  ],
  "tasklets": [
    {
      "id": 2,
      "state": "paused",
      "flags": [
        "started"
      ],
      "value": {
        "type": "string",
        "value": "paused at bottom"
      },
      "frames": [
        {
          "type": "*ptest.Rec",
          "pc": 1,
          "pcName": "back",
          "fields": {
            "N": 2,
            "Depth": 0,
            "R": 0
          }
        },
        {
          "type": "*ptest.Rec",
          "pc": 1,
          "pcName": "back",
          "fields": {
            "N": 2,
            "Depth": 1,
            "R": 0
          }
        },
        {
          "type": "*ptest.Rec",
          "pc": 2,
          "pcName": "leave",
          "fields": {
            "N": 2,
            "Depth": 2,
            "R": 0
          }
        }
      ]
    }
  ],
  "channels": [],
  "timers": [],
  "sections": []
}
`

func inspectIt(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runMain(context.Background(), append([]string{"inspect"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestInspectSummaryAndSelection(t *testing.T) {
	save := filepath.Join(t.TempDir(), "w.cbor")
	code, _, stderr := runIt(t, context.Background(), "--scenario", small(t), "--ticks", "30", "--save", save, "--log", "error")
	require.Equal(t, 0, code, stderr)

	code, out, stderr := inspectIt(t, "--summary", save)
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `^`+regexp.QuoteMeta(save)+`: format \d+, schema \d+, tick 30\ntasklets: \d+ \(runnable \d+, blocked \d+, sleeping \d+, paused \d+\), frames \d+\n  \*actors.Wander +\d+\n`, out)
	require.Regexp(t, `\nsection "world": \*world.State, \d+ entities\n$`, out)

	code, out, stderr = inspectIt(t, "--entity", "5", save)
	require.Equal(t, 0, code, stderr)
	var doc struct {
		Tasklets []struct {
			ID     uint64
			Frames []struct{ Fields map[string]any }
		}
		Sections []struct {
			Name  string
			Value map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Len(t, doc.Sections, 1)
	require.Equal(t, "entity 5", doc.Sections[0].Name)
	require.EqualValues(t, 5, doc.Sections[0].Value["ID"])
	require.Len(t, doc.Tasklets, 1)
	require.EqualValues(t, doc.Sections[0].Value["Tasklet"], doc.Tasklets[0].ID)
	require.EqualValues(t, 5, doc.Tasklets[0].Frames[0].Fields["Self"])

	code, out, _ = inspectIt(t, "--section", "world", save)
	require.Equal(t, 0, code)
	require.Contains(t, out, `"tasklets": []`)
	require.Contains(t, out, `"name": "world"`)

	code, _, stderr = inspectIt(t, "--section", "nope", save)
	require.Equal(t, 1, code)
	require.Equal(t, "Error: --section nope: the snapshot has no such section\n", stderr)
	code, _, stderr = inspectIt(t, "--entity", "99999", save)
	require.Equal(t, 1, code)
	require.Equal(t, "Error: --entity 99999: no such entity in the snapshot\n", stderr)
	code, _, stderr = inspectIt(t, "--tasklet", "x", save)
	require.Equal(t, 2, code)
	require.Equal(t, "Error: --tasklet x: want ids such as 3 or 3,17\nTry: stackworld inspect -h\n", stderr)

	// A flipped byte: refused with a way out; --force reads it.
	data, err := os.ReadFile(save)
	require.NoError(t, err)
	data[len(data)/2] ^= 0x01
	bad := filepath.Join(t.TempDir(), "bad.cbor")
	require.NoError(t, os.WriteFile(bad, data, 0o644))
	code, _, stderr = inspectIt(t, "--summary", bad)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "Try: the file is damaged; stackworld inspect --force "+bad+" reads what is left\n")
	code, _, _ = inspectIt(t, "--summary", "--force", bad)
	require.Contains(t, []int{0, 1}, code, "with --force the checksum is not what stops it")
}
