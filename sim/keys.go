package sim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"time"
)

// Key usages of GET /security/public-key-certificates.
const (
	usageKsefToken = "KsefTokenEncryption"
	usageSymmetric = "SymmetricKeyEncryption"
)

// keyPair is one published RSA-2048 key with its self-signed certificate.
type keyPair struct {
	usage       string
	key         *rsa.PrivateKey
	certDER     []byte
	certID      string // Base64(SHA-256(DER certificate))
	publicKeyID string // Base64(SHA-256(DER SubjectPublicKeyInfo)), the selector clients send back
	notBefore   time.Time
	notAfter    time.Time
}

// newKeyPair makes a fresh key like MF's (RSA-2048, one per usage) but with a
// self-signed certificate that says plainly it belongs to the simulator.
func newKeyPair(usage string, now time.Time) (*keyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	serial := new(big.Int).SetBytes(randBytes(16))
	notBefore := now.Add(-time.Hour).UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   "ksef-sim " + usage,
			Organization: []string{"ksefkit simulator"},
			Country:      []string{"PL"},
		},
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(2, 0, 0),
		KeyUsage:              x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	certSum := sha256.Sum256(der)
	keySum := sha256.Sum256(spki)
	return &keyPair{
		usage:       usage,
		key:         key,
		certDER:     der,
		certID:      base64.StdEncoding.EncodeToString(certSum[:]),
		publicKeyID: base64.StdEncoding.EncodeToString(keySum[:]),
		notBefore:   tmpl.NotBefore,
		notAfter:    tmpl.NotAfter,
	}, nil
}

// newKeySet generates both keys concurrently (each takes ~50 ms).
func newKeySet(now time.Time) (token, symmetric *keyPair, err error) {
	var errSym error
	done := make(chan struct{})
	go func() {
		defer close(done)
		symmetric, errSym = newKeyPair(usageSymmetric, now)
	}()
	token, err = newKeyPair(usageKsefToken, now)
	<-done
	if err == nil {
		err = errSym
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sim: generate RSA keys: %w", err)
	}
	return token, symmetric, nil
}

// RotateKeys replaces both published keys at once, like MF's emergency
// rotation: the old certificates disappear from the list and their
// publicKeyId is rejected with 21470 from now on.
func (s *Server) RotateKeys() error {
	token, sym, err := newKeySet(s.now())
	if err != nil {
		return err
	}
	s.keyMu.Lock()
	old := s.tokenKey.publicKeyID
	s.tokenKey, s.symKey = token, sym
	s.keyMu.Unlock()
	s.log.Info("keys rotated", "oldTokenKeyId", old, "newTokenKeyId", token.publicKeyID, "newSymmetricKeyId", sym.publicKeyID)
	return nil
}

// PublicKeyIDs returns the publicKeyId of the current KsefTokenEncryption and
// SymmetricKeyEncryption keys.
func (s *Server) PublicKeyIDs() (ksefToken, symmetricKey string) {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	return s.tokenKey.publicKeyID, s.symKey.publicKeyID
}

// ksefTokenKey picks the key for POST /auth/ksef-token: the one named by
// publicKeyId, or the current one when the client sent none. Only a
// KsefTokenEncryption key qualifies.
func (s *Server) ksefTokenKey(publicKeyID string) (*keyPair, bool) {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	if publicKeyID == "" || publicKeyID == s.tokenKey.publicKeyID {
		return s.tokenKey, true
	}
	return nil, false
}

type publicKeyCertificate struct {
	Certificate   string   `json:"certificate"`
	CertificateID string   `json:"certificateId"`
	PublicKeyID   string   `json:"publicKeyId"`
	ValidFrom     string   `json:"validFrom"`
	ValidTo       string   `json:"validTo"`
	Usage         []string `json:"usage"`
}

// GET /security/public-key-certificates
func (s *Server) handlePublicKeys(w http.ResponseWriter, r *http.Request) {
	s.keyMu.RLock()
	pairs := []*keyPair{s.tokenKey, s.symKey}
	s.keyMu.RUnlock()
	out := make([]publicKeyCertificate, 0, len(pairs))
	for _, k := range pairs {
		out = append(out, publicKeyCertificate{
			Certificate:   base64.StdEncoding.EncodeToString(k.certDER),
			CertificateID: k.certID,
			PublicKeyID:   k.publicKeyID,
			ValidFrom:     ksefTime(k.notBefore),
			ValidTo:       ksefTime(k.notAfter),
			Usage:         []string{k.usage},
		})
	}
	s.ok(w, http.StatusOK, out)
}
