package persist

import "github.com/stackworld/stackworld/sim"

// mapResumePoints prepares ft (resolved to a registered frame type) to map its resume
// points to the program's by name: when the file and the program both name them and the
// names differ, pcMap[i] is the program's number for the file's resume point i, or -1
// when the program no longer has it. Frames written by stackworld gen always name their
// resume points, so reordering suspensions in the source does not break old saves.
func (ft *fileType) mapResumePoints() {
	prog := ft.ref.info.pcs
	if len(ft.pcs) == 0 || len(prog) == 0 || equalStrings(ft.pcs, prog) {
		return
	}
	index := make(map[string]int32, len(prog))
	for i, name := range prog {
		index[name] = int32(i)
	}
	ft.pcMap = make([]int32, len(ft.pcs))
	for i, name := range ft.pcs {
		if n, ok := index[name]; ok {
			ft.pcMap[i] = n
		} else {
			ft.pcMap[i] = -1
		}
	}
}

// resumePoint returns the program's resume point for the file's resume point pc of a
// frame of type ft, or an error naming a resume point the program no longer has.
func (ft *fileType) resumePoint(pc uint64, schema uint64) (sim.PC, error) {
	if ft.pcMap == nil || pc >= uint64(len(ft.pcMap)) {
		return sim.PC(pc), nil
	}
	if n := ft.pcMap[pc]; n >= 0 {
		return sim.PC(n), nil
	}
	return 0, errorf(ErrLayout, "type %q: resume point %q (%d in the file) no longer exists in this program (its resume points are %q; add an upgrade from schema %d that moves such frames to one of them)",
		ft.ref.info.name, ft.pcs[pc], pc, ft.ref.info.pcs, schema)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
