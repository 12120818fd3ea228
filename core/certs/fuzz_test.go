package certs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
)

// FuzzLoad feeds arbitrary bytes to Load. Without -fuzz only the seed corpus
// (every fixture in several roles) runs. Load must never panic and must fail
// only with *errs.Error.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil || filepath.Ext(p) == ".sh" {
			continue
		}
		f.Add(b, []byte(nil), []byte(fixturePassword))
		f.Add(fixture(f, "ec.crt.pem"), b, []byte(fixturePassword))
		if len(b) > 40 {
			f.Add(b[:len(b)/2], b[len(b)/2:], []byte("x"))
		}
	}
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"), []byte(nil), []byte("pw"))
	f.Fuzz(func(t *testing.T, cert, key, password []byte) {
		c, err := Load(cert, key, password)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is %T, not *errs.Error", err, err)
			}
			return
		}
		if c.Certificate == nil || c.Signer == nil {
			t.Fatal("nil certificate or signer without an error")
		}
		_ = Inspect(c.Certificate)
	})
}

// FuzzParseCertificate: a certificate on its own (certs.inspect,
// xades.verify's KeyInfo) — PEM, PEM bundles or DER — is a typed error or a
// certificate Inspect can describe. Seeds: every fixture, plus
// testdata/fuzz/FuzzParseCertificate.
func FuzzParseCertificate(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && filepath.Ext(p) != ".sh" {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCertificate(data)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is %T, not *errs.Error", err, err)
			}
			return
		}
		_ = Inspect(c)
	})
}
