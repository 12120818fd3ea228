package invoice

import (
	"bytes"
	"testing"
)

// sized grows the FA(3) sample to about size bytes by repeating its first
// invoice line, as a real invoice grows.
func sized(tb testing.TB, size int) []byte {
	doc := fa3(tb)
	start := bytes.Index(doc, []byte("<FaWiersz>"))
	end := bytes.Index(doc, []byte("</FaWiersz>")) + len("</FaWiersz>")
	row := append([]byte("\n\t\t"), doc[start:end]...)
	var rows []byte
	for len(doc)+len(rows)+len(row) <= size {
		rows = append(rows, row...)
	}
	out := append([]byte{}, doc[:end]...)
	out = append(out, rows...)
	return append(out, doc[end:]...)
}

func benchmarkCheck(b *testing.B, size int) {
	doc := sized(b, size)
	if _, err := Check(doc, CheckOptions{Now: now}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(doc, CheckOptions{Now: now}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck10KB: the client's budget is 100 µs of CPU per 10 KB
// invoice for the whole send; the pre-flight check must be a small part.
func BenchmarkCheck10KB(b *testing.B) { benchmarkCheck(b, 10_000) }
func BenchmarkCheck1MB(b *testing.B)  { benchmarkCheck(b, 999_000) }

func BenchmarkScan1MB(b *testing.B) {
	doc := sized(b, 999_000)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		scan(doc, 0, nopHandler{})
	}
}

func BenchmarkScanChars1MB(b *testing.B) {
	doc := sized(b, 999_000)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		scanChars(doc)
	}
}
