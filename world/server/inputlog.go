package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/fxamacker/cbor/v2"
)

// The input log is a sequence of CBOR arrays (RFC 8949, core deterministic encoding):
//
//	[0, "stackworld-inputs", 1, START]       the header: format 1, the world's tick when recording began
//	[1, TICK, CLIENT, SEQ, PAYLOAD]          an input delivered just before tick TICK (PAYLOAD a byte string)
//	[2, END]                                 the run stopped after tick END (absent if the process died)
//
// Inputs appear in delivery order: ticks never go down, and within a tick the order is the
// one Deliver saw. A snapshot at tick T plus the records after T reproduce the run.

const (
	logMagic      = "stackworld-inputs"
	logFormat     = 1
	recHeader     = 0
	recInput      = 1
	recEnd        = 2
	maxRecordSize = MaxPayload + 1<<10 // the largest input record, with room for its numbers
)

// SyncPolicy says when an input log is flushed to stable storage.
type SyncPolicy uint8

const (
	// SyncEveryTick flushes and fsyncs after each tick that delivered inputs: a crash loses
	// no delivered input. The default.
	SyncEveryTick SyncPolicy = iota
	// SyncOnClose flushes to the operating system after each such tick and fsyncs only at
	// Close: a machine crash may lose the last inputs, a process crash does not.
	SyncOnClose
)

func (p SyncPolicy) valid() bool { return p <= SyncOnClose }

var logEnc = func() cbor.EncMode {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err) // the library's own preset
	}
	return em
}()

// A LogWriter appends delivered inputs to an input log. The Server it is given to writes
// it from the loop goroutine and closes it when Run returns.
type LogWriter struct {
	f      *os.File // nil for a plain io.Writer
	buf    *bufio.Writer
	sync   SyncPolicy
	start  uint64
	last   uint64
	closed bool
}

// CreateLog creates the input log at path, for a world at tick start (the tick of the
// snapshot a replay starts from). It refuses to replace an existing file.
func CreateLog(path string, start uint64, sync SyncPolicy) (*LogWriter, error) {
	if !sync.valid() {
		return nil, fmt.Errorf("server: input log %s: unknown sync policy %d", path, sync)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("server: input log: %w (choose a new file: a log is never overwritten)", err)
	}
	l := newLogWriter(f, start)
	l.f, l.sync = f, sync
	if err := l.flush(); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// NewLogWriter writes an input log to w, for a world at tick start. Close flushes it; it
// never syncs (w is not a file it knows).
func NewLogWriter(w io.Writer, start uint64) *LogWriter {
	l := newLogWriter(w, start)
	l.sync = SyncOnClose
	return l
}

func newLogWriter(w io.Writer, start uint64) *LogWriter {
	l := &LogWriter{buf: bufio.NewWriterSize(w, 64<<10), start: start, last: start}
	l.record([]any{recHeader, logMagic, logFormat, start})
	return l
}

// Start returns the tick the log starts at.
func (l *LogWriter) Start() uint64 { return l.start }

func (l *LogWriter) record(v []any) error {
	b, err := logEnc.Marshal(v)
	if err != nil {
		return err
	}
	_, err = l.buf.Write(b)
	return err
}

// append writes the inputs delivered before tick (on the loop goroutine).
func (l *LogWriter) append(tick uint64, in []Input) error {
	if l.closed {
		return errors.New("server: input log: closed")
	}
	if tick <= l.last {
		return fmt.Errorf("server: input log: tick %d is not after tick %d", tick, l.last)
	}
	l.last = tick
	if len(in) == 0 {
		return nil
	}
	for _, x := range in {
		if err := l.record([]any{recInput, tick, x.Client, x.Seq, x.Payload}); err != nil {
			return fmt.Errorf("server: input log: %w", err)
		}
	}
	return l.flush()
}

// flush writes buffered records and, with SyncEveryTick, syncs the file.
func (l *LogWriter) flush() error {
	if err := l.buf.Flush(); err != nil {
		return fmt.Errorf("server: input log: %w", err)
	}
	if l.f != nil && l.sync == SyncEveryTick {
		if err := l.f.Sync(); err != nil {
			return fmt.Errorf("server: input log: sync: %w", err)
		}
	}
	return nil
}

// Close writes the end record (the run stopped after tick end), flushes, syncs and closes
// the file. It is safe to call more than once.
func (l *LogWriter) Close(end uint64) error {
	if l.closed {
		return nil
	}
	l.closed = true
	err := l.record([]any{recEnd, end})
	if err == nil {
		err = l.buf.Flush()
	}
	if l.f != nil {
		if err == nil {
			err = l.f.Sync()
		}
		err = errors.Join(err, l.f.Close())
	}
	if err != nil {
		return fmt.Errorf("server: input log: close: %w", err)
	}
	return nil
}

// ---- reading ----

// A LogReader reads an input log, which it treats as untrusted: every record is checked
// (kind, field count, types, ticks in order, payload size) and no record may take more
// than a small bound of memory, whatever lengths the bytes claim.
type LogReader struct {
	dec    *cbor.Decoder
	cr     *capReader
	start  uint64
	last   uint64
	end    uint64
	hasEnd bool
	n      int // records read
}

// LogError reports a bad input log: the record (0 is the header) and what is wrong.
type LogError struct {
	Record int
	Err    error
}

func (e *LogError) Error() string {
	return fmt.Sprintf("server: input log: record %d: %v", e.Record, e.Err)
}
func (e *LogError) Unwrap() error { return e.Err }

var logDec = func() cbor.DecMode {
	dm, err := cbor.DecOptions{MaxNestedLevels: 4, MaxArrayElements: 16, MaxMapPairs: 16,
		IndefLength: cbor.IndefLengthForbidden, DupMapKey: cbor.DupMapKeyEnforcedAPF}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// capReader refuses to read more than max bytes past what the decoder has consumed, so
// that a record claiming a huge length fails instead of being buffered.
type capReader struct {
	r    io.Reader
	read int64
	dec  *cbor.Decoder
	max  int64
}

func (c *capReader) Read(p []byte) (int, error) {
	ahead := c.read - int64(c.dec.NumBytesRead())
	if ahead >= c.max {
		return 0, fmt.Errorf("a record longer than %d bytes", c.max)
	}
	if room := c.max - ahead; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	c.read += int64(n)
	return n, err
}

// ReadLog reads an input log's header from r.
func ReadLog(r io.Reader) (*LogReader, error) {
	cr := &capReader{r: r, max: 2 * maxRecordSize}
	l := &LogReader{cr: cr}
	l.dec = logDec.NewDecoder(cr)
	cr.dec = l.dec
	var rec []any
	if err := l.dec.Decode(&rec); err != nil {
		return nil, &LogError{Record: 0, Err: fmt.Errorf("not an input log: %w", err)}
	}
	if len(rec) != 4 || !isUint(rec[0], recHeader) || rec[1] != logMagic {
		return nil, &LogError{Record: 0, Err: errors.New(`not an input log (no "stackworld-inputs" header)`)}
	}
	if !isUint(rec[2], logFormat) {
		return nil, &LogError{Record: 0, Err: fmt.Errorf("format %v, this program reads format %d", rec[2], logFormat)}
	}
	start, ok := rec[3].(uint64)
	if !ok {
		return nil, &LogError{Record: 0, Err: fmt.Errorf("start tick %v is not a tick", rec[3])}
	}
	l.start, l.last = start, start
	return l, nil
}

func isUint(v any, want uint64) bool { u, ok := v.(uint64); return ok && u == want }

// Start returns the tick the log starts at: a replay starts from a snapshot at this tick
// or later.
func (l *LogReader) Start() uint64 { return l.start }

// End returns the tick the recorded run stopped after, once Next has reached the end
// record; ok is false before, or if the log has none (the process died).
func (l *LogReader) End() (end uint64, ok bool) { return l.end, l.hasEnd }

// Next returns the next input (its Tick the tick it was delivered before), or io.EOF at
// the end of the log.
func (l *LogReader) Next() (Input, error) {
	if l.hasEnd {
		return Input{}, io.EOF
	}
	l.n++
	var rec []any
	if err := l.dec.Decode(&rec); err != nil {
		if errors.Is(err, io.EOF) {
			return Input{}, io.EOF // a log cut short by a crash ends at its last whole record
		}
		return Input{}, &LogError{Record: l.n, Err: err}
	}
	bad := func(format string, a ...any) (Input, error) {
		return Input{}, &LogError{Record: l.n, Err: fmt.Errorf(format, a...)}
	}
	if len(rec) == 0 {
		return bad("an empty record")
	}
	switch {
	case isUint(rec[0], recEnd):
		end, ok := rec[1%len(rec)].(uint64)
		if len(rec) != 2 || !ok || end < l.last {
			return bad("bad end record %v (want [2, tick] with a tick at or after %d)", rec, l.last)
		}
		l.end, l.hasEnd = end, true
		return Input{}, io.EOF
	case !isUint(rec[0], recInput):
		return bad("unknown record kind %v", rec[0])
	case len(rec) != 5:
		return bad("an input record has 5 fields, this one %d", len(rec))
	}
	var in Input
	var ok [4]bool
	in.Tick, ok[0] = rec[1].(uint64)
	in.Client, ok[1] = rec[2].(uint64)
	in.Seq, ok[2] = rec[3].(uint64)
	in.Payload, ok[3] = rec[4].([]byte)
	if ok != [4]bool{true, true, true, true} {
		return bad("an input record is [1, tick, client, seq, payload bytes]; got %T %T %T %T", rec[1], rec[2], rec[3], rec[4])
	}
	if len(in.Payload) > MaxPayload {
		return bad("payload of %d bytes over %d (MaxPayload)", len(in.Payload), MaxPayload)
	}
	if in.Tick <= l.start || in.Tick < l.last {
		return bad("input for tick %d after tick %d (ticks go up, after the start tick %d)", in.Tick, l.last, l.start)
	}
	l.last = in.Tick
	return in, nil
}
