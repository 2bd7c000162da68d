package persist

import (
	"fmt"

	"github.com/stackworld/stackworld/sim"
)

// A Capture is a scheduler and sections taken at one moment, which SaveCapture encodes
// later, on any goroutine, into the bytes Save would have written at that moment.
type Capture struct {
	data []byte
	rep  *Report
}

// Capture takes s and the sections as they are now, under the same rules as Save (the main
// program, between ticks). The scheduler and the sections' values may change as soon as it
// returns.
func (c *Codec) Capture(s *sim.Scheduler, sections ...Section) (*Capture, error) {
	data, rep, err := c.save(s, sections)
	if err != nil {
		return nil, fmt.Errorf("persist: save: %w", err)
	}
	return &Capture{data: data, rep: rep}, nil
}

// SaveCapture returns the snapshot of cp: the bytes Save returned when cp was taken. It is
// safe for concurrent use on different captures.
func (c *Codec) SaveCapture(cp *Capture) ([]byte, *Report, error) {
	return cp.data, cp.rep, nil
}
