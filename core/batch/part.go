package batch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/symkey"
)

// The second pass: a part is made again from its documents when it is
// uploaded (and again for every retry of its upload, and in a resumed
// batch), so the archive is never held or stored. Only the segments that
// overlap the part are made — about one part's worth of compression, not
// the archive up to it — and every document is checked against the size
// and SHA-256 it had when the batch was packed.

// writeRange writes the archive's bytes [from, to) to w.
func (l *layout) writeRange(ctx context.Context, e *encoder, w io.Writer, from, to int64) error {
	out := buffers.Get().(*bytes.Buffer)
	defer putBuffer(out)
	win := &window{w: w, from: from, to: to}
	n := l.segments()
	j := sort.Search(n, func(k int) bool { return l.offsets[k+1] > from })
	for ; j < n && l.offsets[j] < to; j++ {
		if err := ctx.Err(); err != nil {
			return errs.FromContext(err, "making a batch part")
		}
		out.Reset()
		pieces, release, err := l.remake(ctx, e, out, j)
		if err != nil {
			return err
		}
		win.pos = l.offsets[j]
		for _, p := range pieces {
			if _, err = win.Write(p); err != nil {
				break
			}
		}
		release()
		if err != nil {
			return err
		}
	}
	if to > l.trailer() {
		win.pos = l.trailer()
		return l.writeTrailer(win)
	}
	return nil
}

// remake encodes a segment again and checks that it came out as before.
func (l *layout) remake(ctx context.Context, e *encoder, out *bytes.Buffer, j int) ([][]byte, func(), error) {
	first, count, _, size := l.segment(j)
	names := make([]string, count)
	data := make([][]byte, count)
	for k := range count {
		d := &l.docs[first+k]
		doc := l.src[d.src]
		b, err := readDoc(ctx, doc)
		if err != nil {
			return nil, nil, prefixField(err, int(d.src))
		}
		if len(b) != int(d.size) || sha256Of(b) != d.sha {
			putDocBuffer(b)
			return nil, nil, errs.Invalid(fmt.Sprintf("documents[%d]", d.src), "documents[%d] changed since the batch was packed (it had %d bytes, SHA-256 %s); the batch's parts are declared and cannot change: restore the document, or send it in a new batch", d.src, d.size, b64(d.sha[:]))
		}
		names[k], data[k] = doc.Name, b
	}
	pieces, crcs, packed := e.segment(out, names, data)
	release := e.releaser(nil, data) // out is the caller's
	var n int64
	for _, p := range pieces {
		n += int64(len(p))
	}
	same := n == size
	for k := range crcs {
		d := &l.docs[first+k]
		same = same && crcs[k] == d.crc && packed[k] == int64(d.packed)
	}
	if !same {
		release()
		return nil, nil, errs.New(errs.Internal, "batch: the segment of documents %d–%d came out %d bytes long this time, %d when the batch was packed: the compressor is not the one that packed it (another ksefkit build?); the batch cannot be completed — send its documents in a new batch", first, first+count-1, n, size)
	}
	return pieces, release, nil
}

// window passes on the bytes of a stream positioned at pos that fall in
// [from, to).
type window struct {
	w        io.Writer
	pos      int64
	from, to int64
}

func (v *window) Write(p []byte) (int, error) {
	n := len(p)
	start, end := v.pos, v.pos+int64(n)
	v.pos = end
	lo, hi := max(start, v.from), min(end, v.to)
	if lo < hi {
		if _, err := v.w.Write(p[lo-start : hi-start]); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// partReader makes part i (0-based) of the archive, encrypted, as a
// stream: the body of its upload. The last AES block is held back until
// the whole part's SHA-256 is known to match the one declared to KSeF, so
// a part that came out differently never completes its upload (the
// storage keeps a blob only when every declared byte arrived).
func (l *layout) partReader(ctx context.Context, key *symkey.Key, i int, want symkey.Digest) io.ReadCloser {
	pr, pw := io.Pipe()
	from := int64(i) * l.p.PartSize
	to := min(from+l.p.PartSize, l.total)
	go func() {
		hold := &holdback{w: pw}
		enc := key.NewWriter(hold)
		err := l.writeRange(ctx, newEncoder(l.p), enc, from, to)
		if err == nil {
			err = enc.Close()
		}
		if err == nil && enc.Cipher() != want {
			err = errs.New(errs.Internal, "batch: part %d came out with SHA-256 %s, %s was declared; not uploaded", i+1, enc.Cipher().Base64(), want.Base64())
		}
		if err == nil {
			err = hold.flush()
		}
		pw.CloseWithError(err) // nil: the reader sees io.EOF
	}()
	return pr
}

// holdback passes on everything written but the last 16 bytes, until
// flush.
type holdback struct {
	w    io.Writer
	held [symkey.IVSize]byte
	n    int
}

func (h *holdback) Write(p []byte) (int, error) {
	n := len(p)
	if h.n+len(p) <= len(h.held) {
		h.n += copy(h.held[h.n:], p)
		return n, nil
	}
	keep := min(len(p), len(h.held))
	if emit := h.n - (len(h.held) - keep); emit > 0 {
		if _, err := h.w.Write(h.held[:emit]); err != nil {
			return 0, err
		}
		h.n = copy(h.held[:], h.held[emit:h.n])
	}
	if _, err := h.w.Write(p[:len(p)-keep]); err != nil {
		return 0, err
	}
	h.n += copy(h.held[h.n:], p[len(p)-keep:])
	return n, nil
}

func (h *holdback) flush() error {
	_, err := h.w.Write(h.held[:h.n])
	h.n = 0
	return err
}
