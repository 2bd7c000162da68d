package main

import (
	"bytes"
	"context"
	"errors"
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
