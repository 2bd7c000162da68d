package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

func init() {
	commands["inspect"] = command{summary: "print a snapshot: a summary, or selected tasklets, entities, channels and sections as JSON", run: runInspect}
}

const inspectUsage = `usage: stackworld inspect [flags] FILE

Prints the snapshot FILE as readable JSON: header, tasklets with their frame stacks,
channels with their queues, timers and sections. A large world's whole snapshot is long:
--summary prints counts instead, and --tasklet, --entity, --channel and --section select
parts (comma-separated ids or names; an entity brings its tasklet and its row of the world
section). It needs none of the Go types: the snapshot records the layout of every type.

flags:
`

// inspectOptions are inspect's flags.
type inspectOptions struct {
	summary                     bool
	force                       bool
	tasklets, entities, chans   []uint64
	sections                    []string
	taskletF, entityF, channelF string
}

// runInspect is `stackworld inspect`.
func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o inspectOptions
	var sections string
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, inspectUsage)
		fs.PrintDefaults()
	}
	fs.BoolVar(&o.summary, "summary", false, "print counts: tasklets by state, frame types, channels, sections, entities")
	fs.BoolVar(&o.force, "force", false, "read a snapshot whose checksum does not match (a damaged file)")
	fs.StringVar(&o.taskletF, "tasklet", "", "print only the tasklets with these `IDS`")
	fs.StringVar(&o.entityF, "entity", "", "print only the entities with these `IDS` and their tasklets")
	fs.StringVar(&o.channelF, "channel", "", "print only the channels with these `IDS` and the tasklets waiting on them")
	fs.StringVar(&sections, "section", "", "print only the sections with these `NAMES`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"inspect takes one snapshot file"}
	}
	var err error
	for _, l := range []struct {
		flag string
		s    string
		dst  *[]uint64
	}{{"tasklet", o.taskletF, &o.tasklets}, {"entity", o.entityF, &o.entities}, {"channel", o.channelF, &o.chans}} {
		if *l.dst, err = parseIDs(l.flag, l.s); err != nil {
			return usageError{err.Error()}
		}
	}
	if sections != "" {
		o.sections = strings.Split(sections, ",")
	}
	raw, err := readSnapshot(fs.Arg(0), o.force)
	if err != nil {
		return err
	}
	if o.summary {
		_, err := io.WriteString(stdout, summarize(fs.Arg(0), raw))
		return err
	}
	if len(o.tasklets)+len(o.entities)+len(o.chans)+len(o.sections) > 0 {
		if raw, err = selectParts(raw, &o); err != nil {
			return err
		}
	}
	data, err := raw.JSON()
	if err != nil {
		return err
	}
	_, err = stdout.Write(data)
	return err
}

// parseIDs parses "1,2,3".
func parseIDs(flag, s string) ([]uint64, error) {
	var ids []uint64
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--%s %s: want ids such as 3 or 3,17", flag, s)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// readSnapshot reads a snapshot in generic form with the default limits; force reads one
// whose checksum does not match.
func readSnapshot(path string, force bool) (*persist.Raw, error) {
	opts := persist.DefaultOptions()
	opts.SkipChecksum = force
	c, err := opts.Codec()
	if err != nil {
		return nil, err
	}
	raw, err := c.RawFile(path)
	if err != nil {
		hint := "check that the file is a stackworld snapshot (saved with persist.Codec.SaveFile)"
		switch {
		case errors.Is(err, persist.ErrNewerFormat):
			hint = "update stackworld: the snapshot was written by a newer version"
		case errors.Is(err, persist.ErrChecksum):
			hint = "the file is damaged; stackworld inspect --force " + path + " reads what is left"
		}
		return nil, tryError{err, hint}
	}
	return raw, nil
}

// summarize describes a snapshot in a few lines.
func summarize(path string, r *persist.Raw) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: format %d, schema %d, tick %d\n", path, r.Format, r.Schema, r.Tick)
	states := map[sim.State]int{}
	frames := map[string]int{}
	nframes := 0
	for _, t := range r.Tasklets {
		states[t.State]++
		for _, f := range t.Frames {
			frames[f.Type]++
			nframes++
		}
	}
	fmt.Fprintf(&b, "tasklets: %d (runnable %d, blocked %d, sleeping %d, paused %d), frames %d\n", len(r.Tasklets),
		states[sim.StateRunnable], states[sim.StateBlocked], states[sim.StateSleeping], states[sim.StatePaused], nframes)
	names := make([]string, 0, len(frames))
	for name := range frames { // determinism: sorted below
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if frames[a] != frames[b] {
			return frames[b] - frames[a]
		}
		return strings.Compare(a, b)
	})
	for _, name := range names {
		fmt.Fprintf(&b, "  %-28s %d\n", name, frames[name])
	}
	fmt.Fprintf(&b, "channels: %d, timers: %d, next tasklet id %d, next channel id %d\n", len(r.Channels), len(r.Timers), r.NextID, r.NextChan)
	for _, s := range r.Sections {
		fmt.Fprintf(&b, "section %q", s.Name)
		if s.Value != nil {
			fmt.Fprintf(&b, ": %s", s.Value.Type)
			if ids, ok := entityColumn(s, "ID"); ok {
				fmt.Fprintf(&b, ", %d entities", len(ids))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// entityColumn returns a column of the world section's entity table.
func entityColumn(s persist.RawSection, field string) ([]any, bool) {
	if s.Name != world.SectionName || s.Value == nil {
		return nil, false
	}
	st, ok := s.Value.Value.(*persist.RawStruct)
	if !ok {
		return nil, false
	}
	ents, _ := st.Get("Entities")
	cols, ok := ents.(*persist.RawStruct)
	if !ok {
		return nil, false
	}
	col, _ := cols.Get(field)
	vals, ok := col.([]any)
	return vals, ok
}

// selectParts returns r with only the selected tasklets, channels and sections, and a
// section per selected entity with its row of the entity table.
func selectParts(r *persist.Raw, o *inspectOptions) (*persist.Raw, error) {
	out := *r
	tasklets := map[uint64]bool{}
	for _, id := range o.tasklets {
		tasklets[id] = true
	}
	chans := map[uint64]bool{}
	for _, id := range o.chans {
		chans[id] = true
	}
	out.Sections = nil
	for _, s := range r.Sections {
		if slices.Contains(o.sections, s.Name) {
			out.Sections = append(out.Sections, s)
		}
	}
	for _, name := range o.sections {
		if !slices.ContainsFunc(r.Sections, func(s persist.RawSection) bool { return s.Name == name }) {
			return nil, fmt.Errorf("--section %s: the snapshot has no such section", name)
		}
	}
	for _, id := range o.entities {
		row, tasklet, err := entityRow(r, id)
		if err != nil {
			return nil, err
		}
		out.Sections = append(out.Sections, persist.RawSection{Name: fmt.Sprintf("entity %d", id), Value: &persist.RawValue{Type: "entity", Value: row}})
		if tasklet != 0 {
			tasklets[tasklet] = true
		}
	}
	out.Tasklets, out.Timers, out.Channels = nil, nil, nil
	for _, t := range r.Tasklets {
		if tasklets[uint64(t.ID)] || (t.State == sim.StateBlocked && chans[uint64(t.Channel)]) {
			out.Tasklets = append(out.Tasklets, t)
		}
	}
	for _, id := range r.Timers {
		if tasklets[uint64(id)] {
			out.Timers = append(out.Timers, id)
		}
	}
	for _, c := range r.Channels {
		if chans[uint64(c.ID)] {
			out.Channels = append(out.Channels, c)
		}
	}
	used := map[string]bool{} // the type table keeps the selected frames' types
	for _, t := range out.Tasklets {
		for _, f := range t.Frames {
			used[f.Type] = true
		}
	}
	out.Types = nil
	for _, t := range r.Types {
		if used[t.Name] {
			out.Types = append(out.Types, t)
		}
	}
	return &out, nil
}

// entityRow returns entity id's row of the world section's entity table and its tasklet.
func entityRow(r *persist.Raw, id uint64) (*persist.RawStruct, uint64, error) {
	for _, s := range r.Sections {
		ids, ok := entityColumn(s, "ID")
		if !ok {
			continue
		}
		want := strconv.FormatUint(id, 10)
		for i, v := range ids {
			if fmt.Sprint(v) != want {
				continue
			}
			row := &persist.RawStruct{}
			cols := s.Value.Value.(*persist.RawStruct)
			ents, _ := cols.Get("Entities")
			for _, f := range ents.(*persist.RawStruct).Fields {
				if col, ok := f.Value.([]any); ok && i < len(col) {
					row.Set(f.Name, col[i])
				}
			}
			tv, _ := row.Get("Tasklet")
			tasklet, _ := strconv.ParseUint(fmt.Sprint(tv), 10, 64)
			return row, tasklet, nil
		}
		return nil, 0, fmt.Errorf("--entity %d: no such entity in the snapshot", id)
	}
	return nil, 0, fmt.Errorf("--entity %d: the snapshot has no world section (it was not saved by a World)", id)
}
