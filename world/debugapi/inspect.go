package debugapi

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/stackworld/stackworld/sim"
	"github.com/stackworld/stackworld/world"
)

// maxValueChars bounds the text of one value in the inspector.
const maxValueChars = 120

// InspectEntity returns the inspector's lines for entity id of w: its record, its
// components, its tasklet's frame stack with every field, the channel the tasklet waits on
// with its queue, and the mailboxes it owns with their messages. Call it between ticks.
// O(entities) for the components (it reads the world's State), O(frames + queue) else.
func InspectEntity(w *world.World, id world.EntityID) []string {
	e := w.Entity(id)
	if e == nil {
		return []string{fmt.Sprintf("entity %d: gone (despawned)", id)}
	}
	lines := []string{
		fmt.Sprintf("entity %d  %s  at (%d, %d)  vel (%d, %d)", e.ID, w.KindName(e.Kind), e.Pos.X, e.Pos.Y, e.Vel.X, e.Vel.Y),
		fmt.Sprintf("  state %d  interest %d  sees %d", e.State, e.Interest, len(w.Visible(id))),
	}
	lines = append(lines, componentLines(w, id)...)
	if t := w.TaskletOf(id); t != nil {
		lines = append(lines, TaskletLines(w, t)...)
	} else {
		lines = append(lines, "no tasklet")
	}
	w.Channels(func(ci world.ChannelInfo) bool {
		if ci.Mailbox && ci.Owner == id {
			lines = append(lines, mailboxLines(w, ci)...)
		}
		return true
	})
	return lines
}

// componentLines lists entity id's components, by name.
func componentLines(w *world.World, id world.EntityID) []string {
	st, err := w.Snapshot()
	if err != nil {
		return []string{"components: " + err.Error()}
	}
	var lines []string
	for _, cs := range st.Components {
		if i, ok := slices.BinarySearch(cs.IDs, id); ok {
			lines = append(lines, fmt.Sprintf("  component %s = %s", cs.Name, FormatValue(cs.Values[i])))
		}
	}
	if len(lines) == 0 {
		return []string{"components: none"}
	}
	return append([]string{"components:"}, lines...)
}

// TaskletLines describes tasklet t: its state, the channel it waits on (with balance,
// preference and queue), its pending error, and its frames from the top down, each with its
// type, resume point (by name) and fields.
func TaskletLines(w *world.World, t *sim.Tasklet) []string {
	head := fmt.Sprintf("tasklet %d: %s", t.ID(), t.State())
	switch t.State() {
	case sim.StateSleeping:
		head += fmt.Sprintf(" until tick %d", t.WakeTick())
	case sim.StateBlocked:
		dir := "receiving"
		if t.BlockedDir() > 0 {
			dir = "sending " + FormatValue(t.TempVal())
		}
		head += fmt.Sprintf(", %s on channel %d", dir, t.BlockedOn())
		if n := w.ChannelName(t.BlockedOn()); n != "" {
			head += fmt.Sprintf(" %q", n)
		}
		if dl := t.WakeTick(); dl != 0 {
			head += fmt.Sprintf(" until tick %d", dl)
		}
	}
	lines := []string{head}
	if err := t.PendingError(); err != nil {
		lines = append(lines, "  pending error: "+err.Error())
	}
	if t.State() == sim.StateBlocked {
		if ch := w.Scheduler().Channel(t.BlockedOn()); ch != nil {
			lines = append(lines, ChannelLine(ch))
		}
	}
	frames := world.FrameStack(nil, t)
	for i := len(frames) - 1; i >= 0; i-- {
		fi := frames[i]
		pc := fmt.Sprintf("pc %d", fi.PC)
		if fi.PCName != "" {
			pc = fmt.Sprintf("at %q (pc %d)", fi.PCName, fi.PC)
		}
		lines = append(lines, fmt.Sprintf("  frame %d: %s %s", i, fi.Type, pc))
		for _, f := range Fields(fi.Frame) {
			lines = append(lines, "    "+f)
		}
	}
	return lines
}

// ChannelLine describes a channel: balance, preference and the tasklets queued on it, a
// sender with the value it offers.
func ChannelLine(ch *sim.Channel) string {
	var q []string
	ch.Queue(func(t *sim.Tasklet) bool {
		if t.BlockedDir() > 0 {
			q = append(q, fmt.Sprintf("t%d sends %s", t.ID(), FormatValue(t.TempVal())))
		} else {
			q = append(q, fmt.Sprintf("t%d receives", t.ID()))
		}
		return len(q) < 16
	})
	if ch.Len() > len(q) {
		q = append(q, fmt.Sprintf("... %d more", ch.Len()-len(q)))
	}
	return fmt.Sprintf("  channel %d: balance %d preference %d queue [%s]", ch.ID(), ch.Balance(), ch.Preference(), strings.Join(q, ", "))
}

// mailboxLines lists a mailbox's messages, oldest first (at most 16).
func mailboxLines(w *world.World, ci world.ChannelInfo) []string {
	lines := []string{fmt.Sprintf("mailbox %d %q: %d messages", ci.Channel.ID(), ci.Name, ci.Queued)}
	n := 0
	w.EachMessage(ci.Channel.ID(), func(msg any) bool {
		lines = append(lines, "  "+FormatValue(msg))
		n++
		return n < 16
	})
	return lines
}

// Fields returns "Name = value" for each exported field of the struct frame f points to
// (or "value" for a frame that is not a struct).
func Fields(f any) []string {
	v := reflect.ValueOf(f)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return []string{"nil"}
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return []string{FormatValue(v.Interface())}
	}
	var out []string
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		out = append(out, fmt.Sprintf("%s = %s", sf.Name, FormatValue(v.Field(i).Interface())))
	}
	return out
}

// FormatValue formats v with %+v in at most maxValueChars characters.
func FormatValue(v any) string {
	s := fmt.Sprintf("%+v", v)
	if len(s) > maxValueChars {
		s = s[:maxValueChars-3] + "..."
	}
	return s
}

// A TaskletRow is one line of the tasklet list.
type TaskletRow struct {
	ID      sim.ID         `json:"id"`
	Entity  world.EntityID `json:"entity"` // the entity it drives, or 0
	Outline Outline        `json:"outline"`
	Text    string         `json:"text"`
}

// MaxListRows bounds the rows ListTasklets returns.
const MaxListRows = 200

// ListTasklets returns the alive tasklets (main left out) whose outline is state (all if
// all is true) and whose text contains search (case-insensitive), in the scheduler's order,
// at most MaxListRows of them, and how many matched in all. A row's text is
// "t<id> e<entity> <state> <top frame type> <resume point>". O(tasklets + entities).
func ListTasklets(w *world.World, state Outline, all bool, search string) (rows []TaskletRow, matched int) {
	byTasklet := make(map[sim.ID]world.EntityID, w.Len())
	for _, e := range w.Entities() {
		if e.Tasklet != 0 {
			byTasklet[e.Tasklet] = e.ID
		}
	}
	search = strings.ToLower(search)
	w.Tasklets(sim.AllStates, func(t *sim.Tasklet) bool {
		if t.IsMain() {
			return true
		}
		o := OutlineOf(t)
		if !all && o != state {
			return true
		}
		row := TaskletRow{ID: t.ID(), Entity: byTasklet[t.ID()], Outline: o}
		row.Text = fmt.Sprintf("t%d e%d %s %s", row.ID, row.Entity, o, topFrame(t))
		if search != "" && !strings.Contains(strings.ToLower(row.Text), search) {
			return true
		}
		matched++
		if len(rows) < MaxListRows {
			rows = append(rows, row)
		}
		return true
	})
	return rows, matched
}

// topFrame names t's top frame and its resume point.
func topFrame(t *sim.Tasklet) string {
	fs := world.FrameStack(nil, t)
	if len(fs) == 0 {
		return "(no frame)"
	}
	top := fs[len(fs)-1]
	if top.PCName != "" {
		return top.Type + " " + top.PCName
	}
	return fmt.Sprintf("%s pc%d", top.Type, top.PC)
}

// FailureLines returns one line per failure, newest first: tick, tasklet, entity and the
// error's first line. FailureDetail gives the whole error.
func FailureLines(fs []world.Failure) []string {
	lines := make([]string, 0, len(fs))
	for i := len(fs) - 1; i >= 0; i-- {
		f := fs[i]
		msg, _, _ := strings.Cut(f.Err, "\n")
		lines = append(lines, fmt.Sprintf("tick %d tasklet %d entity %d: %s", f.Tick, f.Tasklet, f.Entity, msg))
	}
	return lines
}

// FailureDetail returns a failure's lines: a heading, then its error line by line, then a
// panic's stack trace, if it has one.
func FailureDetail(f world.Failure) []string {
	lines := []string{fmt.Sprintf("failure at tick %d: tasklet %d, entity %d", f.Tick, f.Tasklet, f.Entity)}
	for _, l := range strings.Split(f.Err, "\n") {
		lines = append(lines, "  "+strings.ReplaceAll(l, "\t", "    "))
	}
	if f.Stack != "" {
		lines = append(lines, "  stack:")
		for _, l := range strings.Split(strings.TrimRight(f.Stack, "\n"), "\n") {
			lines = append(lines, "    "+strings.ReplaceAll(l, "\t", "    "))
		}
	}
	return lines
}
