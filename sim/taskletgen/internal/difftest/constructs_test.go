package difftest

// Constructs a game programmer writes that the spec cases do not cover (type switches and
// string ranges around suspensions), run hard, soft, and soft saved and loaded before
// every tick: all three must print the same lines.

import (
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

func init() {
	persist.Register[Move]("difftest.Move")
}

// forTicks runs one tasklet (hard: fn, soft: frame) for ticks ticks, three ways: hard, soft,
// and soft saved and loaded back before every tick. Each must print want.
func forTicks(t *testing.T, want string, ticks int, fn sim.HardFunc, frame sim.Frame) {
	t.Helper()
	codec, err := persist.DefaultOptions().Codec()
	require.NoError(t, err)
	for _, c := range []struct {
		name   string
		kind   sim.Kind
		reload bool
	}{{"hard", sim.Hard, false}, {"soft", sim.Soft, false}, {"reloaded", sim.Soft, true}} {
		t.Run(c.name, func(t *testing.T) {
			Out = nil
			s := sim.NewScheduler(sim.Options{})
			spawn(s, c.kind, fn, frame)
			for range ticks {
				if c.reload {
					data, _, err := codec.Save(s)
					require.NoError(t, err)
					s.Close()
					s, _, err = codec.Load(data, sim.RestoreOptions{})
					require.NoError(t, err)
				}
				require.NoError(t, s.Tick())
			}
			s.Close()
			require.Equal(t, want, Text())
		})
	}
}

// TestTypeSwitchAroundSuspensions: the clauses are tried in order (a *Move is not a Move,
// nil has its own clause, a string's clause ranges over it), and each clause's variable
// keeps its value across the suspensions, through saves.
func TestTypeSwitchAroundSuspensions(t *testing.T) {
	const want = `dispatch: int 7, a tick later
dispatch: move {1 2}
dispatch: nothing
dispatch: move &{3 4}
dispatch: 'h' at 0
dispatch: 'é' at 1
dispatch: bool
dispatch: int 8, a tick later
`
	msgs := []any{7, Move{1, 2}, nil, &Move{3, 4}, "hé!x", true, 8}
	forTicks(t, want, 12, func(h *sim.Tasklet) error { return Dispatch(h, msgs) }, &DispatchFrame{Msgs: msgs})
}

// TestStringRangeAroundSuspensions: the key is the byte offset of each rune, an invalid
// byte gives utf8.RuneError and advances one byte, and continue skips to the next rune;
// the position survives saves.
func TestStringRangeAroundSuspensions(t *testing.T) {
	const want = `spell: 0 'a' (1)
spell: 2 'é' (2)
spell: 4 '€' (3)
spell: 7 '�' (4)
spell: 8 '!' (5)
`
	forTicks(t, want, 8, func(h *sim.Tasklet) error { return Spell(h, "axé€") }, &SpellFrame{Word: "axé€"})
}
