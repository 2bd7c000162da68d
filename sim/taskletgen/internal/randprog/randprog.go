// Package randprog writes random programs of marked functions for differential testing:
// each program runs its functions as hard tasklets and as their generated soft frames
// (saved and loaded at random ticks), and prints both traces. The same seed writes the
// same program.
package randprog

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Program returns the source of package main with n marked functions g0..g(n-1) and a
// main that runs them both ways and prints "same" or the two traces.
func Program(seed uint64, n int) string {
	p := &prog{r: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), n: n}
	var b strings.Builder
	fmt.Fprintf(&b, header, seed)
	for i := n - 1; i >= 0; i-- {
		b.WriteString(p.function(i))
	}
	fmt.Fprintf(&b, driver, n, p.r.Uint64())
	b.WriteString("func newFrame(i int, ch sim.Chan[int], a, b int) sim.Frame {\n\tswitch i {\n")
	for i := range n {
		fmt.Fprintf(&b, "\tcase %d:\n\t\treturn &G%dFrame{Ch: ch, A: a, B: b}\n", i, i)
	}
	b.WriteString("\t}\n\treturn nil\n}\n\nfunc call(i int, h *sim.Tasklet, ch sim.Chan[int], a, b int) (int, error) {\n\tswitch i {\n")
	for i := range n {
		fmt.Fprintf(&b, "\tcase %d:\n\t\treturn g%d(h, ch, a, b)\n", i, i)
	}
	b.WriteString("\t}\n\treturn 0, nil\n}\n")
	return b.String()
}

type prog struct {
	r     *rand.Rand
	n     int
	fn    int      // the function being written
	vars  []string // int variables in scope
	next  int
	loops []string // labels of the enclosing loops ("" when unlabeled)
	b     strings.Builder
	depth int
	line  int
}

func (p *prog) function(i int) string {
	p.fn, p.vars, p.next, p.loops, p.depth = i, []string{"a", "b"}, 0, nil, 0
	p.b.Reset()
	fmt.Fprintf(&p.b, "//stackworld:tasklet\nfunc g%d(h *sim.Tasklet, ch sim.Chan[int], a, b int) (int, error) {\n", i)
	p.block(3 + p.r.IntN(4))
	fmt.Fprintf(&p.b, "\tprintf(\"g%d ret %%d\", %s)\n\treturn %s, nil\n}\n\n", i, p.expr(), p.vars[len(p.vars)-1])
	return p.b.String()
}

func (p *prog) w(format string, a ...any) {
	p.b.WriteString(strings.Repeat("\t", p.depth+1))
	fmt.Fprintf(&p.b, format, a...)
	p.b.WriteString("\n")
}

func (p *prog) fresh() string {
	p.next++
	return fmt.Sprintf("v%d", p.next)
}

func (p *prog) pick() string { return p.vars[p.r.IntN(len(p.vars))] }

func (p *prog) expr() string {
	switch p.r.IntN(5) {
	case 0:
		return fmt.Sprint(p.r.IntN(10))
	case 1:
		return p.pick() + " + " + p.pick()
	case 2:
		return fmt.Sprintf("%s*%d - %d", p.pick(), 1+p.r.IntN(3), p.r.IntN(5))
	case 3:
		return fmt.Sprintf("%s %% %d", p.pick(), 2+p.r.IntN(4))
	}
	return p.pick()
}

func (p *prog) cond() string {
	switch p.r.IntN(3) {
	case 0:
		return p.pick() + " < " + p.pick()
	case 1:
		return fmt.Sprintf("%s%%2 == 0", p.pick())
	}
	return fmt.Sprintf("%s > %d", p.pick(), p.r.IntN(6))
}

// say prints a trace line with a value.
func (p *prog) say(v string) {
	p.line++
	p.w("printf(\"g%d l%d %%d\", %s)", p.fn, p.line, v)
}

// errCheck handles an operation's error as the functions all do: trace and return it.
func (p *prog) errCheck() {
	p.w("if err != nil {")
	p.w("\tprintf(\"g%d error %%v\", err)", p.fn)
	p.w("\treturn 0, err")
	p.w("}")
}

func (p *prog) block(n int) {
	scope := len(p.vars)
	for range n {
		p.stmt()
	}
	p.vars = p.vars[:scope]
}

func (p *prog) stmt() {
	k := p.r.IntN(16)
	if p.depth >= 3 && k >= 8 {
		k = p.r.IntN(8)
	}
	switch k {
	case 0:
		v := p.fresh()
		p.w("%s := %s", v, p.expr())
		p.say(v)
		p.vars = append(p.vars, v)
	case 1:
		if v := p.pick(); v != "a" && v != "b" || p.r.IntN(2) == 0 {
			p.w("%s += %s", v, p.expr())
		}
		p.say(p.pick())
	case 2:
		p.w("if err := h.Schedule().Wait(); err != nil {")
		p.w("\tprintf(\"g%d error %%v\", err)", p.fn)
		p.w("\treturn 0, err")
		p.w("}")
	case 3:
		p.w("if err := h.Sleep(%d).Wait(); err != nil {", 1+p.r.IntN(3))
		p.w("\tprintf(\"g%d error %%v\", err)", p.fn)
		p.w("\treturn 0, err")
		p.w("}")
	case 4:
		p.w("if err := sim.Send(h, ch, %s); err != nil {", p.expr())
		p.w("\tprintf(\"g%d error %%v\", err)", p.fn)
		p.w("\treturn 0, err")
		p.w("}")
	case 5:
		v := p.fresh()
		p.w("%s, err := sim.Receive(h, ch)", v)
		p.errCheck()
		p.say(v)
		p.vars = append(p.vars, v)
	case 6, 7:
		if p.fn+1 >= p.n {
			p.w("h.Schedule().Wait()")
			return
		}
		v := p.fresh()
		p.w("%s, err := g%d(h, ch, %s, %s)", v, p.fn+1+p.r.IntN(p.n-p.fn-1), p.expr(), p.expr())
		p.errCheck()
		p.say(v)
		p.vars = append(p.vars, v)
	case 8:
		p.w("if %s {", p.cond())
		p.nested(2)
		if p.r.IntN(2) == 0 {
			p.w("} else {")
			p.nested(2)
		}
		p.w("}")
	case 9:
		v := p.fresh()
		p.w("for %s := 0; %s < %d; %s++ {", v, v, 1+p.r.IntN(3), v)
		p.loop(v, "")
	case 10:
		v := p.fresh()
		p.w("for %s := range %d {", v, 1+p.r.IntN(3))
		p.loop(v, "")
	case 11:
		v := p.fresh()
		p.w("for _, %s := range []int{%d, %s, %d} {", v, p.r.IntN(9), p.pick(), p.r.IntN(9))
		p.loop(v, "")
	case 12:
		p.w("switch %s %% 3 {", p.pick())
		for c := range 2 {
			p.w("case %d:", c)
			p.nested(2)
			if p.r.IntN(4) == 0 && c == 0 {
				p.w("\tfallthrough")
			}
		}
		p.w("default:")
		p.nested(2)
		p.w("}")
	case 13:
		label := fmt.Sprintf("L%d", p.next+1)
		v := p.fresh()
		p.w("%s:", label)
		p.w("for %s := range %d {", v, 1+p.r.IntN(3))
		p.loop(v, label)
	case 14:
		v, c := p.fresh(), p.fresh()
		p.w("for %s, %s := range %q {", v, c, []string{"ab", "é\xff", "€x", ""}[p.r.IntN(4)])
		p.w("\tprintf(\"g%d rune %%d\", %s)", p.fn, c)
		p.loop(v, "")
	case 15:
		p.typeSwitch()
	}
}

// typeSwitch writes a type switch over anyOf(an int): an int, a string or nil.
func (p *prog) typeSwitch() {
	x := p.fresh()
	p.w("switch %s := anyOf(%s).(type) {", x, p.expr())
	p.w("case int:")
	scope := len(p.vars)
	p.vars = append(p.vars, x)
	p.nested(2)
	p.vars = p.vars[:scope]
	p.w("case string, nil:")
	p.nested(2)
	p.w("\tprintf(\"g%d any %%v\", %s)", p.fn, x)
	p.w("default:")
	p.nested(1)
	p.w("}")
}

func (p *prog) nested(n int) {
	p.depth++
	p.block(1 + p.r.IntN(n))
	p.depth--
}

// loop writes a loop body over v; a labeled loop's body has an inner loop that continues
// or breaks it.
func (p *prog) loop(v, label string) {
	scope := len(p.vars)
	p.depth++
	p.vars = append(p.vars, v)
	p.say(v)
	p.loops = append(p.loops, label)
	if label != "" {
		w := p.fresh()
		p.w("for %s := range 2 {", w)
		p.depth++
		p.w("if %s+%s == %d {", v, w, p.r.IntN(3))
		p.w("\tcontinue %s", label)
		p.w("}")
		p.w("if %s > %d {", w, p.r.IntN(3))
		p.w("\tbreak %s", label)
		p.w("}")
		inner := len(p.vars)
		p.vars = append(p.vars, w)
		p.block(1 + p.r.IntN(2))
		p.vars = p.vars[:inner]
		p.depth--
		p.w("}")
	}
	switch p.r.IntN(4) {
	case 0:
		p.w("if %s {", p.cond())
		p.w("\tbreak")
		p.w("}")
	case 1:
		p.w("if %s {", p.cond())
		p.w("\tcontinue")
		p.w("}")
	}
	p.block(1 + p.r.IntN(3))
	p.loops = p.loops[:len(p.loops)-1]
	p.vars = p.vars[:scope]
	p.depth--
	p.w("}")
}

const header = `// Code written by randprog (seed %d): a random program for differential testing.

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/stackworld/stackworld/persist"
	"github.com/stackworld/stackworld/sim"
)

//go:generate go run github.com/stackworld/stackworld/cmd/stackworld gen

var out []string

func printf(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }

// anyOf returns n as an int, as a string or nil, by n mod 3.
func anyOf(n int) any {
	switch (n%%3 + 3) %% 3 {
	case 0:
		return n
	case 1:
		return fmt.Sprint(n)
	}
	return nil
}

`

const driver = `const nFuncs = %d

// main runs every function as a tasklet, hard and then soft, for 40 ticks, killing one
// at a random tick; the soft run is saved and loaded at random ticks.
func main() {
	hard, err := run(false)
	if err != nil {
		fmt.Println("hard:", err)
		os.Exit(1)
	}
	soft, err := run(true)
	if err != nil {
		fmt.Println("soft:", err)
		os.Exit(1)
	}
	if hard == soft {
		fmt.Printf("same: %%d lines\n", strings.Count(hard, "\n")+1)
		return
	}
	fmt.Printf("hard:\n%%s\nsoft:\n%%s\n", hard, soft)
	os.Exit(1)
}

func run(soft bool) (string, error) {
	out = nil
	r := rand.New(rand.NewPCG(%d, 1))
	codec, err := persist.DefaultOptions().Codec()
	if err != nil {
		return "", err
	}
	s := sim.NewScheduler(sim.Options{})
	ch := sim.NewChan[int](s)
	var ids []sim.ID
	for i := range nFuncs {
		a, b := i, 2*i+1
		if soft {
			ids = append(ids, s.Spawn(newFrame(i, ch, a, b)).ID())
		} else {
			ids = append(ids, s.SpawnHard(func(h *sim.Tasklet) error { _, err := call(i, h, ch, a, b); return err }).ID())
		}
	}
	kill := r.IntN(40)
	victim := ids[r.IntN(len(ids))]
	for tick := range 40 {
		if tick == kill {
			var target *sim.Tasklet
			s.Each(func(t *sim.Tasklet) bool {
				if t.ID() == victim && t.Alive() {
					target = t
				}
				return true
			})
			if target != nil {
				printf("kill %%d: %%v", victim, target.Kill(s.Main()).Wait())
			}
		}
		if err := s.Tick(); err != nil {
			printf("tick %%d: %%v", tick, err)
		}
		if soft && r.IntN(3) == 0 {
			data, _, err := codec.Save(s)
			if err != nil {
				return "", fmt.Errorf("save at tick %%d: %%w", tick, err)
			}
			s.Close()
			if s, _, err = codec.Load(data, sim.RestoreOptions{}); err != nil {
				return "", fmt.Errorf("load at tick %%d: %%w", tick, err)
			}
		} else if !soft {
			r.IntN(3) // the same draws in both runs
		}
	}
	s.Close()
	return strings.Join(out, "\n"), nil
}
`
