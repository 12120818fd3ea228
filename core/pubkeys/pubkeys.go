// Package pubkeys fetches, selects and caches the KSeF public keys used to
// encrypt KSeF tokens (usage KsefTokenEncryption) and symmetric session keys
// (usage SymmetricKeyEncryption), and encrypts with them (RSAES-OAEP,
// SHA-256, MGF1-SHA-256, empty label — what KSeF decrypts).
package pubkeys

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
)

// Usage of a KSeF public key.
type Usage string

// The two usages KSeF publishes keys for.
const (
	KsefTokenEncryption    Usage = "KsefTokenEncryption"
	SymmetricKeyEncryption Usage = "SymmetricKeyEncryption"
)

// Key is one selected public key.
type Key struct {
	// ID is the publicKeyId sent back to KSeF with anything encrypted by it.
	ID            string
	CertificateID string
	Public        *rsa.PublicKey
	ValidFrom     time.Time
	ValidTo       time.Time
}

// EncryptOAEP encrypts msg with RSAES-OAEP-SHA256 (MGF1-SHA256, no label).
func (k *Key) EncryptOAEP(msg []byte) ([]byte, error) {
	out, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, k.Public, msg, nil)
	if err != nil {
		return nil, errs.Wrap(errs.Crypto, err, "RSA-OAEP encryption with key %s", k.ID)
	}
	return out, nil
}

// Select picks, among the certificates valid at now that carry usage, the one
// with the latest validFrom (the official rule; during a planned rotation two
// may be listed).
func Select(certs []api.PublicKeyCertificate, usage Usage, now time.Time) (*Key, error) {
	var best *api.PublicKeyCertificate
	for i := range certs {
		c := &certs[i]
		if !c.HasUsage(string(usage)) {
			continue
		}
		if now.Before(c.ValidFrom.Time) || !now.Before(c.ValidTo.Time) {
			continue
		}
		if best == nil || c.ValidFrom.After(best.ValidFrom.Time) {
			best = c
		}
	}
	if best == nil {
		return nil, errs.New(errs.Protocol, "KSeF published no public key for %s valid at %s (%d certificates listed)", usage, now.UTC().Format(time.RFC3339), len(certs))
	}
	der, err := base64.StdEncoding.DecodeString(best.Certificate)
	if err != nil {
		return nil, errs.Wrap(errs.Protocol, err, "public key certificate %s is not Base64", best.PublicKeyID)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, errs.Wrap(errs.Protocol, err, "public key certificate %s is not an X.509 certificate", best.PublicKeyID)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errs.New(errs.Protocol, "public key %s is %T; KSeF encryption keys are RSA", best.PublicKeyID, cert.PublicKey)
	}
	if pub.N.BitLen() < 2048 {
		return nil, errs.New(errs.Protocol, "public key %s has %d bits; refusing to encrypt with less than 2048", best.PublicKeyID, pub.N.BitLen())
	}
	return &Key{ID: best.PublicKeyID, CertificateID: best.CertificateID, Public: pub, ValidFrom: best.ValidFrom.Time, ValidTo: best.ValidTo.Time}, nil
}

// ID computes a publicKeyId: Base64(SHA-256(DER SubjectPublicKeyInfo)).
func ID(pub any) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// Fetcher returns the current list of public key certificates.
type Fetcher func(ctx context.Context) ([]api.PublicKeyCertificate, error)

// MaxAge bounds how long a fetched list is trusted even when its keys are
// still valid, so that a planned rotation is picked up within a day.
const MaxAge = 24 * time.Hour

// Store caches the key list. It is safe for concurrent use.
type Store struct {
	Fetch Fetcher
	Now   func() time.Time

	mu        sync.Mutex
	certs     []api.PublicKeyCertificate
	fetchedAt time.Time
}

// Get returns the key for usage, fetching the list when it is missing,
// older than MaxAge, or has no key valid now.
func (s *Store) Get(ctx context.Context, usage Usage) (*Key, error) {
	now := s.now()
	s.mu.Lock()
	certs, fetched := s.certs, s.fetchedAt
	s.mu.Unlock()
	if certs != nil && now.Sub(fetched) < MaxAge {
		if k, err := Select(certs, usage, now); err == nil {
			return k, nil
		}
	}
	certs, err := s.Fetch(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.certs, s.fetchedAt = certs, now
	s.mu.Unlock()
	return Select(certs, usage, now)
}

// Invalidate drops the cached list; the next Get fetches it again. Called on
// exception 21470 (KSeF no longer knows the publicKeyId we sent).
func (s *Store) Invalidate() {
	s.mu.Lock()
	s.certs = nil
	s.mu.Unlock()
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// String describes a key without its material.
func (k *Key) String() string {
	return fmt.Sprintf("publicKeyId %s (valid %s – %s)", k.ID, k.ValidFrom.UTC().Format(time.DateOnly), k.ValidTo.UTC().Format(time.DateOnly))
}
