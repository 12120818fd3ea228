package export

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
)

const fuzzNumber = "5265877635-20260115-0A1B2C3D4E5F-7A"

// fuzzPackage builds a package with _metadata.json = meta and one invoice
// file = xml, as a KSeF export would.
func fuzzPackage(meta, xml []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(MetadataFile)
	w.Write(meta)
	w, _ = zw.Create(fuzzNumber + ".xml")
	w.Write(xml)
	zw.Close()
	return buf.Bytes()
}

// FuzzArchive: whatever a decrypted package holds — bytes that are no ZIP,
// a ZIP with any _metadata.json and any invoice file — opening it and
// walking its documents ends in documents or a typed error, never a panic
// or an untyped error, and every document yielded with XML hashes to its
// record's invoiceHash. With raw empty the package is built from meta and
// xml, so the fuzzer reaches the metadata decoder instead of spending
// itself on ZIP headers.
func FuzzArchive(f *testing.F) {
	xml := []byte("<Faktura/>")
	sum := sha256.Sum256(xml)
	good := `{"invoices":[{"ksefNumber":"` + fuzzNumber + `","invoiceHash":"` + base64.StdEncoding.EncodeToString(sum[:]) + `"}]}`
	f.Add([]byte(nil), []byte(good), xml, false)
	f.Add([]byte(nil), []byte(good), []byte("<Faktura>tampered</Faktura>"), false)
	f.Add([]byte(nil), []byte(`{"other":1,"invoices":[{"ksefNumber":"../x"}]}`), xml, true)
	f.Add([]byte(nil), []byte(`{"invoices":[`), xml, false)
	f.Add(fuzzPackage([]byte(good), xml)[:40], []byte(nil), []byte(nil), false)
	f.Add([]byte("PK\x05\x06"+string(make([]byte, 18))), []byte(nil), []byte(nil), false)
	f.Fuzz(func(t *testing.T, raw, meta, xml []byte, metadataOnly bool) {
		pkg := raw
		if len(pkg) == 0 {
			pkg = fuzzPackage(meta, xml)
		}
		spool, err := os.CreateTemp(t.TempDir(), "pkg-*.zip")
		if err != nil {
			t.Fatal(err)
		}
		spool.Write(pkg)
		typed := func(what string, err error) {
			if e := (*errs.Error)(nil); !errors.As(err, &e) || e.Code == "" || e.Message == "" {
				t.Fatalf("%s: %v (%T) is not a typed error", what, err, err)
			}
		}
		a, err := openSpool("20260115-EX-FUZZ", spool, int64(len(pkg)), metadataOnly)
		if err != nil {
			typed("open", err)
			return
		}
		defer a.Close()
		for d, err := range a.Documents() {
			if err != nil {
				typed("documents", err)
				break
			}
			if d.XML != nil {
				sum := sha256.Sum256(d.XML)
				if base64.StdEncoding.EncodeToString(sum[:]) != d.Metadata.InvoiceHash {
					t.Fatalf("%s yielded with XML that does not hash to its invoiceHash", d.Metadata.KSeFNumber)
				}
			}
		}
		for name := range a.byName {
			if rc, _, err := a.Open(name); err != nil {
				typed("open "+name, err)
			} else {
				rc.Close()
			}
		}
	})
}
