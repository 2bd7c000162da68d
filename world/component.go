package world

import (
	"fmt"
	"maps"
	"slices"
	"sync"
)

// A Component is a user-defined piece of entity data of type C, stored by the world per
// entity and saved with it under the component's name. Register components at init, as
// frame types are registered with persist (and register C with persist too if it is not a
// plain type):
//
//	var Health = world.RegisterComponent[int]("game.health")
//
//	Health.Set(w, id, 100)
//	hp, ok := Health.Get(w, id)
//
// A despawned entity loses its components.
type Component[C any] struct{ name string }

var (
	compMu    sync.Mutex
	compTypes = map[string]func() componentStore{}
)

// RegisterComponent registers a component type under a stable name. It panics if the name
// is taken (a programming error, found at init).
func RegisterComponent[C any](name string) Component[C] {
	compMu.Lock()
	defer compMu.Unlock()
	if _, dup := compTypes[name]; dup {
		panic(fmt.Sprintf("world: component %q registered twice", name))
	}
	compTypes[name] = func() componentStore { return &compStore[C]{m: map[EntityID]C{}} }
	return Component[C]{name: name}
}

// Name returns the component's registered name.
func (c Component[C]) Name() string { return c.name }

func newStore(name string) (componentStore, bool) {
	compMu.Lock()
	mk, ok := compTypes[name]
	compMu.Unlock()
	if !ok {
		return nil, false
	}
	return mk(), true
}

type componentStore interface {
	remove(id EntityID)
	save() ComponentSnapshot
	appendPairs(ps []compPair, deep func(any) any) []compPair
	load(cs ComponentSnapshot) error
	len() int
}

type compStore[C any] struct{ m map[EntityID]C }

func (s *compStore[C]) remove(id EntityID) { delete(s.m, id) }
func (s *compStore[C]) len() int           { return len(s.m) }

func (s *compStore[C]) save() ComponentSnapshot {
	ids := make([]EntityID, 0, len(s.m))
	for id := range s.m { // determinism: keys sorted below
		ids = append(ids, id)
	}
	slices.Sort(ids)
	vals := make([]any, len(ids))
	for i, id := range ids {
		vals[i] = s.m[id]
	}
	return ComponentSnapshot{IDs: ids, Values: vals}
}

// compPair is one entity's component value, as a capture copies it.
type compPair struct {
	ID EntityID
	V  any
}

// appendPairs appends the component's values, each copied by deep, in no order (the
// capture sorts them by id on its writer: FinishCapture).
func (s *compStore[C]) appendPairs(ps []compPair, deep func(any) any) []compPair {
	for id, v := range s.m { // determinism: FinishCapture sorts the pairs by id
		ps = append(ps, compPair{id, deep(v)})
	}
	return ps
}

func (s *compStore[C]) load(cs ComponentSnapshot) error {
	if len(cs.IDs) != len(cs.Values) {
		return fmt.Errorf("%d ids for %d values", len(cs.IDs), len(cs.Values))
	}
	for i, id := range cs.IDs {
		v, err := convert[C](cs.Values[i])
		if err != nil {
			return fmt.Errorf("entity %d: %w", id, err)
		}
		s.m[id] = v
	}
	return nil
}

func (c Component[C]) store(w *World, create bool) *compStore[C] {
	st, ok := w.comps[c.name]
	if !ok {
		if !create {
			return nil
		}
		st, _ = newStore(c.name)
		if st == nil {
			panic(fmt.Sprintf("world: component %q is not registered", c.name))
		}
		w.comps[c.name] = st
	}
	return st.(*compStore[C])
}

// Get returns entity id's component value.
func (c Component[C]) Get(w *World, id EntityID) (C, bool) {
	var zero C
	s := c.store(w, false)
	if s == nil {
		return zero, false
	}
	v, ok := s.m[id]
	return v, ok
}

// Set sets entity id's component value (ignored if there is no such entity).
func (c Component[C]) Set(w *World, id EntityID, v C) {
	if w.Alive(id) {
		c.store(w, true).m[id] = v
	}
}

// Delete removes entity id's component value.
func (c Component[C]) Delete(w *World, id EntityID) {
	if s := c.store(w, false); s != nil {
		delete(s.m, id)
	}
}

// Len returns the number of entities that have the component.
func (c Component[C]) Len(w *World) int {
	if s := c.store(w, false); s != nil {
		return len(s.m)
	}
	return 0
}

// removeComponents drops entity id's components (on Despawn).
func (w *World) removeComponents(id EntityID) {
	for _, st := range w.comps { // determinism: one delete per store, the order cannot matter
		st.remove(id)
	}
}

// componentNames returns the names of the world's component stores, sorted.
func (w *World) componentNames() []string { return slices.Sorted(maps.Keys(w.comps)) }
