package xades

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ksefkit/ksefkit/core/authreq"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/ids"
)

const testNIP = "5265877635"
const testChallenge = "20250604-CR-461EA5B000-537A6BA15D-D7"

type variant struct {
	name    string
	keyType string // "RSA", "P-256", "P-384"
	kind    string // "personal", "seal"
}

var variants = []variant{
	{"rsa2048-personal", "RSA", "personal"},
	{"rsa2048-seal", "RSA", "seal"},
	{"p256-personal", "P-256", "personal"},
	{"p256-seal", "P-256", "seal"},
	{"p384-personal", "P-384", "personal"},
	{"p384-seal", "P-384", "seal"},
}

var (
	credMu    sync.Mutex
	credCache = map[variant]*certs.TestCertificate{}
)

// credential returns a self-signed test certificate for v, generated once
// per test binary (RSA key generation is slow).
func credential(t testing.TB, v variant) *certs.TestCertificate {
	t.Helper()
	credMu.Lock()
	defer credMu.Unlock()
	if c, ok := credCache[v]; ok {
		return c
	}
	opts := certs.TestOptions{Kind: v.kind, NIP: testNIP}
	var err error
	switch v.keyType {
	case "RSA":
		opts.Key, err = rsa.GenerateKey(rand.Reader, 2048)
	case "P-256":
		opts.Key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "P-384":
		opts.Key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := certs.GenerateTest(opts)
	if err != nil {
		t.Fatal(err)
	}
	credCache[v] = c
	return c
}

func request(t testing.TB, subject authreq.SubjectType) []byte {
	t.Helper()
	r := authreq.Request{
		Challenge:   testChallenge,
		Context:     ids.ContextIdentifier{Type: ids.ContextNip, Value: testNIP},
		SubjectType: subject,
	}
	b, err := r.XML()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signer(t testing.TB, c *certs.TestCertificate) *Signer {
	t.Helper()
	s, err := NewSigner(c.Credential.Signer, c.Credential.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// xmlsec1 returns the path of the xmlsec1 binary. It skips the test when the
// binary is missing, unless KSEFKIT_REQUIRE_XMLSEC1 is set (CI), where a
// missing verifier is a failure.
func xmlsec1(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("KSEFKIT_REQUIRE_XMLSEC1") != "" {
			t.Fatalf("KSEFKIT_REQUIRE_XMLSEC1 is set but xmlsec1 is not installed (apt-get install -y xmlsec1)")
		}
		t.Skip("xmlsec1 not installed")
	}
	return p
}

// xmlsec1Verify runs the independent verifier on signed with the
// certificate as trust anchor; it returns xmlsec1's output and whether it
// accepted the signature.
func xmlsec1Verify(t *testing.T, signed, certPEM []byte) (string, bool) {
	t.Helper()
	bin := xmlsec1(t)
	dir := t.TempDir()
	doc, cert := filepath.Join(dir, "signed.xml"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(doc, signed, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cert, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--verify", "--trusted-pem", cert,
		"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties", doc).CombinedOutput()
	return string(out), err == nil
}

// errorCodes lists the codes of a report's error findings.
func errorCodes(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Severity == "error" {
			out = append(out, f.Code)
		}
	}
	return out
}

func mustVerify(t *testing.T, signed []byte) *Report {
	t.Helper()
	r, err := Verify(signed, VerifyOptions{})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return r
}
