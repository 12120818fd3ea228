package step

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/ksefkit/ksefkit/core/errs"
)

// StreamAnswer is the host's answer to open, read, create, write, list
// and close events.
type StreamAnswer struct {
	// Offset: read — where the bytes beside the answer start; write — the
	// bytes written so far.
	Offset *int64 `json:"offset,omitempty"`
	// EOF: read — nothing follows the bytes beside the answer.
	EOF bool `json:"eof,omitempty"`
	// Size: open — the file's size.
	Size *int64 `json:"size,omitempty"`
	// Names: list — the regular files directly in the directory.
	Names    []string `json:"names,omitempty"`
	Error    string   `json:"error,omitempty"`
	Timeout  bool     `json:"timeout,omitempty"`
	NotFound bool     `json:"notFound,omitempty"`
}

// failure is the error of a stream the host reported failing: a file
// error for files (so fs.ErrNotExist and friends work), a transport error
// for response bodies.
type failure func(op string, a *StreamAnswer) error

func fileFailure(path string) failure {
	return func(op string, a *StreamAnswer) error {
		if a.NotFound {
			return &fs.PathError{Op: op, Path: path, Err: fs.ErrNotExist}
		}
		return &fs.PathError{Op: op, Path: path, Err: fmt.Errorf("host reported: %s", a.Error)}
	}
}

func bodyFailure(route string) failure {
	return func(_ string, a *StreamAnswer) error {
		if a.Timeout {
			return errs.New(errs.Timeout, "%s: host reported a timeout while reading the body: %s", route, a.Error)
		}
		return errs.New(errs.Transport, "%s: host reported while reading the body: %s", route, a.Error)
	}
}

// answer decodes a stream answer, turning a reported failure into fail's
// error. Bytes beside it are allowed only where want says so.
func decodeAnswer(r reply, what string, wantData bool, fail failure) (*StreamAnswer, error) {
	var a StreamAnswer
	if err := json.Unmarshal(r.answer, &a); err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "host answer to a %s event", what)
	}
	if !wantData && len(r.data) > 0 {
		return nil, errs.New(errs.InputInvalid, "the host answered a %s event with %d bytes beside the JSON; none belong there", what, len(r.data))
	}
	if a.Error != "" || a.NotFound {
		return nil, fail(what, &a)
	}
	return &a, nil
}

// hostReader reads a stream the host holds — a response body, a file —
// with read events of at most MaxChunk bytes, checking that every chunk
// starts where the last ended.
type hostReader struct {
	op   *operation
	ctx  context.Context // reads end with it
	id   uint64
	size int64 // -1: unknown
	fail failure

	off    int64  // bytes received
	buf    []byte // received, not yet read
	eof    bool
	err    error
	closed bool
}

func newHostReader(ctx context.Context, op *operation, id uint64, size int64, fail failure) *hostReader {
	return &hostReader{op: op, ctx: ctx, id: id, size: size, fail: fail}
}

func (r *hostReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("read of a closed host stream")
	}
	if len(p) == 0 {
		return 0, nil
	}
	if len(r.buf) == 0 && !r.eof && r.err == nil {
		r.err = r.fill()
	}
	if len(r.buf) > 0 {
		n := copy(p, r.buf)
		r.buf = r.buf[n:]
		return n, nil
	}
	if r.err != nil {
		return 0, r.err
	}
	return 0, io.EOF
}

// fill asks the host for the next chunk. The bytes of the answer are the
// engine's to give (ResumeData), so they are kept as they are.
func (r *hostReader) fill() error {
	limit := MaxChunk
	if r.size >= 0 {
		if r.off >= r.size {
			// A file ends at the size its open answer stated: asking the
			// host only to hear eof would cost a round trip per file.
			r.eof = true
			return nil
		}
		limit = int(min(int64(MaxChunk), r.size-r.off))
	}
	data, eof, err := readChunk(r.ctx, r.op, r.id, r.off, limit, r.fail)
	if err != nil {
		return err
	}
	r.off += int64(len(data))
	r.buf, r.eof = data, eof
	return nil
}

// readChunk asks the host for up to limit bytes of stream id at offset at,
// and checks that they start there and fit; no bytes come only with eof.
func readChunk(ctx context.Context, op *operation, id uint64, at int64, limit int, fail failure) ([]byte, bool, error) {
	a, err := op.ask(ctx, event{Kind: "read", Stream: id, Offset: offset(at), Max: limit}, nil)
	if err != nil {
		return nil, false, errs.FromContext(err, "reading a stream of the host")
	}
	ans, err := decodeAnswer(a, "read", true, fail)
	if err != nil {
		return nil, false, err
	}
	switch {
	case ans.Offset == nil || *ans.Offset != at:
		return nil, false, errs.New(errs.InputInvalid, "the host answered a read at offset %d with bytes from another offset (a chunk lost or repeated)", at)
	case len(a.data) > limit:
		return nil, false, errs.New(errs.InputInvalid, "the host answered a read of at most %d bytes with %d", limit, len(a.data))
	case len(a.data) == 0 && !ans.EOF:
		return nil, false, errs.New(errs.InputInvalid, "the host answered a read with no bytes and no eof")
	}
	return a.data, ans.EOF, nil
}

// Len is what is left to read when the size is known (a file): readers
// size their buffers by it.
func (r *hostReader) Len() int {
	if r.size < 0 {
		return 512
	}
	return int(max(r.size-r.off, 0)) + len(r.buf)
}

// Close tells the host to drop the stream (a response body not read to
// its end is aborted).
func (r *hostReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed, r.buf = true, nil
	r.op.tell(event{Kind: "close", Stream: r.id})
	return nil
}

// hostWriter writes a file the host creates, in write events of at most
// MaxChunk bytes.
type hostWriter struct {
	op   *operation
	ctx  context.Context
	id   uint64
	fail failure

	buf    []byte
	off    int64 // bytes the host has written
	err    error
	closed bool
}

func (w *hostWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errors.New("write to a closed host stream")
	}
	n := 0
	for w.err == nil && len(p) > 0 {
		k := min(len(p), MaxChunk-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(w.buf) == MaxChunk {
			w.err = w.flush()
		}
	}
	return n, w.err
}

func (w *hostWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	a, err := w.op.ask(w.ctx, event{Kind: "write", Stream: w.id, Offset: offset(w.off)}, w.buf)
	if err != nil {
		return errs.FromContext(err, "writing a file of the host")
	}
	ans, err := decodeAnswer(a, "write", false, w.fail)
	if err != nil {
		return err
	}
	if want := w.off + int64(len(w.buf)); ans.Offset == nil || *ans.Offset != want {
		return errs.New(errs.InputInvalid, "the host answered a write ending at %d with another offset (a chunk lost or repeated)", want)
	}
	w.off += int64(len(w.buf))
	w.buf = w.buf[:0]
	return nil
}

// Close writes what is buffered and closes the file; an error of either
// (the host could not flush it) is the file's.
func (w *hostWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err == nil {
		w.err = w.flush()
	}
	a, err := w.op.ask(w.op.ctx, event{Kind: "close", Stream: w.id}, nil)
	if w.err != nil {
		return w.err
	}
	if err != nil {
		return errs.FromContext(err, "closing a file of the host")
	}
	_, w.err = decodeAnswer(a, "close", false, w.fail)
	return w.err
}

// hostSpool is a scratch file of the host: written like a created file
// (write events), read at any offset (read events), cut back by stating a
// lower offset in the next write. Safe for concurrent use.
type hostSpool struct {
	mu sync.Mutex
	w  hostWriter
}

func (s *hostSpool) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Truncate makes the next write go to size; the host cuts the file there
// when that write states the offset.
func (s *hostSpool) Truncate(size int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w.err != nil {
		return s.w.err
	}
	if size > s.w.off+int64(len(s.w.buf)) {
		return errs.New(errs.Internal, "a spool cannot grow by truncation")
	}
	if keep := size - s.w.off; keep >= 0 {
		s.w.buf = s.w.buf[:keep] // still buffered: nothing to tell the host
		return nil
	}
	s.w.buf, s.w.off = s.w.buf[:0], size
	return nil
}

// ReadAt reads what was written (buffered writes are flushed first), in
// read events of at most MaxChunk bytes at the offsets asked.
func (s *hostSpool) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w.closed {
		return 0, errors.New("read of a closed host spool")
	}
	if s.w.err == nil {
		s.w.err = s.w.flush()
	}
	if s.w.err != nil {
		return 0, s.w.err
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= s.w.off {
			return n, io.EOF
		}
		limit := int(min(int64(len(p)-n), int64(MaxChunk), s.w.off-at))
		data, _, err := readChunk(s.w.ctx, s.w.op, s.w.id, at, limit, s.w.fail)
		if err != nil {
			return n, err
		}
		if len(data) == 0 {
			return n, errs.New(errs.InputInvalid, "the host answered a read of its spool at %d with no bytes, though %d were written", at, s.w.off)
		}
		n += copy(p[n:], data)
	}
	return n, nil
}

// Close drops the spool (the host deletes it).
func (s *hostSpool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w.closed {
		return nil
	}
	s.w.closed = true
	s.w.op.tell(event{Kind: "close", Stream: s.w.id})
	return nil
}
