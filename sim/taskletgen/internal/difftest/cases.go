// Package difftest holds the behavioural spec cases that have a hard version
// (sim/spec_test.go), written once as marked functions: the test runs each as hard
// tasklets (the functions as written) and as soft ones (the generated frames) and compares
// the whole output with the spec's.
package difftest

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/stackworld/stackworld/sim"
)

//go:generate go run github.com/stackworld/stackworld/cmd/stackworld gen

// Out collects what the cases print. The test resets it before each run.
var Out []string

func printf(format string, a ...any) { Out = append(Out, fmt.Sprintf(format, a...)) }

// Text returns what was printed, one line each.
func Text() string { return strings.Join(Out, "\n") + "\n" }

// PyError stands for a Python exception instance: its class and its args.
type PyError struct {
	Class string
	Args  []any
}

func (e *PyError) Error() string { return e.Class + ": " + fmt.Sprint(e.Args...) }

// ArgsRepr is Python's repr(e.args).
func (e *PyError) ArgsRepr() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = Repr(a)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Repr is Python's repr(e).
func (e *PyError) Repr() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = Repr(a)
	}
	return e.Class + "(" + strings.Join(parts, ", ") + ")"
}

// Repr is Python's repr of a string or a number.
func Repr(v any) string {
	if s, ok := v.(string); ok {
		return "'" + s + "'"
	}
	return fmt.Sprint(v)
}

// Py formats a bool as Python prints it.
func Py(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// ---- case 1 ----

// Worker is `for i in range(n): print(name, i); stackless.schedule()`.
//
//stackworld:tasklet
func Worker(h *sim.Tasklet, name string, n int) error {
	for i := range n {
		printf("%s %d", name, i)
		if err := h.Schedule().Wait(); err != nil {
			return err
		}
	}
	printf("%s done", name)
	return nil
}

// ---- case 2 ----

// Receiver prints, receives and prints what it got.
//
//stackworld:tasklet
func Receiver(h *sim.Tasklet, ch sim.Chan[string]) error {
	printf("  R: waiting")
	v, err := sim.Receive(h, ch)
	if err != nil {
		return err
	}
	printf("  R: got %s", v)
	return nil
}

// Sender prints, sends "v" and prints again.
//
//stackworld:tasklet
func Sender(h *sim.Tasklet, ch sim.Chan[string]) error {
	printf("  S: sending")
	if err := sim.Send(h, ch, "v"); err != nil {
		return err
	}
	printf("  S: send returned")
	return nil
}

// ---- case 4 ----

// SendOne sends v and says so.
//
//stackworld:tasklet
func SendOne(h *sim.Tasklet, ch sim.Chan[string], v string) error {
	if err := sim.Send(h, ch, v); err != nil {
		return err
	}
	printf("sender %s unblocked", v)
	return nil
}

// ReceiveOne receives one value and says so.
//
//stackworld:tasklet
func ReceiveOne(h *sim.Tasklet, ch sim.Chan[string], n int) error {
	v, err := sim.Receive(h, ch)
	if err != nil {
		return err
	}
	printf("receiver %d got %s", n, v)
	return nil
}

// ---- case 5 ----

// Waiter receives forever; killed, it reports TaskletExit and its finally clause.
//
//stackworld:tasklet
func Waiter(h *sim.Tasklet, ch sim.Chan[any]) error {
	printf("waiter: receiving")
	if _, err := sim.Receive(h, ch); err != nil {
		if errors.Is(err, sim.ErrTaskletExit) {
			printf("waiter: got TaskletExit isinstance SystemExit: %s", Py(errors.Is(err, sim.ErrSystemExit)))
		}
		printf("waiter: finally")
		return err
	}
	printf("waiter: not reached")
	printf("waiter: finally")
	return nil
}

// ---- case 7 ----

// Looper prints three times, yielding in between.
//
//stackworld:tasklet
func Looper(h *sim.Tasklet, name string) error {
	for i := range 3 {
		printf("%s %d", name, i)
		if err := h.Schedule().Wait(); err != nil {
			return err
		}
	}
	return nil
}

// Raiser is `def f(): print(msg); raise err`.
//
//stackworld:tasklet
func Raiser(h *sim.Tasklet, msg string, err error) error {
	if msg != "" {
		printf("%s", msg)
	}
	return err
}

// Say is `lambda: print(msg)`.
//
//stackworld:tasklet
func Say(h *sim.Tasklet, msg string) {
	if msg != "" {
		printf("%s", msg)
	}
}

// ---- case 13 ----

// ErrReceiver receives once and reports a ValueError it gets instead of a value.
//
//stackworld:tasklet
func ErrReceiver(h *sim.Tasklet, ch sim.Chan[int], class, label string) error {
	_, err := sim.Receive(h, ch)
	if e := (*PyError)(nil); errors.As(err, &e) && e.Class == class {
		if label == "receiver" {
			printf("receiver got exception %s %s", e.Class, e.ArgsRepr())
		} else {
			printf("%s got %s", label, e.Repr())
		}
		return nil
	}
	return err
}

// Consumer iterates over the channel until the sender ends the iteration.
//
//stackworld:tasklet
func Consumer(h *sim.Tasklet, ch sim.Chan[int]) error {
	var err error
	for v := range sim.Values(h, ch, &err) {
		printf("consumer got %d", v)
	}
	if err != nil {
		return err
	}
	printf("consumer loop ended")
	return nil
}

// Producer sends the squares of 0..3 (send_sequence), then StopIteration.
//
//stackworld:tasklet
func Producer(h *sim.Tasklet, ch sim.Chan[int]) error {
	n := 0
	for x := range 4 {
		if err := sim.Send(h, ch, x*x); err != nil {
			return err
		}
		n++
	}
	printf("send_sequence returned %d", n)
	return sim.SendError(h, ch, sim.ErrStopIteration)
}

// ---- saves across edits (resume_test.go) ----

// Napper sleeps twice, then says so.
//
//stackworld:tasklet
func Napper(h *sim.Tasklet) error {
	if err := h.Sleep(1).Wait(); err != nil {
		return err
	}
	if err := h.Sleep(2).Wait(); err != nil {
		return err
	}
	printf("napper woke twice")
	return nil
}

// ---- //line directives (line_test.go) ----

// Lines collects where Here was called from, as file:line.
var Lines []string

// Here records the file and line it is called from.
func Here() {
	_, file, line, _ := runtime.Caller(1)
	Lines = append(Lines, fmt.Sprintf("%s:%d", filepath.Base(file), line))
}

// Where calls Here before and after suspensions: the generated frame's calls must report
// these lines of this file, as the hard version's do.
//
//stackworld:tasklet
func Where(h *sim.Tasklet, n int) error {
	Here()
	for i := range n {
		if err := h.Schedule().Wait(); err != nil {
			return err
		}
		Here()
		if i%2 == 0 {
			Here()
		}
	}
	return nil
}

// ---- constructs beyond the spec (constructs_test.go) ----

// A Move is a message Dispatch handles by its type.
type Move struct{ X, Y int }

// Dispatch handles each message by its dynamic type, suspending inside the clauses,
// where the clause's variable lives across the suspension.
//
//stackworld:tasklet
func Dispatch(h *sim.Tasklet, msgs []any) error {
	for _, msg := range msgs {
		switch m := msg.(type) {
		case nil:
			printf("dispatch: nothing")
		case int:
			if err := h.Sleep(1).Wait(); err != nil {
				return err
			}
			printf("dispatch: int %d, a tick later", m)
		case Move, *Move:
			h.Schedule().Wait()
			printf("dispatch: move %v", m)
		case string:
			for i, r := range m {
				if r == '!' {
					break
				}
				h.NextTick().Wait()
				printf("dispatch: %q at %d", r, i)
			}
		default:
			h.NextTick().Wait()
			printf("dispatch: %T", m)
		}
	}
	return nil
}

// Spell ranges over a string with a suspension in the body, runes and invalid bytes
// alike, and continues past the letters it skips.
//
//stackworld:tasklet
func Spell(h *sim.Tasklet, word string) error {
	n := 0
	for i, r := range word + "\xff!" {
		if r == 'x' {
			continue
		}
		if err := h.Sleep(1).Wait(); err != nil {
			return err
		}
		n++
		printf("spell: %d %q (%d)", i, r, n)
	}
	return nil
}
