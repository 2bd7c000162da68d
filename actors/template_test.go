package actors_test

import (
	"reflect"
	"testing"

	"github.com/stackworld/stackworld/actors"
	"github.com/stackworld/stackworld/world"
	"github.com/stretchr/testify/require"
)

// TestTemplatesKeepEverySetting fills every field of each NPC template, makes a frame with
// New and checks that every setting came through (a setting added later too) and that the
// state fields — listed here, what a frame accumulates as it runs — start at zero.
func TestTemplatesKeepEverySetting(t *testing.T) {
	for _, c := range []struct {
		tmpl  actors.Template
		state []string
	}{
		{&actors.Wander{}, []string{"Seen"}},
		{&actors.Patrol{}, []string{"Next", "Laps"}},
		{&actors.Chase{}, []string{"Target", "Caught"}},
		{&actors.Flee{}, []string{"Fled"}},
		{&actors.Trader{}, []string{"Served"}},
		{&actors.Customer{}, []string{"Replies", "Bought", "Spent", "TimedOut"}},
	} {
		v := reflect.ValueOf(c.tmpl).Elem()
		typ := v.Type()
		for i := range v.NumField() {
			fill(t, v.Field(i), i+1)
		}
		fr := reflect.ValueOf(reflect.ValueOf(c.tmpl).Elem().Interface().(actors.Template).New(world.EntityID(999))).Elem()
		for i := range typ.NumField() {
			name := typ.Field(i).Name
			got := fr.Field(i).Interface()
			switch {
			case name == "Self":
				require.Equal(t, world.EntityID(999), got, "%s.Self", typ.Name())
			case contains(c.state, name):
				require.True(t, fr.Field(i).IsZero(), "%s.%s is state: it starts at zero", typ.Name(), name)
			default:
				require.Equal(t, v.Field(i).Interface(), got, "%s.%s is a setting: New keeps it", typ.Name(), name)
			}
		}
	}
}

// fill sets v to a value that is not zero, made from n.
func fill(t *testing.T, v reflect.Value, n int) {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(t, s.Index(0), n)
		fill(t, s.Index(1), n+1)
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), n+i)
		}
	default:
		t.Fatalf("fill: %v", v.Type())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
