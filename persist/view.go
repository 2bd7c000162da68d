package persist

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/stackworld/stackworld/sim"
)

// JSON returns a readable, indented JSON view of the snapshot: header, tasklets with
// their frame stacks (type name, resume point with its name, fields by name), channels
// with their queues (tasklets in order, senders with their values), timers and sections.
// Interface values show as {"type": name, "value": ...}, byte strings as "h'0a0b'". The
// view is deterministic: the same snapshot always gives the same text.
func (r *Raw) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.view()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// object is a JSON object that keeps its keys in order.
type object []member

type member struct {
	key string
	val any
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		v, err := marshalCompact(m.val)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (o object) get(key string) (any, bool) {
	for _, m := range o {
		if m.key == key {
			return m.val, true
		}
	}
	return nil, false
}

func marshalCompact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func flagNames(f sim.TaskletFlags) []string {
	names := []string{}
	for _, x := range []struct {
		f    sim.TaskletFlags
		name string
	}{{sim.FlagStarted, "started"}, {sim.FlagAtomic, "atomic"}, {sim.FlagBlockTrap, "blockTrap"},
		{sim.FlagPendingIRQ, "pendingIRQ"}, {sim.FlagNotOK, "notOK"}, {sim.FlagIter, "iter"}} {
		if f&x.f != 0 {
			names = append(names, x.name)
		}
	}
	return names
}

func dirName(d int8) string {
	if d > 0 {
		return "send"
	}
	return "receive"
}

func (r *Raw) view() object {
	pcs := map[string][]string{}
	types := []any{}
	for _, t := range r.Types {
		pcs[t.Name] = t.PCs
		o := object{{"name", t.Name}}
		if t.Shape == "" {
			o = append(o, member{"error", true})
		} else {
			o = append(o, member{"shape", t.Shape})
		}
		if len(t.PCs) > 0 {
			o = append(o, member{"pcs", t.PCs})
		}
		types = append(types, o)
	}
	tasklets := []any{}
	for _, t := range r.Tasklets {
		o := object{{"id", t.ID}, {"state", t.State.String()}, {"flags", flagNames(t.Flags)}}
		if t.State == sim.StateBlocked {
			o = append(o, member{"channel", t.Channel}, member{"dir", dirName(t.Dir)})
		}
		if t.Wake != 0 {
			o = append(o, member{"wake", t.Wake})
		}
		if t.Value != nil {
			o = append(o, member{"value", viewValue(t.Value)})
		}
		if t.Err != "" {
			o = append(o, member{"error", t.Err})
		}
		frames := []any{}
		for _, f := range t.Frames {
			fo := object{{"type", f.Type}, {"pc", f.PC}}
			if names := pcs[f.Type]; int(f.PC) < len(names) {
				fo = append(fo, member{"pcName", names[f.PC]})
			}
			if _, ok := f.Value.(*RawStruct); ok {
				fo = append(fo, member{"fields", viewValue(f.Value)})
			} else {
				fo = append(fo, member{"value", viewValue(f.Value)})
			}
			frames = append(frames, fo)
		}
		o = append(o, member{"frames", frames})
		tasklets = append(tasklets, o)
	}
	channels := []any{}
	for _, c := range r.Channels {
		queue := []any{}
		balance := 0
		for _, t := range r.Tasklets {
			if t.State == sim.StateBlocked && t.Channel == c.ID {
				q := object{{"tasklet", t.ID}, {"dir", dirName(t.Dir)}}
				if t.Value != nil {
					q = append(q, member{"value", viewValue(t.Value)})
				}
				if t.Err != "" {
					q = append(q, member{"error", t.Err})
				}
				queue = append(queue, q)
				balance += int(t.Dir)
			}
		}
		channels = append(channels, object{{"id", c.ID}, {"balance", balance}, {"preference", c.Preference},
			{"scheduleAll", c.ScheduleAll}, {"closing", c.Closing}, {"queue", queue}})
	}
	sections := []any{}
	for _, s := range r.Sections {
		o := object{{"name", s.Name}}
		if s.Value != nil {
			o = append(o, member{"type", s.Value.Type}, member{"value", viewValue(s.Value.Value)})
		}
		sections = append(sections, o)
	}
	timers := r.Timers
	if timers == nil {
		timers = []sim.ID{}
	}
	header := object{{"format", r.Format}, {"schema", r.Schema}}
	if len(r.Schemas) > 0 { // only when packages number their own schemas
		var pkgs object
		for _, pkg := range slices.Sorted(maps.Keys(r.Schemas)) {
			pkgs = append(pkgs, member{pkg, r.Schemas[pkg]})
		}
		header = append(header, member{"packageSchemas", pkgs})
	}
	return append(header, object{
		{"tick", r.Tick},
		{"nextTasklet", r.NextID}, {"nextChannel", r.NextChan},
		{"stats", object{{"steps", r.Stats.Steps}, {"switches", r.Stats.Switches}, {"preempted", r.Stats.Preempted}, {"spawned", r.Stats.Spawned}}},
		{"types", types}, {"tasklets", tasklets}, {"channels", channels}, {"timers", timers}, {"sections", sections},
	}...)
}

// viewValue turns a generic value into JSON-ready data.
func viewValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprint(x)
		}
		return x
	case []byte:
		return "h'" + hex.EncodeToString(x) + "'"
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = viewValue(e)
		}
		return out
	case RawMap:
		strKeys := true
		for _, p := range x {
			if _, ok := p.Key.(string); !ok {
				strKeys = false
			}
		}
		if strKeys {
			o := object{}
			for _, p := range x {
				o = append(o, member{p.Key.(string), viewValue(p.Value)})
			}
			return o
		}
		out := make([]any, len(x))
		for i, p := range x {
			out[i] = []any{viewValue(p.Key), viewValue(p.Value)}
		}
		return out
	case *RawStruct:
		if x == nil {
			return nil
		}
		o := object{}
		for _, f := range x.Fields {
			o = append(o, member{f.Name, viewValue(f.Value)})
		}
		return o
	case *RawValue:
		if x == nil {
			return nil
		}
		if x.Value == nil {
			return object{{"type", x.Type}}
		}
		return object{{"type", x.Type}, {"value", viewValue(x.Value)}}
	}
	return v
}

// Diff lists what changed from snapshot a to snapshot b, one line per change, in document
// order: "path: old → new" for a changed value, "+ path: value" for something added, "- path:
// value" for something removed. Tasklets and channels are matched by id, types and sections
// by name, everything else by position. No lines means no differences.
func Diff(a, b *Raw) []string {
	var out []string
	diffValue(&out, "", normalize(a.view()), normalize(b.view()))
	return out
}

// normalize turns a view into plain data (object, []any, json.Number-free scalars) so that
// values compare with ==.
func normalize(v any) any {
	data, _ := marshalCompact(v)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	x, _ := readOrdered(dec)
	return x
}

// readOrdered decodes one JSON value keeping object key order.
func readOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := object{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := readOrdered(dec)
				if err != nil {
					return nil, err
				}
				o = append(o, member{k.(string), v})
			}
			_, err := dec.Token()
			return o, err
		case '[':
			xs := []any{}
			for dec.More() {
				v, err := readOrdered(dec)
				if err != nil {
					return nil, err
				}
				xs = append(xs, v)
			}
			_, err := dec.Token()
			return xs, err
		}
	}
	return tok, nil
}

func show(v any) string {
	if n, ok := v.(json.Number); ok {
		return n.String()
	}
	data, _ := marshalCompact(v)
	return string(data)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var keyedLists = map[string]string{"tasklets": "id", "channels": "id", "types": "name", "sections": "name"}

func diffValue(out *[]string, path string, a, b any) {
	switch x := a.(type) {
	case object:
		y, ok := b.(object)
		if !ok {
			break
		}
		for _, m := range x {
			if w, ok := y.get(m.key); ok {
				p := join(path, m.key)
				if key, ok := keyedLists[m.key]; ok && path == "" {
					diffKeyed(out, p, key, m.val, w)
				} else {
					diffValue(out, p, m.val, w)
				}
			} else {
				*out = append(*out, fmt.Sprintf("- %s: %s", join(path, m.key), show(m.val)))
			}
		}
		for _, m := range y {
			if _, ok := x.get(m.key); !ok {
				*out = append(*out, fmt.Sprintf("+ %s: %s", join(path, m.key), show(m.val)))
			}
		}
		return
	case []any:
		y, ok := b.([]any)
		if !ok {
			break
		}
		for i := range max(len(x), len(y)) {
			p := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case i >= len(y):
				*out = append(*out, fmt.Sprintf("- %s: %s", p, show(x[i])))
			case i >= len(x):
				*out = append(*out, fmt.Sprintf("+ %s: %s", p, show(y[i])))
			default:
				diffValue(out, p, x[i], y[i])
			}
		}
		return
	}
	if show(a) != show(b) {
		*out = append(*out, fmt.Sprintf("%s: %s → %s", path, show(a), show(b)))
	}
}

// diffKeyed compares two lists of objects matched by the value of key.
func diffKeyed(out *[]string, path, key string, a, b any) {
	xs, _ := a.([]any)
	ys, _ := b.([]any)
	keyOf := func(v any) string {
		if o, ok := v.(object); ok {
			if k, ok := o.get(key); ok {
				return show(k)
			}
		}
		return ""
	}
	index := map[string]any{}
	for _, y := range ys {
		index[keyOf(y)] = y
	}
	seen := map[string]bool{}
	for _, x := range xs {
		k := keyOf(x)
		seen[k] = true
		p := fmt.Sprintf("%s[%s=%s]", path, key, k)
		if y, ok := index[k]; ok {
			diffValue(out, p, x, y)
		} else {
			*out = append(*out, fmt.Sprintf("- %s: %s", p, show(x)))
		}
	}
	for _, y := range ys {
		if k := keyOf(y); !seen[k] {
			*out = append(*out, fmt.Sprintf("+ %s[%s=%s]: %s", path, key, k, show(y)))
		}
	}
}
