package xades

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/authreq"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/ids"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// manifest documents the inputs of the golden vectors, so that the C,
// Python and Node bindings can reproduce them through the xades.sign
// operation.
type manifest struct {
	Comment            string                `json:"comment"`
	Challenge          string                `json:"challenge"`
	Context            ids.ContextIdentifier `json:"contextIdentifier"`
	SubjectType        string                `json:"subjectIdentifierType"`
	Namespace          string                `json:"namespace"`
	SigningTime        string                `json:"signingTime"`
	SignatureID        string                `json:"signatureId"`
	SignedPropertiesID string                `json:"signedPropertiesId"`
	ReferenceID        string                `json:"referenceId"`
	Vectors            []goldenVector        `json:"vectors"`
}

type goldenVector struct {
	KeyType     string `json:"keyType"`
	Key         string `json:"key"`
	Certificate string `json:"certificate"`
	Output      string `json:"output"`
	// Exact: the whole output is byte-exact. ECDSA signatures are
	// randomized, so for them everything except the SignatureValue text is.
	Exact bool `json:"exact"`
}

var signatureValueText = regexp.MustCompile(`<ds:SignatureValue>[^<]*</ds:SignatureValue>`)

func TestGolden(t *testing.T) {
	dir := filepath.Join("testdata", "golden")
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(SigningTimeLayout, m.SigningTime)
	if err != nil {
		t.Fatal(err)
	}
	req := authreq.Request{Challenge: m.Challenge, Context: m.Context, SubjectType: authreq.SubjectType(m.SubjectType), Namespace: m.Namespace}
	doc, err := req.XML()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range m.Vectors {
		t.Run(v.Output, func(t *testing.T) {
			certPEM, err := os.ReadFile(filepath.Join(dir, v.Certificate))
			if err != nil {
				t.Fatal(err)
			}
			keyPEM, err := os.ReadFile(filepath.Join(dir, v.Key))
			if err != nil {
				t.Fatal(err)
			}
			cred, err := certs.Load(certPEM, keyPEM, nil)
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSigner(cred.Signer, cred.Certificate)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Sign(doc, Options{SigningTime: at, SignatureID: m.SignatureID, SignedPropertiesID: m.SignedPropertiesID, ReferenceID: m.ReferenceID})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, v.Output)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			g, w := got, want
			if !v.Exact {
				g = signatureValueText.ReplaceAll(got, []byte("<ds:SignatureValue/>"))
				w = signatureValueText.ReplaceAll(want, []byte("<ds:SignatureValue/>"))
			}
			if !bytes.Equal(g, w) {
				t.Errorf("output differs from %s (run go test -update if the change is intended):\n got %s\nwant %s", path, got, want)
			}
			// The committed file itself verifies, with both verifiers.
			if r, err := Verify(want, VerifyOptions{Now: at}); err != nil || !r.Valid {
				t.Errorf("golden file does not verify: %v %+v", err, r.Findings)
			}
			if out, ok := xmlsec1Verify(t, want, certPEM); !ok {
				t.Errorf("xmlsec1 rejects the golden file:\n%s", out)
			}
		})
	}
}

// TestMakeGoldenCredentials writes the fixed key/certificate pairs of the
// golden vectors when they are missing and -update is given. They are
// committed; regenerating them changes every golden output.
func TestMakeGoldenCredentials(t *testing.T) {
	if !*update {
		t.Skip("only with -update")
	}
	dir := filepath.Join("testdata", "golden")
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, g := range []struct{ name, keyType string }{{"rsa2048", "RSA"}, {"ecdsa-p256", "ECDSA"}} {
		if _, err := os.Stat(filepath.Join(dir, g.name+".crt.pem")); err == nil {
			continue
		}
		c, err := certs.GenerateTest(certs.TestOptions{NIP: testNIP, KeyType: g.keyType, NotBefore: nb, NotAfter: nb.AddDate(20, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, g.name+".crt.pem"), c.CertificatePEM, 0o644)
		os.WriteFile(filepath.Join(dir, g.name+".key.pem"), c.KeyPEM, 0o644)
	}
}
