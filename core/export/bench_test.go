package export

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/symkey"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/core/transport/nethttp"
)

// fakeStorage serves encrypted parts the way KSeF's storage does (a plain
// GET, x-ms-meta-hash), from memory.
type fakeStorage struct {
	parts map[string][]byte
}

func (s *fakeStorage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := s.parts[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(b)
	w.Header().Set("x-ms-meta-hash", base64.StdEncoding.EncodeToString(sum[:]))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// invoiceLike is text shaped like an FA (3) invoice line block that
// compresses as invoices do (~8:1 with Deflate), or not at all.
func invoiceLike(n int, compressible bool) []byte {
	if !compressible {
		b := make([]byte, n)
		rand.Read(b)
		return b
	}
	var sb strings.Builder
	for i := 0; sb.Len() < n; i++ {
		fmt.Fprintf(&sb, "<FaWiersz><NrWierszaFa>%d</NrWierszaFa><P_7>Usługa testowa nr %d</P_7><P_8A>szt.</P_8A><P_8B>%d</P_8B><P_9A>%d.%02d</P_9A><P_11>%d.00</P_11><P_12>23</P_12></FaWiersz>\n", i, i%977, i%9+1, 10+i%50, i%100, (i%9+1)*(10+i%50))
	}
	return []byte(sb.String()[:n])
}

// buildPackage makes a ZIP of count invoices of size bytes (and a small
// _metadata.json), split into parts of partSize and encrypted with key,
// served by a fake storage; it returns the package and its size.
func buildPackage(tb testing.TB, key *symkey.Key, count, size, partSize int, method uint16, compressible bool) (*Package, int64, func()) {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	body := invoiceLike(size, compressible)
	for i := range count {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("5265877635-20260101-%012X-00.xml", i), Method: method})
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(body)
	}
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: MetadataFile, Method: zip.Deflate})
	w.Write([]byte(`{"invoices":[]}`))
	zw.Close()
	plain := buf.Bytes()
	st := &fakeStorage{parts: map[string][]byte{}}
	srv := httptest.NewServer(st)
	var parts []api.InvoicePackagePart
	for i, off := 1, 0; off < len(plain); i++ {
		end := min(off+partSize, len(plain))
		s := key.Seal(plain[off:end])
		name := fmt.Sprintf("/part-%03d", i)
		st.parts[name] = s.Ciphertext
		parts = append(parts, api.InvoicePackagePart{OrdinalNumber: i, URL: srv.URL + name, PartSize: s.Plain.Size, PartHash: s.Plain.Base64(),
			EncryptedPartSize: s.Cipher.Size, EncryptedPartHash: s.Cipher.Base64()})
		off = end
	}
	a := &api.Client{BaseURL: srv.URL, Sender: &transport.Sender{Doer: nethttp.New(nethttp.Options{}), Clock: transport.SystemClock{}}}
	x := New(Config{API: a, TempDir: tb.TempDir()})
	p := &Package{e: &Export{x: x, ref: "20260101-EH-BENCH00000-0000000000-00", key: key}, Info: api.InvoicePackage{InvoiceCount: count, Size: int64(len(plain)), Parts: parts}, ExpiresAt: time.Now().Add(time.Hour)}
	return p, int64(len(plain)), srv.Close
}

// BenchmarkExportDecryptUnzip: a package of 64 MB in 50 MB parts over
// loopback HTTP — download, both hashes of every part, AES-256-CBC
// decryption, the spool, and every entry read back through archive/zip.
// Bytes are the package's (decrypted ZIP) bytes: MB/s is package
// throughput. Store: entries as KSeF's 1 GB limit counts them when they do
// not compress; Deflate: invoices as they are (~8:1), where inflating
// dominates — its invoice (uncompressed) throughput is reported as inv-MB/s.
func BenchmarkExportDecryptUnzip(b *testing.B) {
	key, err := symkey.New()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name         string
		method       uint16
		compressible bool
		count, size  int
	}{
		{"Store", zip.Store, false, 6400, 10_000},
		{"Deflate", zip.Deflate, true, 6400, 80_000},
	} {
		b.Run(c.name, func(b *testing.B) {
			p, size, stop := buildPackage(b, key, c.count, c.size, 50_000_000, c.method, c.compressible)
			defer stop()
			b.SetBytes(size)
			b.ResetTimer()
			var xml int64
			for range b.N {
				a, err := p.Open(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				xml = 0
				for _, name := range a.Names() {
					rc, _, err := a.Open(name)
					if err != nil {
						b.Fatal(err)
					}
					n, err := io.Copy(io.Discard, rc)
					rc.Close()
					if err != nil {
						b.Fatal(err)
					}
					xml += n
				}
				a.Close()
			}
			b.ReportMetric(float64(xml)*float64(b.N)/b.Elapsed().Seconds()/1e6, "inv-MB/s")
		})
	}
}

// BenchmarkExportDecrypt is the download and decryption alone (WriteTo a
// discarding writer): what the pipeline costs before the spool and ZIP.
func BenchmarkExportDecrypt(b *testing.B) {
	key, _ := symkey.New()
	p, size, stop := buildPackage(b, key, 6400, 10_000, 50_000_000, zip.Store, false)
	defer stop()
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		if _, err := p.WriteTo(b.Context(), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
