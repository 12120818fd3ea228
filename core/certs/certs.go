// Package certs loads signing certificates and keys in every form a Polish
// KSeF user actually has — PEM or DER certificates, PKCS#1/PKCS#8/SEC1 keys,
// PKCS#8 keys encrypted by the KSeF portal or OpenSSL, PKCS#12/PFX files — inspects them the way KSeF reads them (which NIP or
// PESEL the subject carries) and generates self-signed test certificates for
// the KSeF TEST environment.
//
// Every failure is an *errs.Error with one stable finding (wrong_password,
// key_mismatch, …); passwords never appear in messages.
package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"software.sslmate.com/src/go-pkcs12"
)

// Credential is a signing certificate with its private key.
type Credential struct {
	// Certificate is the leaf whose public key matches Signer.
	Certificate *x509.Certificate
	// Chain holds the other certificates found next to it (CA certificates of
	// a PFX or a PEM bundle), in file order.
	Chain []*x509.Certificate
	// Signer is the private key. Any crypto.Signer (HSM, smart card) works
	// wherever a Credential is accepted.
	Signer crypto.Signer
}

// Load reads a certificate and its private key, detecting the format of
// each:
//   - cert: PEM (one or more CERTIFICATE blocks, possibly with the key in the
//     same file) or DER;
//   - key: PEM "PRIVATE KEY" (PKCS#8), "RSA PRIVATE KEY" (PKCS#1),
//     "EC PRIVATE KEY" (SEC1), "ENCRYPTED PRIVATE KEY" (PKCS#8 PBES2/PBES1),
//     or the same structures in DER (legacy Proc-Type/DEK-Info encrypted PEM
//     is refused with unsupported_encryption; see parsePEMKey);
//   - key empty and cert a PKCS#12/PFX file: see LoadPKCS12.
//
// Both inputs may be file contents as saved by other tools: text before
// the PEM blocks (openssl's "Bag Attributes"), a byte order mark, UTF-16,
// base64 without PEM armor (see Normalize).
//
// password is used only when the key (or PFX) is encrypted. Load does not
// reject expired certificates — signing does, through CheckValidity — so that
// an expired one can still be inspected.
func Load(cert, key, password []byte) (*Credential, error) {
	cert, key = Normalize(cert), Normalize(key)
	if len(bytes.TrimSpace(key)) == 0 && !isPEM(cert) {
		if _, err := x509.ParseCertificate(cert); err != nil && len(cert) > 0 {
			return LoadPKCS12(cert, password)
		}
	}
	var certs []*x509.Certificate
	var keys []crypto.PrivateKey
	for i, in := range [][]byte{cert, key} {
		if len(bytes.TrimSpace(in)) == 0 {
			continue
		}
		if isPEM(in) {
			c, k, err := readPEM(in, password)
			if err != nil {
				return nil, err
			}
			certs = append(certs, c...)
			keys = append(keys, k...)
			continue
		}
		if i == 0 {
			c, err := x509.ParseCertificates(in)
			if err != nil {
				return nil, malformedCert("certificate is neither PEM, DER nor PKCS#12: %v", err)
			}
			certs = append(certs, c...)
			continue
		}
		k, err := parseDERKey(in, password)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(certs) == 0 {
		return nil, malformedCert("no certificate found")
	}
	switch len(keys) {
	case 0:
		return nil, fail(errs.InputInvalid, "key", FindingKeyMissing, "no private key found")
	case 1:
	default:
		return nil, malformedKey("found %d private keys; give exactly one", len(keys))
	}
	return assemble(keys[0], certs)
}

// LoadPKCS12 reads a PKCS#12/PFX file (OpenSSL 3 default or -legacy, Windows
// and Java exports). The leaf is the certificate matching the key, wherever
// it sits in the file.
func LoadPKCS12(pfx, password []byte) (*Credential, error) {
	key, leaf, cas, err := pkcs12.DecodeChain(Normalize(pfx), string(password))
	if err != nil {
		switch {
		case errors.Is(err, pkcs12.ErrIncorrectPassword) && len(password) == 0:
			return nil, passwordRequired()
		case errors.Is(err, pkcs12.ErrIncorrectPassword), errors.Is(err, pkcs12.ErrDecryption):
			return nil, wrongPassword()
		case strings.Contains(err.Error(), "indefinite length"):
			// BouncyCastle and some CA portals write BER, which go-pkcs12
			// (DER only) cannot read.
			return nil, malformedCert("the PKCS#12 file uses BER indefinite-length encoding, which is not supported; " +
				"re-export it with OpenSSL: `openssl pkcs12 -in old.pfx -nodes -out all.pem && openssl pkcs12 -export -in all.pem -out new.pfx`")
		}
		// go-pkcs12's own text is an ASN.1 structure dump: no help to anyone.
		return nil, malformedCert("the certificate is neither PEM, DER nor a PKCS#12 file")
	}
	return assemble(key, append([]*x509.Certificate{leaf}, cas...))
}

// assemble picks the certificate matching key as the leaf and checks the key
// is one KSeF accepts.
func assemble(key crypto.PrivateKey, certs []*x509.Certificate) (*Credential, error) {
	signer, err := toSigner(key)
	if err != nil {
		return nil, err
	}
	pub := signer.Public()
	leaf := -1
	for i, c := range certs {
		if k, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && k.Equal(pub) {
			leaf = i
			break
		}
	}
	if leaf < 0 {
		return nil, fail(errs.Crypto, "key", FindingKeyMismatch, "the private key does not belong to the certificate")
	}
	if err := CheckPublicKey(pub); err != nil {
		return nil, err
	}
	cred := &Credential{Certificate: certs[leaf], Signer: signer}
	for i, c := range certs {
		if i != leaf {
			cred.Chain = append(cred.Chain, c)
		}
	}
	return cred, nil
}

func toSigner(key crypto.PrivateKey) (crypto.Signer, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return nil, unsupportedKey("Ed25519 keys are not accepted by KSeF; use RSA (≥ 2048 bits) or ECDSA P-256/P-384/P-521")
	case *ecdh.PrivateKey:
		return nil, unsupportedKey("X25519 keys cannot sign; use RSA (≥ 2048 bits) or ECDSA P-256/P-384/P-521")
	}
	return nil, unsupportedKey("unsupported private key type %T", key)
}

// CheckPublicKey rejects keys KSeF does not accept: RSA below 2048 bits and
// curves other than P-256, P-384 and P-521.
func CheckPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return unsupportedKey("RSA key has %d bits; KSeF requires at least 2048", k.N.BitLen())
		}
		return nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return unsupportedKey("ECDSA curve %s is not accepted; use P-256, P-384 or P-521", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return unsupportedKey("Ed25519 keys are not accepted by KSeF")
	}
	return unsupportedKey("unsupported public key type %T", pub)
}

// CheckValidity reports an expired or not yet valid certificate at now.
func (c *Credential) CheckValidity(now time.Time) error {
	return CheckValidity(c.Certificate, now)
}

// CheckValidity is Credential.CheckValidity for a bare certificate.
func CheckValidity(cert *x509.Certificate, now time.Time) error {
	const layout = "2006-01-02 15:04:05 UTC"
	if now.Before(cert.NotBefore) {
		return fail(errs.InputInvalid, "certificate", FindingCertificateNotYetValid,
			"the certificate is valid only from %s", cert.NotBefore.UTC().Format(layout))
	}
	if now.After(cert.NotAfter) {
		return fail(errs.InputInvalid, "certificate", FindingCertificateExpired,
			"the certificate expired on %s", cert.NotAfter.UTC().Format(layout))
	}
	return nil
}

func isPEM(b []byte) bool { return bytes.Contains(b, []byte("-----BEGIN ")) }

// readPEM collects the certificates and keys of every PEM block in b.
func readPEM(b, password []byte) ([]*x509.Certificate, []crypto.PrivateKey, error) {
	var certs []*x509.Certificate
	var keys []crypto.PrivateKey
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		switch block.Type {
		case "CERTIFICATE", "X509 CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, nil, malformedCert("PEM certificate: %v", err)
			}
			certs = append(certs, c)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
			k, err := parsePEMKey(block, password)
			if err != nil {
				return nil, nil, err
			}
			keys = append(keys, k)
		}
		// Other blocks (EC PARAMETERS, CERTIFICATE REQUEST …) carry nothing we need.
	}
	return certs, keys, nil
}

func parsePEMKey(block *pem.Block, password []byte) (crypto.PrivateKey, error) {
	der := block.Bytes
	// Legacy RFC 1423 encryption (Proc-Type: 4,ENCRYPTED and DEK-Info
	// headers, what `openssl rsa|ec -aes256` wrote before OpenSSL 3) is
	// refused, not decrypted: it does not authenticate the ciphertext, so a
	// decoder is a padding oracle (Go deprecated x509.DecryptPEMBlock for
	// that), and no KSeF user needs it — the KSeF portal issues PKCS#8
	// ENCRYPTED PRIVATE KEY files, PFX files carry PKCS#8 inside, and
	// OpenSSL 3 writes PKCS#8 by default. The error names the conversion.
	if _, legacy := block.Headers["DEK-Info"]; legacy {
		return nil, fail(errs.InputInvalid, "key", FindingUnsupportedEncryption,
			"legacy PEM encryption (Proc-Type: 4,ENCRYPTED) is not supported, as it does not authenticate "+
				"the key; convert it with `openssl pkcs8 -topk8 -v2 aes256 -in old.key -out new.key`")
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" {
		info, ok := parseEncryptedPKCS8(der)
		if !ok {
			return nil, malformedKey("ENCRYPTED PRIVATE KEY block is not PKCS#8 EncryptedPrivateKeyInfo")
		}
		return decryptKey(info, password)
	}
	k, err := parseKeyDER(block.Type, der)
	if err != nil {
		return nil, malformedKey("%s: %v", block.Type, err)
	}
	return k, nil
}

func decryptKey(info *encryptedPrivateKeyInfo, password []byte) (crypto.PrivateKey, error) {
	plain, err := decryptPKCS8(info, password)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(plain)
	if err != nil {
		// The padding happened to look right but the plaintext is garbage.
		return nil, wrongPassword()
	}
	return k, nil
}

// parseKeyDER parses an unencrypted key of the given PEM type.
func parseKeyDER(typ string, der []byte) (crypto.PrivateKey, error) {
	switch typ {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(der)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(der)
	}
	return x509.ParsePKCS8PrivateKey(der)
}

// parseDERKey tries every DER key structure in turn.
func parseDERKey(der, password []byte) (crypto.PrivateKey, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if info, ok := parseEncryptedPKCS8(der); ok {
		return decryptKey(info, password)
	}
	return nil, malformedKey("the key is not PEM and not a DER PKCS#8, PKCS#1, SEC1 or encrypted PKCS#8 key")
}
