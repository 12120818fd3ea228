package batch

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/symkey"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// generated is a source of n generated FA (3) invoices of about size
// bytes, made on every open (nothing is held).
func generated(tb testing.TB, n, size int) []Document {
	tb.Helper()
	g, err := samples.NewGenerator(samples.Fill{SellerNIP: "5265877635"}, size)
	if err != nil {
		tb.Fatal(err)
	}
	docs := make([]Document, n)
	for i := range docs {
		docs[i] = Document{Name: fmt.Sprintf("faktura-%06d.xml", i+1), Open: func(context.Context) (io.ReadCloser, error) {
			return genReader{g.Reader(i + 1)}, nil
		}}
	}
	return docs
}

type genReader struct{ *samples.InvoiceReader }

func (genReader) Close() error { return nil }

func testKey(tb testing.TB) *symkey.Key {
	k, err := symkey.FromBytes(bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 16))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// assemble makes every part again (the second pass), decrypts it and
// returns the plaintext archive.
func assemble(t *testing.T, key *symkey.Key, p *packed) []byte {
	t.Helper()
	l := p.layout()
	var archive bytes.Buffer
	for i, want := range p.parts {
		ct, err := io.ReadAll(l.partReader(context.Background(), key, i, want))
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		plain, err := key.Open(ct)
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if int64(len(plain)) > p.PartSize {
			t.Fatalf("part %d has %d plaintext bytes, more than %d", i+1, len(plain), p.PartSize)
		}
		archive.Write(plain)
	}
	if sha256.Sum256(archive.Bytes()) != p.archive.SHA256 || int64(archive.Len()) != p.archive.Size {
		t.Fatal("the parts made again do not add up to the archive of the first pass")
	}
	return archive.Bytes()
}

// unpack reads an archive back with the standard library.
func unpack(t *testing.T, c Compression, archive []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	if c == Zip {
		zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			out[f.Name] = b
		}
		return out
	}
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = b
	}
	return out
}

func TestPackAndMakePartsAgain(t *testing.T) {
	docs := generated(t, 300, 4000)
	docs = append(docs, Bytes("zażółć gęślą jaźń — długa nazwa pliku faktury, która wymaga rozszerzeń PAX w archiwum tar i flagi UTF-8 w ZIP.xml", []byte("<x/>")))
	for _, c := range []Compression{Zip, TarGz} {
		for _, level := range []int{0, 1, 6} {
			t.Run(fmt.Sprintf("%s-level%d", c, level), func(t *testing.T) {
				key := testKey(t)
				whole, err := pack(context.Background(), key, docs, packOptions{Packing: Packing{Compression: c, Level: level, PartSize: MaxPartSize}})
				if err != nil {
					t.Fatal(err)
				}
				p, err := pack(context.Background(), key, docs, packOptions{Packing: Packing{Compression: c, Level: level, PartSize: whole.archive.Size/3 + 1}, workers: 1})
				if err != nil {
					t.Fatal(err)
				}
				if whole.archive != p.archive {
					t.Fatal("the archive depends on the part size or on the number of workers")
				}
				if len(p.parts) < 3 {
					t.Fatalf("%d parts; the test wants at least 3", len(p.parts))
				}
				got := unpack(t, c, assemble(t, key, p))
				if len(got) != len(docs) {
					t.Fatalf("%d entries, want %d", len(got), len(docs))
				}
				for _, d := range docs {
					want, _ := readDoc(context.Background(), d)
					if !bytes.Equal(got[d.Name], want) {
						t.Fatalf("%s differs after the round trip", d.Name)
					}
				}
			})
		}
	}
}

// Archives past the 32-bit fields need ZIP64 records; the thresholds are
// lowered so that a small archive has them, and archive/zip must read it.
func TestZip64Records(t *testing.T) {
	defer func(a, e uint64) { zip64Above, zip64Entries = a, e }(zip64Above, zip64Entries)
	zip64Above, zip64Entries = 2000, 10
	var docs []Document
	for i := range 40 {
		docs = append(docs, Bytes(fmt.Sprintf("d%02d.xml", i), bytes.Repeat([]byte{byte('a' + i%26)}, 100+i)))
	}
	key := testKey(t)
	p, err := pack(context.Background(), key, docs, packOptions{Packing: Packing{Compression: Zip, Level: 1, PartSize: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	got := unpack(t, Zip, assemble(t, key, p))
	if len(got) != 40 || !bytes.Equal(got["d39.xml"], bytes.Repeat([]byte{'a' + 39%26}, 139)) {
		t.Fatalf("ZIP64 archive read back wrong: %d entries", len(got))
	}
}

func TestPartThatChangedIsNeverCompleted(t *testing.T) {
	content := []byte("<a>first</a>")
	docs := []Document{
		Bytes("a.xml", bytes.Repeat([]byte("x"), 5000)),
		{Name: "b.xml", Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil }},
	}
	key := testKey(t)
	p, err := pack(context.Background(), key, docs, packOptions{Packing: Packing{Compression: Zip, Level: 1, PartSize: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	content = []byte("<a>other</a>") // same size, other bytes
	l := p.layout()
	_, err = io.ReadAll(l.partReader(context.Background(), key, 0, p.parts[0]))
	if e := errs.As(err); e == nil || e.Code != errs.InputInvalid || e.Field != "documents[1]" {
		t.Fatalf("a document changed between the passes: %v", err)
	}
	// A declared digest that does not match: the last block is held back.
	bad := p.parts[0]
	bad.SHA256[0] ^= 1
	content = []byte("<a>first</a>")
	var got bytes.Buffer
	_, err = io.Copy(&got, l.partReader(context.Background(), key, 0, bad))
	if err == nil || int64(got.Len()) != p.parts[0].Size-16 {
		t.Fatalf("a part that differs from its declaration: %d of %d bytes out, err %v", got.Len(), p.parts[0].Size, err)
	}
}

func TestPackLimits(t *testing.T) {
	docs := generated(t, 60, 3000)
	key := testKey(t)
	_, err := pack(context.Background(), key, docs, packOptions{Packing: Packing{Compression: Zip, Level: 0, PartSize: 1000}})
	if e := errs.As(err); e == nil || e.Code != errs.InputInvalid || e.Field != "partSize" {
		t.Fatalf("more than 50 parts: %v", err)
	}
	_, err = pack(context.Background(), key, docs, packOptions{Packing: Packing{Compression: Zip, Level: 0, PartSize: 100_000}, maxArchive: 50_000})
	if e := errs.As(err); e == nil || e.Code != errs.InputInvalid || e.Field != "documents" {
		t.Fatalf("an archive over the limit: %v", err)
	}
}
