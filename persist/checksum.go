package persist

import (
	"encoding/binary"
	"hash/crc32"
)

// The document checksum (format 2 on): the document's last element is a byte string of
// four bytes, the CRC-32C (Castagnoli) of every byte of the document before it, big-endian.
// It is always the document's last five bytes, so that Load checks it before it decodes
// anything, in time linear in the size and without allocating.
const (
	checksumHead = 0x44 // CBOR byte string of length 4
	checksumLen  = 5
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendChecksum appends the checksum of b, a document without its last element.
func appendChecksum(b []byte) []byte {
	sum := crc32.Checksum(b, castagnoli)
	return binary.BigEndian.AppendUint32(append(b, checksumHead), sum)
}

// verifyChecksum checks the checksum at the end of a format-2 document.
func verifyChecksum(data []byte) error {
	n := len(data) - checksumLen
	if n < 0 || data[n] != checksumHead {
		return errorf(ErrChecksum, "the document does not end with its checksum: the file is truncated or corrupt; restore an earlier save")
	}
	stored := binary.BigEndian.Uint32(data[n+1:])
	if computed := crc32.Checksum(data[:n], castagnoli); stored != computed {
		return errorf(ErrChecksum, "checksum mismatch (stored %#08x, computed %#08x): the file is corrupt; restore an earlier save", stored, computed)
	}
	return nil
}
