package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"software.sslmate.com/src/go-pkcs12"
)

const fixturePassword = "ksef-Test-123"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// finding returns the single finding of a certs error, failing the test for
// anything that is not an *errs.Error.
func finding(t *testing.T, err error) string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not *errs.Error", err, err)
	}
	if len(e.Findings) != 1 {
		t.Fatalf("error %v has findings %v, want exactly one", err, e.Findings)
	}
	return e.Findings[0]
}

func TestLoadFormats(t *testing.T) {
	for _, tc := range []struct {
		cert, key string
		password  string
		keyType   string
		subject   string // expected leaf subject fragment
		chain     int
	}{
		{"ec.crt.pem", "ec.sec1.pem", "", "ECDSA", "TINPL-5265877635", 0},
		{"ec.crt.der", "ec.sec1.pem", "", "ECDSA", "TINPL", 0},
		{"ec.crt.pem", "ec.pk8.pem", "", "ECDSA", "TINPL", 0},
		{"ec.crt.pem", "ec.pk8.der", "", "ECDSA", "TINPL", 0},
		{"ec.crt.pem", "ec.sec1.der", "", "ECDSA", "TINPL", 0},
		{"ec.crt.pem", "ec.enc-aes256.pem", fixturePassword, "ECDSA", "TINPL", 0},
		{"ec.crt.pem", "ec.enc-des3.pem", fixturePassword, "ECDSA", "TINPL", 0},
		{"ec.crt.pem", "ec.enc-sha512.pem", fixturePassword, "ECDSA", "TINPL", 0},
		{"ec.crt.pem", "ec.enc-sha384.pem", fixturePassword, "ECDSA", "TINPL", 0},
		{"ec.crt.pem", "ec.enc-sha224.pem", fixturePassword, "ECDSA", "TINPL", 0},
		{"ec.crt.pem", "ec.enc-sha1.pem", fixturePassword, "ECDSA", "TINPL", 0},
		{"ec.crt.pem", "ec.enc-pbes1.pem", fixturePassword, "ECDSA", "TINPL", 0},
		{"ec.crt.pem", "ec.enc.der", fixturePassword, "ECDSA", "TINPL", 0},
		{"ec.crt.pem", "ec.enc-utf8pass.pem", "Zażółć-gęślą", "ECDSA", "TINPL", 0},
		{"ec.bundle.pem", "", "", "ECDSA", "TINPL", 0},
		{"rsa.crt.pem", "rsa.pk8.pem", "", "RSA", "VATPL-5265877635", 0},
		{"rsa.crt.pem", "rsa.pkcs1.pem", "", "RSA", "VATPL", 0},
		{"rsa.crt.pem", "rsa.pkcs1.der", "", "RSA", "VATPL", 0},
		{"leaf.p12", "", fixturePassword, "ECDSA", "PNOPL-44051401359", 1},
		{"leaf-legacy.p12", "", fixturePassword, "ECDSA", "PNOPL-44051401359", 1},
		{"rsa-nopass.p12", "", "", "RSA", "VATPL", 0},
		{"rsa.p12", "", fixturePassword, "RSA", "VATPL", 0},
	} {
		t.Run(tc.cert+"+"+tc.key, func(t *testing.T) {
			var key []byte
			if tc.key != "" {
				key = fixture(t, tc.key)
			}
			c, err := Load(fixture(t, tc.cert), key, []byte(tc.password))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			info := Inspect(c.Certificate)
			if info.KeyType != tc.keyType {
				t.Errorf("key type %s, want %s", info.KeyType, tc.keyType)
			}
			if !strings.Contains(info.Subject, tc.subject) {
				t.Errorf("leaf subject %q lacks %q", info.Subject, tc.subject)
			}
			if len(c.Chain) != tc.chain {
				t.Errorf("chain has %d certificates, want %d", len(c.Chain), tc.chain)
			}
			if !c.Certificate.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(c.Signer.Public()) {
				t.Error("leaf does not match the key")
			}
		})
	}
}

func TestLoadChainInCertFileAnyOrder(t *testing.T) {
	certs := append(fixture(t, "ca.crt.pem"), fixture(t, "leaf.crt.pem")...)
	c, err := Load(certs, fixture(t, "ec.enc-aes256.pem"), []byte(fixturePassword))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(Inspect(c.Certificate).Subject, "Anna Nowak") || len(c.Chain) != 1 {
		t.Errorf("leaf %q chain %d", Inspect(c.Certificate).Subject, len(c.Chain))
	}
}

// go-pkcs12's DecodeChain takes the first certificate bag as the leaf; a PFX
// that lists the CA first must still give the matching leaf.
func TestLoadPKCS12CAFirst(t *testing.T) {
	good, err := Load(fixture(t, "leaf.crt.pem"), fixture(t, "ec.sec1.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := Load(fixture(t, "ca.crt.pem"), fixture(t, "ca.key.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pfx, err := pkcs12.Modern.Encode(good.Signer, ca.Certificate, []*x509.Certificate{good.Certificate}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadPKCS12(pfx, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Certificate.Equal(good.Certificate) || len(c.Chain) != 1 || !c.Chain[0].Equal(ca.Certificate) {
		t.Errorf("picked %q as leaf", Inspect(c.Certificate).Subject)
	}
}

func TestLoadFailures(t *testing.T) {
	berPFX := func() []byte {
		// Re-encode the outer SEQUENCE with an indefinite length, as
		// BouncyCastle does.
		der := fixture(t, "rsa.p12")
		if der[0] != 0x30 || der[1] != 0x82 {
			t.Fatalf("unexpected PFX header % x", der[:4])
		}
		return append(append([]byte{0x30, 0x80}, der[4:]...), 0, 0)
	}
	for _, tc := range []struct {
		name      string
		cert, key []byte
		password  string
		finding   string
		code      errs.Code
	}{
		{"wrong password pbes2", fixture(t, "ec.crt.pem"), fixture(t, "ec.enc-aes256.pem"), "nope", FindingWrongPassword, errs.Crypto},
		{"wrong password des3", fixture(t, "ec.crt.pem"), fixture(t, "ec.enc-des3.pem"), "nope", FindingWrongPassword, errs.Crypto},
		{"wrong password pbes1", fixture(t, "ec.crt.pem"), fixture(t, "ec.enc-pbes1.pem"), "nope", FindingWrongPassword, errs.Crypto},
		{"legacy pem aes256", fixture(t, "rsa.crt.pem"), fixture(t, "rsa.legacy-aes256.pem"), fixturePassword, FindingUnsupportedEncryption, errs.InputInvalid},
		{"legacy pem des3", fixture(t, "ec.crt.pem"), fixture(t, "ec.legacy-des3.pem"), fixturePassword, FindingUnsupportedEncryption, errs.InputInvalid},
		{"wrong password pfx", fixture(t, "leaf.p12"), nil, "nope", FindingWrongPassword, errs.Crypto},
		{"wrong password legacy pfx", fixture(t, "leaf-legacy.p12"), nil, "nope", FindingWrongPassword, errs.Crypto},
		{"no password pbes2", fixture(t, "ec.crt.pem"), fixture(t, "ec.enc-aes256.pem"), "", FindingPasswordRequired, errs.InputInvalid},
		{"legacy pem without password", fixture(t, "ec.crt.pem"), fixture(t, "ec.legacy-des3.pem"), "", FindingUnsupportedEncryption, errs.InputInvalid},
		{"no password pfx", fixture(t, "leaf.p12"), nil, "", FindingPasswordRequired, errs.InputInvalid},
		{"key of another cert", fixture(t, "rsa.crt.pem"), fixture(t, "ec.sec1.pem"), "", FindingKeyMismatch, errs.Crypto},
		{"rsa 1024", fixture(t, "rsa1024.crt.pem"), fixture(t, "rsa1024.key.pem"), "", FindingUnsupportedKey, errs.InputInvalid},
		{"p-224", fixture(t, "p224.crt.pem"), fixture(t, "p224.key.pem"), "", FindingUnsupportedKey, errs.InputInvalid},
		{"ed25519", fixture(t, "ed25519.crt.pem"), fixture(t, "ed25519.key.pem"), "", FindingUnsupportedKey, errs.InputInvalid},
		{"scrypt", fixture(t, "ec.crt.pem"), fixture(t, "ec.enc-scrypt.pem"), fixturePassword, FindingUnsupportedEncryption, errs.InputInvalid},
		{"no key", fixture(t, "ec.crt.pem"), nil, "", FindingKeyMissing, errs.InputInvalid},
		{"garbage cert", []byte("hello"), fixture(t, "ec.sec1.pem"), "", FindingMalformedCertificate, errs.InputInvalid},
		{"garbage pem cert", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), fixture(t, "ec.sec1.pem"), "", FindingMalformedCertificate, errs.InputInvalid},
		{"garbage key", fixture(t, "ec.crt.pem"), []byte("not a key"), "", FindingMalformedKey, errs.InputInvalid},
		{"garbage alone", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, nil, "", FindingMalformedCertificate, errs.InputInvalid},
		{"empty", nil, nil, "", FindingMalformedCertificate, errs.InputInvalid},
		{"ber pfx", berPFX(), nil, "", FindingMalformedCertificate, errs.InputInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.cert, tc.key, []byte(tc.password))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if f := finding(t, err); f != tc.finding {
				t.Errorf("finding %s (%v), want %s", f, err, tc.finding)
			}
			if c := errs.CodeOf(err); c != tc.code {
				t.Errorf("code %s, want %s", c, tc.code)
			}
			if tc.password != "" && strings.Contains(err.Error(), tc.password) {
				t.Errorf("error %q leaks the password", err)
			}
			if tc.name == "ber pfx" && !strings.Contains(err.Error(), "openssl pkcs12") {
				t.Errorf("BER error %q does not suggest the OpenSSL re-export", err)
			}
		})
	}
}

func TestCheckValidity(t *testing.T) {
	c, err := Load(fixture(t, "ec.crt.pem"), fixture(t, "ec.sec1.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckValidity(c.Certificate.NotBefore.Add(time.Hour)); err != nil {
		t.Errorf("valid certificate: %v", err)
	}
	if f := finding(t, c.CheckValidity(c.Certificate.NotAfter.Add(time.Second))); f != FindingCertificateExpired {
		t.Errorf("after NotAfter: %s", f)
	}
	if f := finding(t, c.CheckValidity(c.Certificate.NotBefore.Add(-time.Second))); f != FindingCertificateNotYetValid {
		t.Errorf("before NotBefore: %s", f)
	}
}

// Load accepts an expired certificate (so it can be inspected); signing is
// where expiry is enforced.
func TestLoadDoesNotRejectExpired(t *testing.T) {
	now := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	tc, err := GenerateTest(TestOptions{NIP: "5265877635", Now: func() time.Time { return now }, NotAfter: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(tc.CertificatePEM, tc.KeyPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f := finding(t, c.CheckValidity(time.Now())); f != FindingCertificateExpired {
		t.Errorf("finding %s", f)
	}
}

func TestPKCS12KDFVector(t *testing.T) {
	// RFC 7292 has no vectors; this one is from the PKCS#12 test suite used
	// by BouncyCastle and OpenSSL (password "smeg", SHA-1, id 1, 1 iteration).
	salt := []byte{0x0A, 0x58, 0xCF, 0x64, 0x53, 0x0D, 0x82, 0x3F}
	got := pkcs12KDF(salt, bmpString([]byte("smeg")), 1, 1, 24)
	want := []byte{0x8A, 0xAA, 0xE6, 0x29, 0x7B, 0x6C, 0xB0, 0x46, 0x42, 0xAB, 0x5B, 0x07, 0x78, 0x51, 0x28, 0x4E, 0xB7, 0x12, 0x8F, 0x1A, 0x2A, 0x7F, 0xBC, 0xA3}
	if !bytes.Equal(got, want) {
		t.Errorf("pkcs12KDF = % X", got)
	}
}

func TestCheckPublicKey(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	for _, k := range []any{p384.Public(), p521.Public()} {
		if err := CheckPublicKey(k); err != nil {
			t.Error(err)
		}
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	if f := finding(t, CheckPublicKey(small.Public())); f != FindingUnsupportedKey {
		t.Error(f)
	}
}
