package persist_test

import (
	"testing"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stretchr/testify/require"
)

// Guard is package ptest2's type, whose schema 2 counts hit points ten times finer.
type Guard struct{ HP int }

// TestPackageSchemas gives package ptest2 its own schema beside the program's: a save
// records both, an older package schema is upgraded by the package's upgrades alone, a
// newer one is refused naming the package, and saves of older formats (which record no
// package) are at schema 1 of every package.
func TestPackageSchemas(t *testing.T) {
	persist.Scratch(func() {
		persist.Register[Guard]("ptest2.Guard")
		persist.RegisterPackageUpgrade("ptest2", 1, func(r *persist.Raw) error {
			r.EachValue(func(v *persist.RawValue) {
				if v.Type == "*ptest2.Guard" {
					s := v.Value.(*persist.RawStruct)
					hp, _ := s.Get("HP")
					s.Set("HP", hp.(int64)*10)
				}
			})
			return nil
		})
		require.Equal(t, uint64(2), persist.PackageSchema("ptest2"))
		require.Equal(t, uint64(2), persist.CurrentSchema(), "the program's schema is its own")
		c := codec(t)
		data := save(t, c, sim.NewScheduler(sim.Options{}), persist.Section{Name: "g", Value: &Guard{HP: 5}})
		_, snap := load(t, c, data, sim.RestoreOptions{})
		require.Equal(t, map[string]uint64{"ptest2": 2}, snap.Schemas)
		require.Equal(t, uint64(2), snap.Schema)
		require.Equal(t, &Guard{HP: 5}, snap.Section("g"))

		schemas := func(m map[any]any) []byte { return edit(t, data, func(doc []any) { doc[2] = m }) }
		_, snap = load(t, c, schemas(map[any]any{"": uint64(2), "ptest2": uint64(1)}), sim.RestoreOptions{})
		require.Equal(t, &Guard{HP: 50}, snap.Section("g"), "package ptest2 upgraded from schema 1")
		_, snap = load(t, c, schemas(map[any]any{"": uint64(2)}), sim.RestoreOptions{})
		require.Equal(t, &Guard{HP: 50}, snap.Section("g"), "a package not recorded is at schema 1")

		_, _, err := c.Load(schemas(map[any]any{"": uint64(2), "ptest2": uint64(3)}), sim.RestoreOptions{})
		require.EqualError(t, err, `persist: load: header: package "ptest2": schema 3 is newer than this program's 2: update the program`)
		require.ErrorIs(t, err, persist.ErrNewerSchema)
		_, _, err = c.Load(schemas(map[any]any{"": uint64(2), "ptest2": uint64(2), "zz": uint64(2)}), sim.RestoreOptions{})
		require.EqualError(t, err, `persist: load: header: package "zz": schema 2 is newer than this program's 1: update the program`)
		_, _, err = c.Load(schemas(map[any]any{"ptest2": uint64(2)}), sim.RestoreOptions{})
		require.EqualError(t, err, `persist: load: header: schemas: the program's schema ("") is missing (at byte 22)`)

		for _, path := range []string{format1Fixture, format2Fixture} { // through the upgrade of ptest2
			s, _, err := c.LoadFile(path, sim.RestoreOptions{})
			require.NoError(t, err)
			require.Equal(t, save(t, c, richWorld(t)), save(t, c, s))
		}

		raw, err := c.Raw(schemas(map[any]any{"": uint64(2), "ptest2": uint64(1)}))
		require.NoError(t, err)
		require.Equal(t, map[string]uint64{"ptest2": 1}, raw.Schemas)
		require.Equal(t, uint64(1), raw.SchemaOf("ptest2"))
		require.Equal(t, uint64(1), raw.SchemaOf("other"))
	})
	require.Equal(t, uint64(1), persist.PackageSchema("ptest2"), "Scratch put the registry back")
}
