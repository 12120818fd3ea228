package batch

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"math/bits"
	"sync"
)

// Pools of what every document and segment needs, so that a batch of
// 100 000 invoices recycles a few dozen buffers and compressors instead of
// allocating (and the collector chasing) one of each per document: the
// heap then stays at the batch's table and the work in flight.

// docBuffers holds document buffers by size class: capacities 2^k from
// 16 KiB (class 0) up.
var docBuffers [10]sync.Pool

const minDocClass = 14

func docClass(n int) int {
	if n <= 1<<minDocClass {
		return 0
	}
	return bits.Len(uint(n-1)) - minDocClass
}

// getDocBuffer is an empty buffer with room for at least n bytes.
func getDocBuffer(n int) []byte {
	c := docClass(n)
	if c >= len(docBuffers) {
		return make([]byte, 0, n)
	}
	if b, ok := docBuffers[c].Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, 1<<(c+minDocClass))
}

// putDocBuffer gives a buffer back; b must not be used afterwards.
func putDocBuffer(b []byte) {
	if cap(b) < 1<<minDocClass {
		return
	}
	c := bits.Len(uint(cap(b))) - 1 - minDocClass // the class whose every request it can hold
	if c < len(docBuffers) {
		b = b[:0]
		docBuffers[c].Put(&b)
	}
}

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBuffer(b *bytes.Buffer) {
	if b != nil && b.Cap() <= 8<<20 {
		b.Reset()
		buffers.Put(b)
	}
}

// Compressors by level (0–9): a Deflate compressor is about 1 MB of
// tables and windows, reused through Reset.
var flateWriters, gzipWriters [10]sync.Pool

func getFlate(level int, out *bytes.Buffer) *flate.Writer {
	if w, ok := flateWriters[level].Get().(*flate.Writer); ok {
		w.Reset(out)
		return w
	}
	w, _ := flate.NewWriter(out, level)
	return w
}

func putFlate(level int, w *flate.Writer) { flateWriters[level].Put(w) }

func getGzip(level int, out *bytes.Buffer) *gzip.Writer {
	if w, ok := gzipWriters[level].Get().(*gzip.Writer); ok {
		w.Reset(out)
		return w
	}
	w, _ := gzip.NewWriterLevel(out, level)
	return w
}

func putGzip(level int, w *gzip.Writer) { gzipWriters[level].Put(w) }
