package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stackworld/stackworld/world/cluster"
)

// awaitZones (--lockstep) returns once every one of the map's regions has a zone, so
// that no zone ticks alone: the barrier waits only for the zones on the map, and an
// entity walking into a region no zone holds yet would stay where it is in one run and
// move in the next. It watches the zone map's key (no polling) and logs once which
// regions it waits for. It returns nil when ctx ends (the zone then stops at tick 0),
// and an error when the bucket cannot be watched or the map is not one of regions.
func awaitZones(ctx context.Context, nc *nats.Conn, regions int, log *slog.Logger) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("--lockstep: %w", err)
	}
	kv, err := js.KeyValue(ctx, cluster.ZonesBucket)
	if err != nil {
		return fmt.Errorf("--lockstep: bucket %s: %w", cluster.ZonesBucket, err)
	}
	wt, err := kv.Watch(ctx, "map")
	if err != nil {
		return fmt.Errorf("--lockstep: watch the zone map: %w", err)
	}
	defer func() { _ = wt.Stop() }()
	logged := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-wt.Updates():
			if !ok {
				return fmt.Errorf("--lockstep: the watch of %s's map ended", cluster.ZonesBucket)
			}
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue // nil: the current value has been delivered
			}
			missing, err := missingRegions(e.Value(), regions)
			if err != nil {
				return err
			}
			if len(missing) == 0 {
				return nil
			}
			if !logged {
				log.Info("lock step: waiting for every region to have a zone", "regions", strings.Join(missing, ","))
				logged = true
			}
		}
	}
}

// missingRegions returns the regions of the zone map b (JSON) that no zone holds.
func missingRegions(b []byte, regions int) ([]string, error) {
	var m cluster.ZoneMap
	if err := json.Unmarshal(b, &m); err != nil || len(m.Regions) != regions {
		return nil, fmt.Errorf("--lockstep: the zone map in %s is %q, not a map of %d regions (all zones must agree on --regions)",
			cluster.ZonesBucket, b, regions)
	}
	var missing []string
	for r, name := range m.Regions {
		if name == "" {
			missing = append(missing, strconv.Itoa(r))
		}
	}
	return missing, nil
}
