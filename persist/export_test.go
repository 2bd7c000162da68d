package persist

// Helpers for the tests of package persist_test.

// Reseal replaces the checksum at the end of a format-2 document (edited by a test) with
// the checksum of its bytes, so that the edit reaches the checks behind it.
func Reseal(data []byte) []byte {
	n := len(data) - checksumLen
	return appendChecksum(append([]byte(nil), data[:n]...))
}

// AsCurrentFormat returns the bytes today's Save writes for the state of a format-1
// document: the same elements behind a new format number, and the checksum.
func AsCurrentFormat(data []byte) []byte {
	if len(data) < 13 || data[12] != 1 {
		return data
	}
	out := append([]byte(nil), data...)
	out[0], out[12] = 0x80|byte(formatElements[Format]), Format
	return appendChecksum(out)
}
