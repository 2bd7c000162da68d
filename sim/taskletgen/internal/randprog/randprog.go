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
// main that runs them both ways and prints "seed S: same: N lines" or the two traces.
func Program(seed uint64, n int) string { return Programs([]uint64{seed}, n) }

// Programs returns the source of package main with, for each seed S of seeds, the n
// marked functions Program(S, n) writes (named sSg0..sSg(n-1) when there are several
// seeds), and a main that runs each seed's functions both ways, in seeds' order, and
// prints a line per seed: one program to build for many seeds.
func Programs(seeds []uint64, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, header, seeds)
	var table strings.Builder
	for _, seed := range seeds {
		p := &prog{r: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), n: n}
		if len(seeds) > 1 {
			p.pre = fmt.Sprintf("s%d", seed)
		}
		for i := n - 1; i >= 0; i-- {
			b.WriteString(p.function(i))
		}
		fmt.Fprintf(&table, "\t{seed: %d, rnd: %d, n: %d, newFrame: %snewFrame, call: %scall},\n", seed, p.r.Uint64(), n, p.pre, p.pre)
		fmt.Fprintf(&b, "func %snewFrame(i int, ch sim.Chan[int], a, b int) sim.Frame {\n\tswitch i {\n", p.pre)
		for i := range n {
			fmt.Fprintf(&b, "\tcase %d:\n\t\treturn &%sFrame{Ch: ch, A: a, B: b}\n", i, exported(fmt.Sprintf("%sg%d", p.pre, i)))
		}
		fmt.Fprintf(&b, "\t}\n\treturn nil\n}\n\nfunc %scall(i int, h *sim.Tasklet, ch sim.Chan[int], a, b int) (int, error) {\n\tswitch i {\n", p.pre)
		for i := range n {
			fmt.Fprintf(&b, "\tcase %d:\n\t\treturn %sg%d(h, ch, a, b)\n", i, p.pre, i)
		}
		b.WriteString("\t}\n\treturn 0, nil\n}\n\n")
	}
	fmt.Fprintf(&b, "var programs = []program{\n%s}\n\n", table.String())
	b.WriteString(driver)
	return b.String()
}

// exported is name with its first letter in capitals, as the generator names frames.
func exported(name string) string { return strings.ToUpper(name[:1]) + name[1:] }

type prog struct {
	pre   string // the prefix of the function names: "" or "s<seed>"
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
	fmt.Fprintf(&p.b, "//stackworld:tasklet\nfunc %sg%d(h *sim.Tasklet, ch sim.Chan[int], a, b int) (int, error) {\n", p.pre, i)
	p.block(3 + p.r.IntN(4))
	fmt.Fprintf(&p.b, "\tprintf(\"%sg%d ret %%d\", %s)\n\treturn %s, nil\n}\n\n", p.pre, i, p.expr(), p.vars[len(p.vars)-1])
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
	p.w("printf(\"%sg%d l%d %%d\", %s)", p.pre, p.fn, p.line, v)
}

// errCheck handles an operation's error as the functions all do: trace and return it.
func (p *prog) errCheck() {
	p.w("if err != nil {")
	p.w("\tprintf(\"%sg%d error %%v\", err)", p.pre, p.fn)
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
		p.w("\tprintf(\"%sg%d error %%v\", err)", p.pre, p.fn)
		p.w("\treturn 0, err")
		p.w("}")
	case 3:
		p.w("if err := h.Sleep(%d).Wait(); err != nil {", 1+p.r.IntN(3))
		p.w("\tprintf(\"%sg%d error %%v\", err)", p.pre, p.fn)
		p.w("\treturn 0, err")
		p.w("}")
	case 4:
		p.w("if err := sim.Send(h, ch, %s); err != nil {", p.expr())
		p.w("\tprintf(\"%sg%d error %%v\", err)", p.pre, p.fn)
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
		p.w("%s, err := %sg%d(h, ch, %s, %s)", v, p.pre, p.fn+1+p.r.IntN(p.n-p.fn-1), p.expr(), p.expr())
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
		p.w("\tprintf(\"%sg%d rune %%d\", %s)", p.pre, p.fn, c)
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
	p.w("\tprintf(\"%sg%d any %%v\", %s)", p.pre, p.fn, x)
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

const header = `// Code written by randprog (seeds %v): random programs for differential testing.

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

const driver = `// A program is one seed's functions.
type program struct {
	seed, rnd uint64
	n         int
	newFrame  func(i int, ch sim.Chan[int], a, b int) sim.Frame
	call      func(i int, h *sim.Tasklet, ch sim.Chan[int], a, b int) (int, error)
}

// main runs each seed's functions as tasklets, hard and then soft, for 40 ticks, killing
// one at a random tick; the soft run is saved and loaded at random ticks.
func main() {
	failed := false
	for _, p := range programs {
		if !compare(p) {
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// compare runs p both ways and prints its line: "same" or both traces.
func compare(p program) bool {
	hard, err := run(p, false)
	if err != nil {
		fmt.Printf("seed %d: hard: %v\n", p.seed, err)
		return false
	}
	soft, err := run(p, true)
	if err != nil {
		fmt.Printf("seed %d: soft: %v\n", p.seed, err)
		return false
	}
	if hard == soft {
		fmt.Printf("seed %d: same: %d lines\n", p.seed, strings.Count(hard, "\n")+1)
		return true
	}
	fmt.Printf("seed %d: hard:\n%s\nsoft:\n%s\n", p.seed, hard, soft)
	return false
}

func run(p program, soft bool) (string, error) {
	out = nil
	r := rand.New(rand.NewPCG(p.rnd, 1))
	codec, err := persist.DefaultOptions().Codec()
	if err != nil {
		return "", err
	}
	s := sim.NewScheduler(sim.Options{})
	ch := sim.NewChan[int](s)
	var ids []sim.ID
	for i := range p.n {
		a, b := i, 2*i+1
		if soft {
			ids = append(ids, s.Spawn(p.newFrame(i, ch, a, b)).ID())
		} else {
			ids = append(ids, s.SpawnHard(func(h *sim.Tasklet) error { _, err := p.call(i, h, ch, a, b); return err }).ID())
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
				printf("kill %d: %v", victim, target.Kill(s.Main()).Wait())
			}
		}
		if err := s.Tick(); err != nil {
			printf("tick %d: %v", tick, err)
		}
		if soft && r.IntN(3) == 0 {
			data, _, err := codec.Save(s)
			if err != nil {
				return "", fmt.Errorf("save at tick %d: %w", tick, err)
			}
			s.Close()
			if s, _, err = codec.Load(data, sim.RestoreOptions{}); err != nil {
				return "", fmt.Errorf("load at tick %d: %w", tick, err)
			}
		} else if !soft {
			r.IntN(3) // the same draws in both runs
		}
	}
	s.Close()
	return strings.Join(out, "\n"), nil
}
`
