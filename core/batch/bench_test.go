package batch

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/invoice"
)

// The packaging benchmarks: the first pass (read, zip or tar.gz, split,
// encrypt, hash) over 64 MB of generated 10 KB FA (3) invoices on every
// core, MB/s of input. "Checked" adds the pre-flight checks of every
// document (invoice.Check), which a real batch runs in the same pass.
// BenchmarkMakePartsAgain is the second pass (every part made again,
// encrypted, verified) that the uploads run; BenchmarkSpoolParts what a
// spool of encrypted parts on disk would cost instead (write + read back).

const benchBytes = 64 << 20

func benchDocs(b *testing.B) []Document { return generated(b, benchBytes/10_000, 10_000) }

func inputBytes(b *testing.B, docs []Document) int64 {
	var n int64
	for _, d := range docs {
		data, _ := readDoc(context.Background(), d)
		n += int64(len(data))
	}
	return n
}

func benchmarkPack(b *testing.B, c Compression, level int, check bool) {
	docs := benchDocs(b)
	key := testKey(b)
	o := packOptions{Packing: Packing{Compression: c, Level: level, PartSize: MaxPartSize}}
	if check {
		now := time.Now()
		o.check = func(doc []byte) error {
			_, err := invoice.Check(doc, invoice.CheckOptions{Now: now})
			return err
		}
	}
	b.SetBytes(inputBytes(b, docs))
	var p *packed
	for b.Loop() {
		var err error
		if p, err = pack(context.Background(), key, docs, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.archive.Size)/float64(inputBytes(b, docs))*100, "%size")
}

func BenchmarkPackZipStore(b *testing.B)    { benchmarkPack(b, Zip, 0, false) }
func BenchmarkPackZipDeflate1(b *testing.B) { benchmarkPack(b, Zip, 1, false) }
func BenchmarkPackZipDeflate6(b *testing.B) { benchmarkPack(b, Zip, 6, false) }
func BenchmarkPackTarGz1(b *testing.B)      { benchmarkPack(b, TarGz, 1, false) }
func BenchmarkPackTarGz6(b *testing.B)      { benchmarkPack(b, TarGz, 6, false) }
func BenchmarkPackZipStoreChecked(b *testing.B) {
	benchmarkPack(b, Zip, 0, true)
}
func BenchmarkPackZipDeflate1Checked(b *testing.B) { benchmarkPack(b, Zip, 1, true) }

func benchmarkMakePartsAgain(b *testing.B, c Compression, level int) {
	docs := benchDocs(b)
	key := testKey(b)
	p, err := pack(context.Background(), key, docs, packOptions{Packing: Packing{Compression: c, Level: level, PartSize: 16 << 20}})
	if err != nil {
		b.Fatal(err)
	}
	l := p.layout()
	b.SetBytes(inputBytes(b, docs))
	for b.Loop() {
		for i, want := range p.parts {
			if _, err := io.Copy(io.Discard, l.partReader(context.Background(), key, i, want)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(p.parts)), "parts")
}

func BenchmarkMakePartsAgainZipDeflate1(b *testing.B) { benchmarkMakePartsAgain(b, Zip, 1) }
func BenchmarkMakePartsAgainZipStore(b *testing.B)    { benchmarkMakePartsAgain(b, Zip, 0) }

// BenchmarkSpoolParts writes 64 MB of encrypted parts to a temporary
// directory and reads them back: the alternative to making parts again.
func BenchmarkSpoolParts(b *testing.B) {
	dir := b.TempDir()
	chunk := make([]byte, 1<<20)
	b.SetBytes(benchBytes)
	for b.Loop() {
		for part := range 4 {
			name := filepath.Join(dir, fmt.Sprintf("part-%d", part))
			f, err := os.Create(name)
			if err != nil {
				b.Fatal(err)
			}
			for range benchBytes / 4 / len(chunk) {
				f.Write(chunk)
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			f.Close()
			f, _ = os.Open(name)
			io.Copy(io.Discard, f)
			f.Close()
			os.Remove(name)
		}
	}
}
