package actors

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// A Scenario describes a world to build: the map and the entity kinds with their numbers
// and behaviours. It is read from JSON (see assets/scenarios/default.json):
//
//	{
//	  "name": "meadow",
//	  "map": {"width": 4096, "height": 4096, "cell": 32},
//	  "tick_budget": 1000,
//	  "kinds": [
//	    {"name": "sheep", "count": 5000, "behaviour": "wander", "speed": 2, "sight": 24},
//	    {"name": "wolf", "count": 500, "behaviour": "chase", "prey": "sheep", "speed": 3, "sight": 96, "eat": true},
//	    ...
//	  ]
//	}
//
// Behaviours: wander, patrol, chase (prey), flee (from), trader (a mailbox actor that
// answers price requests) and customer (wanders and asks the nearest trader for prices).
type Scenario struct {
	Name       string  `json:"name"`
	Seed       uint64  `json:"seed"`
	Map        MapSpec `json:"map"`
	TickBudget uint32  `json:"tick_budget"`
	// InterestCap bounds every area of interest to the nearest N entities (0: no cap); see
	// world.Config.InterestCap.
	InterestCap int32      `json:"interest_cap"`
	Kinds       []KindSpec `json:"kinds"`
}

// MapSpec is the map's size and grid cell size, in units.
type MapSpec struct {
	Width  int32 `json:"width"`
	Height int32 `json:"height"`
	Cell   int32 `json:"cell"`
}

// KindSpec is one kind of entity in a scenario.
type KindSpec struct {
	Name      string `json:"name"`
	Count     int    `json:"count"`
	Behaviour string `json:"behaviour"`
	Speed     int32  `json:"speed"`
	Sight     int32  `json:"sight"`
	Crowd     int32  `json:"crowd"`       // wander: turn around when more than this many are near
	Prey      string `json:"prey"`        // chase: the kind hunted
	Eat       bool   `json:"eat"`         // chase: caught prey is despawned
	From      string `json:"from"`        // flee: the kind fled from
	Route     int    `json:"route"`       // patrol: waypoints per route
	Span      int32  `json:"span"`        // patrol: how far waypoints are from the start
	Respawn   bool   `json:"respawn"`     // keep Count alive with a spawner
	Trader    string `json:"trader"`      // customer: the kind of the traders asked
	AskEvery  int    `json:"ask_every"`   // customer: ticks between requests
	Timeout   int    `json:"timeout"`     // customer: request timeout, ticks
	FailOneIn uint32 `json:"fail_one_in"` // trader: fail on one request in N (0: never)
	Supervise bool   `json:"supervise"`   // run the kind's tasklets under a supervisor
}

// Behaviours a KindSpec may name.
var behaviours = []string{"wander", "patrol", "chase", "flee", "trader", "customer"}

// Limits on scenario files.
const (
	MaxScenarioBytes    = 1 << 20
	MaxScenarioEntities = 4_000_000
	// MaxRoute bounds a patrol's waypoints ("route").
	MaxRoute = 1024
)

// ParseScenario reads a scenario from JSON and checks it. Errors name the field and what to do.
func ParseScenario(data []byte) (*Scenario, error) {
	if len(data) > MaxScenarioBytes {
		return nil, fmt.Errorf("scenario: %d bytes, more than the limit of %d", len(data), MaxScenarioBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	if dec.More() {
		return nil, errors.New("scenario: text after the JSON object")
	}
	return &sc, sc.Check()
}

// Check validates the scenario.
func (sc *Scenario) Check() error {
	cfg := sc.Config(0)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("scenario: map: %w", err)
	}
	if len(sc.Kinds) == 0 {
		return errors.New(`scenario: no kinds (add "kinds": [{"name": ..., "count": ..., "behaviour": ...}])`)
	}
	names := map[string]*KindSpec{}
	total := 0
	for i := range sc.Kinds {
		k := &sc.Kinds[i]
		if k.Name == "" {
			return fmt.Errorf("scenario: kind %d has no name", i+1)
		}
		if names[k.Name] != nil {
			return fmt.Errorf("scenario: kind %q appears twice", k.Name)
		}
		names[k.Name] = k
		if k.Count < 0 {
			return fmt.Errorf("scenario: kind %q: negative count %d", k.Name, k.Count)
		}
		if k.Count > MaxScenarioEntities { // each count bounded first: the total cannot wrap
			return fmt.Errorf("scenario: kind %q: count %d, more than the limit of %d entities", k.Name, k.Count, MaxScenarioEntities)
		}
		if k.Route < 0 || k.Route > MaxRoute {
			return fmt.Errorf("scenario: kind %q: route %d out of range (0 to %d waypoints)", k.Name, k.Route, MaxRoute)
		}
		total += k.Count
		if !contains(behaviours, k.Behaviour) {
			return fmt.Errorf("scenario: kind %q: unknown behaviour %q (one of: %s)", k.Name, k.Behaviour, strings.Join(behaviours, ", "))
		}
		if k.Speed < 0 || k.Speed > 1000 || k.Sight < 0 || k.Sight > 4096 || k.Span < 0 {
			return fmt.Errorf("scenario: kind %q: speed %d, sight %d or span %d out of range", k.Name, k.Speed, k.Sight, k.Span)
		}
	}
	if total > MaxScenarioEntities {
		return fmt.Errorf("scenario: %d entities, more than the limit of %d", total, MaxScenarioEntities)
	}
	if err := sc.checkInterest(total); err != nil {
		return err
	}
	for _, k := range sc.Kinds {
		need := func(field, ref, behaviour string) error {
			if ref == "" {
				return fmt.Errorf("scenario: kind %q: behaviour %q needs %q", k.Name, k.Behaviour, field)
			}
			r := names[ref]
			if r == nil {
				return fmt.Errorf("scenario: kind %q: %s %q is not a kind of the scenario", k.Name, field, ref)
			}
			if behaviour != "" && r.Behaviour != behaviour {
				return fmt.Errorf("scenario: kind %q: %s %q has behaviour %q, want %q", k.Name, field, ref, r.Behaviour, behaviour)
			}
			return nil
		}
		var err error
		switch k.Behaviour {
		case "chase":
			err = need("prey", k.Prey, "")
		case "flee":
			err = need("from", k.From, "")
		case "customer":
			err = need("trader", k.Trader, "trader")
		}
		if err != nil {
			return err
		}
		if (k.Behaviour == "chase" || k.Behaviour == "flee") && k.Sight == 0 {
			return fmt.Errorf("scenario: kind %q: behaviour %q needs a sight > 0", k.Name, k.Behaviour)
		}
	}
	return nil
}

// checkInterest refuses a scenario whose areas of interest (the sight of chase and flee
// kinds) would hold more than world.MaxInterestPairs pairs.
func (sc *Scenario) checkInterest(total int) error {
	w, h := cmp.Or(sc.Map.Width, world.DefaultSize), cmp.Or(sc.Map.Height, world.DefaultSize)
	var pairs float64
	for _, k := range sc.Kinds {
		if k.Behaviour == "chase" || k.Behaviour == "flee" {
			pairs += world.InterestPairs(k.Count, total, k.Sight, w, h, sc.InterestCap)
		}
	}
	if err := world.CheckInterestPairs(pairs); err != nil {
		return fmt.Errorf("scenario: sight of the chase and flee kinds: %w (\"interest_cap\": 64 keeps the 64 nearest)", err)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Config returns a world configuration for the scenario; seed 0 means the scenario's seed.
func (sc *Scenario) Config(seed uint64) world.Config {
	if seed == 0 {
		seed = sc.Seed
	}
	return world.Config{Seed: seed, Width: sc.Map.Width, Height: sc.Map.Height, CellSize: sc.Map.Cell, TickBudget: sc.TickBudget,
		InterestCap: sc.InterestCap}
}

// Entities returns the number of entities the scenario starts with.
func (sc *Scenario) Entities() int {
	n := 0
	for _, k := range sc.Kinds {
		n += k.Count
	}
	return n
}

// Populate builds the scenario in w (a new world): kinds in order, entities placed at random
// from the world's RNG, their behaviours, spawners for kinds that respawn and supervisors for
// kinds that are supervised.
func Populate(w *world.World, sc *Scenario) error {
	for _, k := range sc.Kinds {
		w.Kind(k.Name)
	}
	for _, k := range sc.Kinds {
		kind, _ := w.LookupKind(k.Name)
		brain, err := brainFor(w, k)
		if err != nil {
			return err
		}
		ids := make([]world.EntityID, 0, k.Count)
		var children []Child
		for range k.Count {
			id := w.NewEntity(kind, RandomIn(w, Rect{}))
			if id == 0 {
				return fmt.Errorf("scenario: kind %q: the world's entity ids are used up", k.Name)
			}
			ids = append(ids, id)
			fr := brain.New(id)
			if k.Behaviour == "patrol" {
				fr = routeFor(w, fr.(*Patrol), k)
			}
			if k.Supervise {
				tmpl := brain
				if p, ok := fr.(*Patrol); ok {
					tmpl = *p // the route is the entity's own
				}
				children = append(children, Child{Name: fmt.Sprintf("%s-%d", k.Name, id), Entity: id, Start: tmpl})
				continue
			}
			if _, err := w.Attach(id, fr); err != nil {
				return err
			}
			if k.Behaviour == "trader" {
				if err := openShop(w, id); err != nil {
					return err
				}
			}
		}
		if k.Supervise {
			if k.Behaviour == "trader" {
				for _, id := range ids {
					if err := openShop(w, id); err != nil {
						return err
					}
				}
			}
			// a root supervisor restarts the kind's supervisor (and so its children) when it
			// escalates; past RootPolicy the root escalates too, and the world reports it
			group := NewSupervisor(w, k.Name+" supervisor", Policy{}, children...)
			w.Spawn(NewSupervisor(w, k.Name+" root", RootPolicy, Child{Name: k.Name + " supervisor", Start: *group}))
		}
		if k.Respawn {
			w.Spawn(&Spawner{Kind: kind, Max: k.Count, Every: 5, Batch: max(k.Count/50, 1), Brain: brain, Alive: ids})
		}
	}
	return nil
}

// brainFor returns the template frame for a kind.
func brainFor(w *world.World, k KindSpec) (Template, error) {
	switch k.Behaviour {
	case "wander":
		return Wander{Speed: k.Speed, Sight: k.Sight, Crowd: k.Crowd}, nil
	case "patrol":
		return Patrol{Speed: k.Speed, Reach: max(k.Speed, 2)}, nil
	case "chase":
		prey, _ := w.LookupKind(k.Prey)
		return Chase{Prey: prey, Speed: k.Speed, Sight: k.Sight, Reach: max(k.Speed, 2), Eat: k.Eat}, nil
	case "flee":
		from, _ := w.LookupKind(k.From)
		return Flee{From: from, Speed: k.Speed, Sight: k.Sight}, nil
	case "trader":
		return Trader{FailOneIn: k.FailOneIn}, nil
	case "customer":
		trader, _ := w.LookupKind(k.Trader)
		return Customer{Trader: trader, Speed: k.Speed, Sight: max(k.Sight, 64), AskEvery: max(k.AskEvery, 1), Timeout: k.Timeout}, nil
	}
	return nil, fmt.Errorf("scenario: kind %q: unknown behaviour %q", k.Name, k.Behaviour)
}

// routeFor gives a patrol a random route around its entity's start.
func routeFor(w *world.World, p *Patrol, k KindSpec) *Patrol {
	span := k.Span
	if span == 0 {
		span = 128
	}
	start := w.Pos(p.Self)
	n := max(k.Route, 2)
	area := Rect{Min: world.Vec{X: max(start.X-span, 0), Y: max(start.Y-span, 0)}}
	cfg := w.Config()
	area.Max = world.Vec{X: min(start.X+span, cfg.Width), Y: min(start.Y+span, cfg.Height)}
	p.Points = append(p.Points, start)
	for range n - 1 {
		p.Points = append(p.Points, RandomIn(w, area))
	}
	return p
}

// the frames are their own templates
var _ = []interface {
	sim.Frame
	Template
}{&Wander{}, &Patrol{}, &Chase{}, &Flee{}, &Trader{}, &Customer{}, &Supervisor{}}
