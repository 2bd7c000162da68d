package persist

import "github.com/stackworld/stackworld/sim"

// Helpers for the tests of package persist_test.

// Reseal replaces the checksum at the end of a format-2 document (edited by a test) with
// the checksum of its bytes, so that the edit reaches the checks behind it.
func Reseal(data []byte) []byte {
	n := len(data) - checksumLen
	return appendChecksum(append([]byte(nil), data[:n]...))
}

// AsCurrentFormat returns the bytes today's Save writes for the state of a document of
// an older format and the current schemas: the same elements behind today's header, and
// the checksum.
func AsCurrentFormat(data []byte) []byte {
	if len(data) < 13 || data[12] >= Format {
		return data
	}
	r := reader{b: data, off: 13}
	schema := r.uint()
	tick := r.uint()
	body := data[r.off:]
	if data[12] >= 2 {
		body = body[:len(body)-checksumLen]
	}
	var w writer
	writeHeader(&w, current(), schema, tick)
	return appendChecksum(append(w.b, body...))
}

// Scratch runs f and then puts back the registry as it was, so that a test can register
// types and upgrades that other tests must not see (tests of package persist run one at
// a time).
func Scratch(f func()) {
	old := regCur.Load()
	defer regCur.Store(old)
	f()
}

// CaptureTable returns cp's table, so a test can see that Recapture reused it.
func CaptureTable(cp *Capture) *sim.ImageTable { return &cp.ft.Table }
