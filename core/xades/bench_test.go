package xades

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/ksefkit/ksefkit/core/authreq"
)

// The targets (one core): ECDSA P-256 ≥ 10 000 signatures/s with ≤ 30 KB
// and ≤ 300 allocations each; RSA-2048 ≥ 90 % of the raw RSA sign rate.
// Compare BenchmarkSign* with BenchmarkRaw*.

func benchmarkSign(b *testing.B, v variant) {
	c := credential(b, v)
	s := signer(b, c)
	doc := request(b, authreq.SubjectCertificate)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Sign(doc, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignECDSAP256(b *testing.B) { benchmarkSign(b, variants[2]) }
func BenchmarkSignRSA2048(b *testing.B)   { benchmarkSign(b, variants[0]) }

func BenchmarkRawECDSAP256(b *testing.B) {
	k := credential(b, variants[2]).Credential.Signer.(*ecdsa.PrivateKey)
	d := sha256.Sum256([]byte("x"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawRSA2048(b *testing.B) {
	k := credential(b, variants[0]).Credential.Signer.(*rsa.PrivateKey)
	d := sha256.Sum256([]byte("x"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyECDSAP256(b *testing.B) {
	c := credential(b, variants[2])
	signed, err := signer(b, c).Sign(request(b, authreq.SubjectCertificate), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r, _ := Verify(signed, VerifyOptions{}); !r.Valid {
			b.Fatal(r.Findings)
		}
	}
}
