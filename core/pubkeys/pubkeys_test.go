package pubkeys

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
)

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func makeCert(t *testing.T, key *rsa.PrivateKey, from, to time.Time, usage ...string) api.PublicKeyCertificate {
	t.Helper()
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"}, NotBefore: from, NotAfter: to}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := ID(&key.PublicKey)
	sum := sha256.Sum256(der)
	return api.PublicKeyCertificate{
		Certificate: base64.StdEncoding.EncodeToString(der), CertificateID: base64.StdEncoding.EncodeToString(sum[:]),
		PublicKeyID: id, ValidFrom: api.Time{Time: from}, ValidTo: api.Time{Time: to}, Usage: usage,
	}
}

var keys = func() []*rsa.PrivateKey {
	var out []*rsa.PrivateKey
	for i := 0; i < 3; i++ {
		k, _ := rsa.GenerateKey(rand.Reader, 2048)
		out = append(out, k)
	}
	return out
}()

func TestSelectLatestValid(t *testing.T) {
	old := makeCert(t, keys[0], now.AddDate(-2, 0, 0), now.AddDate(0, 6, 0), "KsefTokenEncryption")
	newer := makeCert(t, keys[1], now.AddDate(0, -1, 0), now.AddDate(2, 0, 0), "KsefTokenEncryption")
	expired := makeCert(t, keys[2], now.AddDate(0, 0, -10), now.AddDate(0, 0, -1), "KsefTokenEncryption", "SymmetricKeyEncryption")
	k, err := Select([]api.PublicKeyCertificate{old, expired, newer}, KsefTokenEncryption, now)
	if err != nil || k.ID != newer.PublicKeyID {
		t.Fatalf("got %v %v, want the newer valid key", k, err)
	}
	if _, err := Select([]api.PublicKeyCertificate{old, expired, newer}, SymmetricKeyEncryption, now); err == nil {
		t.Fatal("the only SymmetricKeyEncryption key is expired, Select must fail")
	}
}

func TestOAEPRoundTrip(t *testing.T) {
	c := makeCert(t, keys[0], now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0), "KsefTokenEncryption")
	k, err := Select([]api.PublicKeyCertificate{c}, KsefTokenEncryption, now)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("20251010-EC-1DCE3E3000-12ECB5B36E-45|nip-5265877635|919f|1752236636015")
	ct, err := k.EncryptOAEP(msg)
	if err != nil || len(ct) != 256 {
		t.Fatalf("%d %v", len(ct), err)
	}
	pt, err := rsa.DecryptOAEP(sha256.New(), nil, keys[0], ct, nil)
	if err != nil || string(pt) != string(msg) {
		t.Fatalf("round trip: %v", err)
	}
}

func TestStoreCachesAndInvalidates(t *testing.T) {
	c := makeCert(t, keys[0], now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0), "KsefTokenEncryption")
	fetches := 0
	s := &Store{Now: func() time.Time { return now }, Fetch: func(context.Context) ([]api.PublicKeyCertificate, error) {
		fetches++
		return []api.PublicKeyCertificate{c}, nil
	}}
	for i := 0; i < 3; i++ {
		if _, err := s.Get(context.Background(), KsefTokenEncryption); err != nil {
			t.Fatal(err)
		}
	}
	if fetches != 1 {
		t.Fatalf("fetches = %d, want 1 (cached)", fetches)
	}
	s.Invalidate()
	s.Get(context.Background(), KsefTokenEncryption)
	if fetches != 2 {
		t.Fatalf("fetches = %d after Invalidate", fetches)
	}
}
