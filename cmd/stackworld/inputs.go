package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/stackworld/stackworld/world"
	"github.com/stackworld/stackworld/world/server"
)

// The default world's input commands, one per payload (text):
//
//	move ID X Y    put entity ID at (X, Y)
//	despawn ID     remove entity ID and its tasklet
//
// Anything else, or a command naming an entity that is not alive, is ignored (and logged at
// debug level): a client cannot stop the world, and ignoring is as deterministic as obeying.

// deliverCommands returns run's and replay's server.Options.Deliver.
func deliverCommands(log *slog.Logger) func(w *world.World, in []server.Input) error {
	return func(w *world.World, in []server.Input) error {
		for _, x := range in {
			if err := applyCommand(w, string(x.Payload)); err != nil {
				log.Debug("input ignored", "tick", x.Tick, "client", x.Client, "seq", x.Seq, "reason", err)
			}
		}
		return nil
	}
}

// applyCommand carries out one command.
func applyCommand(w *world.World, cmd string) error {
	f := strings.Fields(cmd)
	num := func(i int) (int64, error) {
		if i >= len(f) {
			return 0, fmt.Errorf("%q: missing argument %d", cmd, i)
		}
		return strconv.ParseInt(f[i], 10, 32)
	}
	if len(f) == 0 {
		return fmt.Errorf("empty command")
	}
	id, err := num(1)
	if err != nil {
		return err
	}
	e := world.EntityID(id)
	if !w.Alive(e) {
		return fmt.Errorf("%q: no entity %d", cmd, id)
	}
	switch f[0] {
	case "move":
		x, err := num(2)
		if err != nil {
			return err
		}
		y, err := num(3)
		if err != nil {
			return err
		}
		w.SetPos(e, world.Vec{X: int32(x), Y: int32(y)})
	case "despawn":
		w.Despawn(e)
	default:
		return fmt.Errorf("%q: unknown command (move, despawn)", cmd)
	}
	return nil
}

// feedInputs submits the lines of r to s: "CLIENT SEQ TICK COMMAND...", TICK 0 for the next
// tick. A bad line or a refused input is logged and skipped. It returns at the end of r or
// when ctx ends.
func feedInputs(ctx context.Context, r io.Reader, name string, s *server.Server, log *slog.Logger) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), server.MaxPayload+128)
	for n := 1; sc.Scan() && ctx.Err() == nil; n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		in, err := parseInputLine(line)
		if err == nil {
			err = s.Submit(in)
		}
		if err != nil {
			log.Warn("input skipped", "file", name, "line", n, "err", err)
		}
	}
	if err := sc.Err(); err != nil {
		log.Warn("reading inputs stopped", "file", name, "err", err)
	}
}

// parseInputLine parses "CLIENT SEQ TICK COMMAND...".
func parseInputLine(line string) (server.Input, error) {
	f := strings.SplitN(line, " ", 4)
	if len(f) < 4 {
		return server.Input{}, fmt.Errorf("%q: want CLIENT SEQ TICK COMMAND", line)
	}
	var n [3]uint64
	for i := range n {
		v, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return server.Input{}, fmt.Errorf("%q: field %d: want a number", line, i+1)
		}
		n[i] = v
	}
	return server.Input{Client: n[0], Seq: n[1], Tick: n[2], Payload: []byte(f[3])}, nil
}
