package main

import (
	"fmt"
	"io"

	"github.com/stackworld/stackworld/cmd/viewer/model"
	"github.com/stackworld/stackworld/world"
)

// diffSource shows world B of --diff A B with the entities that differ from A ringed, the
// list of changes in the panel, and a selected entity's changes under its inspector.
type diffSource struct {
	a, b    *world.World
	names   [2]string
	d       *model.Diff
	differ  []world.EntityID
	summary []string
}

func newDiffSource(pathA, pathB string, cfg world.Config, stdout io.Writer) (*diffSource, error) {
	a, err := world.LoadFile(world.DefaultCodec(), pathA, cfg)
	if err != nil {
		return nil, err
	}
	b, err := world.LoadFile(world.DefaultCodec(), pathB, cfg)
	if err != nil {
		a.Close()
		return nil, err
	}
	ds := &diffSource{a: a, b: b, names: [2]string{pathA, pathB}, d: model.Compare(a, b)}
	ds.differ = ds.d.Differ()
	ds.summary = append([]string{fmt.Sprintf("A = %s, B = %s (shown)", pathA, pathB)}, ds.d.Lines()...)
	for _, l := range ds.summary {
		fmt.Fprintln(stdout, l)
	}
	return ds, nil
}

func (d *diffSource) close() {
	d.a.Close()
	d.b.Close()
}

// fill captures world B and the panels.
func (d *diffSource) fill(g *game) {
	g.frame.Capture(d.b)
	g.view.refreshPanels(d.b, g.wantNow())
	g.hl.Differ = d.differ
	if g.input.selected == 0 && g.selTask == 0 && g.failSel < 0 {
		g.panel = panelDiff
		g.inspect = append(g.inspect[:0], d.summary...)
		return
	}
	var lines []string
	for _, c := range d.d.For(g.input.selected) {
		head := fmt.Sprintf("diff: entity %d %s", c.Entity, c.What)
		if c.Tasklet != 0 {
			head = fmt.Sprintf("diff: tasklet %d %s", c.Tasklet, c.What)
		}
		lines = append(lines, head)
		for _, f := range c.Fields {
			lines = append(lines, "  "+f)
		}
	}
	if len(lines) == 0 && g.input.selected != 0 {
		lines = []string{"diff: the same in A and B"}
	}
	g.inspect = append(lines, g.inspect...)
}
