package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stackworld/stackworld/world/cluster"
)

// minStreamBytes is the least --stream-max-bytes: the migration stream's share must hold
// the largest payload (cluster.DefaultMaxPayload) with room to spare.
const minStreamBytes = 16 << 20

// byteSize is a flag holding a number of bytes, written as a number with an optional
// unit: 1073741824, 512MiB, 1GiB, 300MB, 64KiB.
type byteSize int64

// units are byteSize's units, longest first so that "MiB" is not read as "B".
var units = []struct {
	name string
	n    int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	num, unit := s, int64(1)
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.name); ok {
			num, unit = strings.TrimSpace(v), u.n
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/unit {
		return fmt.Errorf("%q is not a size: want a number of bytes, optionally with a unit (KiB, MiB, GiB, KB, MB, GB), e.g. 512MiB", s)
	}
	*b = byteSize(n * unit)
	return nil
}

// streamsWithin splits total bytes of JetStream storage between the zones' streams as
// their defaults are: stackworld_migrations 4 parts, stackworld_mail 1 and, with
// lockStep, stackworld_lockmail 1. 0: the defaults (cluster.Streams).
func streamsWithin(total int64, lockStep bool) cluster.Streams {
	if total == 0 {
		return cluster.Streams{}
	}
	parts := int64(5)
	if lockStep {
		parts = 6
	}
	part := total / parts
	s := cluster.Streams{Migrations: cluster.StreamLimits{MaxBytes: total - (parts-4)*part},
		Mail: cluster.StreamLimits{MaxBytes: part}}
	if lockStep {
		s.LockMail.MaxBytes = part
	}
	return s
}
