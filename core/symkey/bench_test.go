package symkey

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// The send path's crypto stage: SHA-256 of the invoice, AES-256-CBC, SHA-256
// of the ciphertext (target ≥ 300 MB/s native on 10 KB–1 MB documents).
func BenchmarkSeal(b *testing.B) {
	k := fixed(b)
	for _, size := range []int{10 << 10, 100 << 10, 1 << 20} {
		plain := bytes.Repeat([]byte("<P_2>FV/1</P_2>"), size/15+1)[:size]
		b.Run(byteSize(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				_ = k.Seal(plain)
			}
		})
	}
}

// Streaming decryption with both digests, as export parts are read.
func BenchmarkReader(b *testing.B) {
	k := fixed(b)
	ct := k.Seal(bytes.Repeat([]byte("x"), 8<<20)).Ciphertext
	b.SetBytes(int64(len(ct)))
	b.ReportAllocs()
	for b.Loop() {
		r := k.NewReader(bytes.NewReader(ct))
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

func byteSize(n int) string { return fmt.Sprintf("%dKB", n>>10) }
