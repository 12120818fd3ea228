package batch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/core/symkey"
)

// KSeF's limits of a batch (protocol.md §7, §13).
const (
	MaxPartSize    = 100_000_000   // plaintext bytes per part
	MaxParts       = 50            // parts per batch
	MaxArchiveSize = 5_000_000_000 // plaintext bytes of the whole archive
	MaxInvoices    = 10_000        // invoices per batch session
)

// maxDocument is the most a document is read: KSeF's size limit with
// attachments. A longer one fails its check without being read further.
const maxDocument = invoice.MaxSizeWithAttachment

// packOptions shape the first pass.
type packOptions struct {
	Packing
	// check is the pre-flight check of one document (nil: none, for the
	// packaging benchmarks).
	check       func(doc []byte) error
	skipInvalid bool
	workers     int   // parallel readers and compressors; 0: every core
	maxParts    int   // 0: MaxParts
	maxArchive  int64 // 0: MaxArchiveSize
}

// packed is what the first pass learned: everything POST /sessions/batch
// declares, and the table that makes every part again.
type packed struct {
	Packing
	src     []Document
	docs    []docRec
	members []member
	archive symkey.Digest   // the plaintext archive
	parts   []symkey.Digest // each encrypted part
	invalid []invalidDoc
}

func (p *packed) layout() *layout { return newLayout(p.Packing, p.src, p.docs, p.members) }

// invalidDoc is a document that failed its pre-flight check (or could not
// be read).
type invalidDoc struct {
	index int
	name  string
	err   *errs.Error
}

// checkedDoc is a document read, hashed and checked.
type checkedDoc struct {
	index int
	size  int
	data  []byte // pooled: given back once encoded (or, stored, once written)
	sha   [32]byte
	err   *errs.Error
}

// chunk is the documents of one segment, and then its encoding.
type chunk struct {
	docs []checkedDoc
	out  *bytes.Buffer
	// pieces are the segment's bytes (ZIP: header, data per document;
	// tar.gz: the member), crcs and sizes per document (ZIP).
	pieces [][]byte
	crcs   []uint32
	packed []int64
	// release gives the buffers back once the pieces are written.
	release func()
}

// pack is the first pass: read, hash and check every document, compress
// them on every core, write the segments in order into one stream that is
// hashed, cut into parts and encrypted part by part — and kept nowhere.
// Memory is a few documents and segments per core, whatever the size of
// the batch, plus the table of documents.
func pack(ctx context.Context, key *symkey.Key, docs []Document, o packOptions) (*packed, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := o.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	window := 2 * workers
	var wg sync.WaitGroup
	defer wg.Wait()

	// A: read, hash, check — in parallel, in order.
	indexes := make(chan int)
	wg.Go(func() {
		defer close(indexes)
		for i := range docs {
			select {
			case indexes <- i:
			case <-ctx.Done():
				return
			}
		}
	})
	checked := ordered(ctx, &wg, workers, window, indexes, func() func(int) checkedDoc {
		return func(i int) checkedDoc { return readAndCheck(ctx, i, docs[i], o.check) }
	})

	// B: group the valid documents into segments (one per document in a
	// ZIP; about tarMemberTarget bytes in a tar.gz member). After the
	// first invalid document, unless it is skipped, nothing more is
	// packed, but every document is still checked, to report them all.
	res := &packed{Packing: o.Packing, src: docs, docs: make([]docRec, 0, len(docs))}
	chunks := make(chan *chunk)
	wg.Go(func() {
		defer close(chunks)
		var cur *chunk
		var curSize int64
		send := func() bool {
			if cur == nil {
				return true
			}
			c := cur
			cur, curSize = nil, 0
			select {
			case chunks <- c:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for c := range checked {
			if c.err != nil {
				res.invalid = append(res.invalid, invalidDoc{index: c.index, name: docs[c.index].Name, err: c.err})
				continue
			}
			if len(res.invalid) > 0 && !o.skipInvalid {
				continue
			}
			if cur == nil {
				cur = &chunk{}
			}
			cur.docs = append(cur.docs, c)
			curSize += tarSize(len(c.data))
			if o.Compression == Zip || curSize >= tarMemberTarget {
				if !send() {
					return
				}
			}
		}
		if len(res.invalid) == 0 || o.skipInvalid {
			send()
		}
	})

	// C: encode the segments, in parallel, in order.
	encoded := ordered(ctx, &wg, workers, window, chunks, func() func(*chunk) *chunk {
		e := newEncoder(o.Packing)
		return func(c *chunk) *chunk { encodeChunk(e, docs, c); return c }
	})

	// D: write them out.
	s := newSink(key, o.PartSize, o.maxParts, o.maxArchive, io.Discard)
	finished := false
	defer func() {
		if !finished {
			s.finish()
		}
	}()
	total := int64(len(docs))
	for c := range encoded {
		if err := s.writeSegment(c.pieces, c.release); err != nil {
			cancel()
			return nil, err
		}
		for k, d := range c.docs {
			r := docRec{src: int32(d.index), size: int32(d.size), sha: d.sha}
			if o.Compression == Zip {
				r.crc, r.packed = c.crcs[k], int32(c.packed[k])
			}
			res.docs = append(res.docs, r)
		}
		if o.Compression == TarGz {
			res.members = append(res.members, member{docs: len(c.docs), size: int64(len(c.pieces[0]))})
		}
		last := c.docs[len(c.docs)-1].index
		progress.Report(ctx, progress.Event{Stage: "pack", Done: int64(last + 1), Total: total, Bytes: s.n, Detail: "documents checked and packed, archive bytes"})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, errs.FromContext(err, "packing the batch")
	}
	if len(res.invalid) > 0 && !o.skipInvalid {
		return res, invalidError(res.invalid, len(docs))
	}
	if len(res.docs) == 0 {
		return res, errs.Invalid("documents", "none of the %d documents passed the pre-flight checks; nothing was sent", len(docs))
	}
	l := res.layout()
	if err := l.writeTrailer(s); err != nil {
		return nil, err
	}
	finished = true
	if err := s.finish(); err != nil {
		return nil, err
	}
	if s.n != l.total {
		return nil, errs.New(errs.Internal, "batch: the archive has %d bytes, its layout %d", s.n, l.total)
	}
	res.archive, res.parts = s.digest(), s.parts
	return res, nil
}

// invalidError reports every document that failed its checks.
func invalidError(invalid []invalidDoc, n int) *errs.Error {
	first := invalid[0]
	e := errs.Invalid(first.err.Field, "%d of %d documents failed the pre-flight checks; nothing was sent (skipInvalid sends the others): %s", len(invalid), n, first.err.Message)
	for _, d := range invalid {
		e.Findings = append(e.Findings, d.err.Message)
	}
	return e
}

// readAndCheck reads a document whole (it is at most maxDocument bytes),
// hashes it and checks it.
func readAndCheck(ctx context.Context, i int, d Document, check func([]byte) error) checkedDoc {
	c := checkedDoc{index: i}
	data, err := readDoc(ctx, d)
	if err == nil && check != nil {
		err = check(data)
	}
	if err != nil {
		putDocBuffer(data)
		c.err = prefixField(err, i)
		return c
	}
	c.data, c.size, c.sha = data, len(data), sha256.Sum256(data)
	return c
}

// readDoc reads a whole document, refusing more than maxDocument bytes.
func readDoc(ctx context.Context, d Document) ([]byte, error) {
	rc, err := d.Open(ctx)
	if err != nil {
		return nil, errs.Wrap(errs.CodeOf(err), err, "cannot open the document")
	}
	defer rc.Close()
	data, err := readAll(rc, getDocBuffer(sizeHint(rc)+1), maxDocument+1)
	if err != nil {
		putDocBuffer(data)
		return nil, errs.Wrap(errs.InputInvalid, err, "cannot read the document")
	}
	if len(data) > maxDocument {
		putDocBuffer(data)
		return nil, errs.Invalid("invoice.size", "the document is larger than %d bytes, KSeF's limit for an invoice with attachments", maxDocument)
	}
	return data, nil
}

// sizeHint is the size of what r will yield when r can tell (a file, a
// reader over bytes), else 512.
func sizeHint(r io.Reader) int {
	switch v := r.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() <= maxDocument {
			return int(fi.Size())
		}
	case interface{ Len() int }:
		return min(v.Len(), maxDocument)
	}
	return 512
}

// readAll is io.ReadAll into b (a pooled buffer of the expected size plus
// one byte — the read that sees EOF needs room), at most limit bytes.
func readAll(r io.Reader, b []byte, limit int) ([]byte, error) {
	for len(b) < limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):min(cap(b), limit)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// prefixField points an error at the document it came from, by its
// position (the report pairs it with the name; names are not quoted in
// messages: core/errs, the echo rule).
func prefixField(err error, i int) *errs.Error {
	e := *errs.As(err)
	field := fmt.Sprintf("documents[%d]", i)
	if e.Field != "" {
		field += "." + e.Field
	}
	e.Field = field
	e.Message = fmt.Sprintf("documents[%d]: %s", i, e.Message)
	return &e
}

// encodeChunk makes a segment's bytes; the same code makes them again in
// the second pass (encodeSegment), so both passes agree byte for byte.
func encodeChunk(e *encoder, docs []Document, c *chunk) {
	c.out = buffers.Get().(*bytes.Buffer)
	names := make([]string, len(c.docs))
	data := make([][]byte, len(c.docs))
	for k, d := range c.docs {
		names[k], data[k] = docs[d.index].Name, d.data
		c.docs[k].data = nil
	}
	c.pieces, c.crcs, c.packed = e.segment(c.out, names, data)
	c.release = e.releaser(c.out, data)
}

// releaser gives back a segment's buffers: the documents at once when the
// segment holds copies of them (compressed), else once it is written.
func (e *encoder) releaser(out *bytes.Buffer, data [][]byte) func() {
	if e.p.Level != 0 || e.p.Compression == TarGz {
		for _, d := range data {
			putDocBuffer(d)
		}
		return func() { putBuffer(out) }
	}
	return func() {
		putBuffer(out)
		for _, d := range data {
			putDocBuffer(d)
		}
	}
}

// segment encodes documents as one segment into out.
func (e *encoder) segment(out *bytes.Buffer, names []string, data [][]byte) (pieces [][]byte, crcs []uint32, packed []int64) {
	if e.p.Compression == TarGz {
		e.tarMember(out, names, data)
		return [][]byte{out.Bytes()}, nil, nil
	}
	// One document per ZIP segment: its local header, then its data.
	body, crc := e.zipData(out, data[0])
	ent := zipEntry{name: names[0], crc: crc, size: int64(len(data[0])), packed: int64(len(body)), method: zipMethod(e.p.Level)}
	header := appendZipLocal(make([]byte, 0, zipLocalHeaderLen(names[0])), &ent)
	return [][]byte{header, body}, []uint32{crc}, []int64{ent.packed}
}

// sink takes the archive's bytes in order: it hashes them, cuts them into
// parts of partSize and encrypts each part (with the session key and IV,
// each part padded on its own), hashing the ciphertext, into dst. The
// archive's SHA-256 and the encryption run on two goroutines of their own,
// beside the compressors: each is a pass over every byte, and one
// goroutine doing all three would be the slowest stage of the pipeline.
// Write and writeSegment are called from one goroutine; limits are
// checked there, before anything is queued.
type sink struct {
	partSize   int64
	maxParts   int
	maxArchive int64
	n          int64

	hashQ, encQ chan *piece
	wg          sync.WaitGroup
	archive     hash.Hash
	parts       []symkey.Digest
	encErr      error
}

// piece is bytes on their way to both goroutines; release runs when both
// are done with them.
type piece struct {
	b       []byte
	refs    atomic.Int32
	release func()
}

func (p *piece) done() {
	if p.refs.Add(-1) == 0 && p.release != nil {
		p.release()
	}
}

func newSink(key *symkey.Key, partSize int64, maxParts int, maxArchive int64, dst io.Writer) *sink {
	if maxParts <= 0 {
		maxParts = MaxParts
	}
	if maxArchive <= 0 {
		maxArchive = MaxArchiveSize
	}
	s := &sink{
		partSize: partSize, maxParts: maxParts, maxArchive: maxArchive, archive: sha256.New(),
		hashQ: make(chan *piece, 16), encQ: make(chan *piece, 16),
	}
	s.wg.Go(func() {
		for p := range s.hashQ {
			s.archive.Write(p.b)
			p.done()
		}
	})
	s.wg.Go(func() {
		var cur *symkey.Writer
		var curN int64
		end := func() {
			if s.encErr == nil {
				s.encErr = cur.Close()
			}
			s.parts = append(s.parts, cur.Cipher())
			cur = nil
		}
		for p := range s.encQ {
			b := p.b
			for len(b) > 0 && s.encErr == nil {
				if cur == nil {
					cur, curN = key.NewWriter(dst), 0
				}
				k := min(int64(len(b)), partSize-curN)
				_, s.encErr = cur.Write(b[:k])
				curN += k
				b = b[k:]
				if curN == partSize {
					end()
				}
			}
			p.done()
		}
		if cur != nil {
			end()
		}
	})
	return s
}

// writeSegment queues a segment's pieces; release runs when they are
// hashed and encrypted.
func (s *sink) writeSegment(pieces [][]byte, release func()) error {
	var n int64
	for _, b := range pieces {
		n += int64(len(b))
	}
	if err := s.admit(n); err != nil {
		return err
	}
	for k, b := range pieces {
		p := &piece{b: b}
		if k == len(pieces)-1 {
			p.release = release
		}
		p.refs.Store(2)
		s.hashQ <- p
		s.encQ <- p
	}
	return nil
}

// Write queues a copy of b (the trailer's writer reuses its buffer).
func (s *sink) Write(b []byte) (int, error) {
	if err := s.writeSegment([][]byte{append([]byte(nil), b...)}, nil); err != nil {
		return 0, err
	}
	return len(b), nil
}

// admit checks KSeF's limits for n more bytes.
func (s *sink) admit(n int64) error {
	s.n += n
	if s.n > s.maxArchive {
		return errs.Invalid("documents", "the archive grows beyond %d bytes, KSeF's limit for a batch; send the documents in several batches", s.maxArchive)
	}
	if s.n > int64(s.maxParts)*s.partSize {
		return errs.Invalid("partSize", "the archive needs more than %d parts of %d bytes, KSeF's limit; use larger parts (up to %d bytes) or several batches", s.maxParts, s.partSize, MaxPartSize)
	}
	return nil
}

// finish waits for the goroutines and ends the last part; after it the
// digests are known. It must be called exactly once, also after an error.
func (s *sink) finish() error {
	close(s.hashQ)
	close(s.encQ)
	s.wg.Wait()
	return s.encErr
}

func (s *sink) digest() symkey.Digest {
	var d symkey.Digest
	s.archive.Sum(d.SHA256[:0])
	d.Size = s.n
	return d
}

// ordered maps fn over in with workers goroutines, delivering the results
// in input order with at most window items in flight. newWorker makes the
// function of one worker (so each can own its state, a compressor). The
// goroutines end when in is drained or ctx is done; wg tracks them.
func ordered[T, R any](ctx context.Context, wg *sync.WaitGroup, workers, window int, in <-chan T, newWorker func() func(T) R) <-chan R {
	type job struct {
		item T
		done chan R
	}
	jobs := make(chan job)
	futures := make(chan chan R, window)
	out := make(chan R)
	wg.Go(func() {
		defer close(jobs)
		defer close(futures)
		for item := range in {
			f := make(chan R, 1)
			select {
			case futures <- f:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{item, f}:
			case <-ctx.Done():
				return
			}
		}
	})
	for range workers {
		fn := newWorker()
		wg.Go(func() {
			for j := range jobs {
				j.done <- fn(j.item)
			}
		})
	}
	wg.Go(func() {
		defer close(out)
		for f := range futures {
			select {
			case r := <-f:
				select {
				case out <- r:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	})
	return out
}
