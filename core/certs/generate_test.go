package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/secret"
	"software.sslmate.com/src/go-pkcs12"
)

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 7
	}
	return len(p), nil
}

func TestGenerateTestPersonalAndSeal(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	for _, tc := range []struct {
		opts     TestOptions
		kind     string
		identity Identity
		subject  string
		keyType  string
	}{
		{TestOptions{NIP: "5265877635", Now: clock}, "personal",
			Identity{"Nip", "5265877635", "serialNumber"}, "CN=Jan Kowalski,serialNumber=TINPL-5265877635,SN=Kowalski,givenName=Jan,C=PL", "ECDSA"},
		{TestOptions{PESEL: "44051401359", GivenName: "Anna", Surname: "Nowak", KeyType: "RSA", Now: clock}, "personal",
			Identity{"Pesel", "44051401359", "serialNumber"}, "CN=Anna Nowak,serialNumber=PNOPL-44051401359,SN=Nowak,givenName=Anna,C=PL", "RSA"},
		{TestOptions{Kind: "seal", NIP: "5265877635", Organization: "ACME Sp. z o.o.", Now: clock}, "seal",
			Identity{"Nip", "5265877635", "organizationIdentifier"}, "CN=ACME Sp. z o.o.,organizationIdentifier=VATPL-5265877635,O=ACME Sp. z o.o.,C=PL", "ECDSA"},
	} {
		tc.opts.Password = secret.NewString("secret")
		g, err := GenerateTest(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		i := g.Info
		if i.Kind != tc.kind || i.Identity != tc.identity || i.Subject != tc.subject || i.Issuer != tc.subject || i.KeyType != tc.keyType || !i.SelfSigned {
			t.Errorf("Info = %+v", i)
		}
		if !i.NotBefore.Equal(now.Add(-61*time.Minute)) || !i.NotAfter.Equal(now.AddDate(2, 0, 0)) {
			t.Errorf("validity %s – %s", i.NotBefore, i.NotAfter)
		}
		if g.Credential.Certificate.SerialNumber.Sign() <= 0 {
			t.Error("serial not positive")
		}
		// Every output form loads back to the same credential.
		for _, c := range []func() (*Credential, error){
			func() (*Credential, error) { return Load(g.CertificatePEM, g.KeyPEM, nil) },
			func() (*Credential, error) { return Load(g.PKCS12, nil, []byte("secret")) },
		} {
			back, err := c()
			if err != nil {
				t.Fatal(err)
			}
			if !back.Certificate.Equal(g.Credential.Certificate) {
				t.Error("round trip changed the certificate")
			}
		}
	}
}

func TestGenerateTestDeterministicWithKeyAndRand(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	opts := TestOptions{NIP: "5265877635", Key: key, Rand: zeroReader{}, Now: func() time.Time { return now }}
	a, err := GenerateTest(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateTest(opts)
	// ECDSA self-signatures are randomized, but serial and subject are not.
	if a.Credential.Certificate.SerialNumber.Cmp(b.Credential.Certificate.SerialNumber) != 0 ||
		!bytes.Equal(a.Credential.Certificate.RawTBSCertificate, b.Credential.Certificate.RawTBSCertificate) {
		t.Error("same inputs gave different TBS certificates")
	}
	if _, _, err := pkcs12.Decode(a.PKCS12, ""); err != nil {
		t.Errorf("passwordless PKCS#12: %v", err)
	}
}

func TestGenerateTestValidatesIdentity(t *testing.T) {
	for _, o := range []TestOptions{
		{NIP: "5265877636"},
		{PESEL: "44051401358"},
		{},
		{NIP: "5265877635", PESEL: "44051401359"},
		{Kind: "seal"},
		{Kind: "seal", NIP: "5265877635", GivenName: "Jan"},
		{Kind: "robot", NIP: "5265877635"},
		{NIP: "5265877635", KeyType: "DSA"},
	} {
		if _, err := GenerateTest(o); errs.CodeOf(err) != errs.InputInvalid {
			t.Errorf("GenerateTest(%+v) = %v, want input.invalid", o, err)
		}
	}
}

func TestInspectFixtures(t *testing.T) {
	c, err := Load(fixture(t, "leaf.crt.pem"), fixture(t, "ec.sec1.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	i := Inspect(c.Certificate)
	if i.Identity != (Identity{"Pesel", "44051401359", "serialNumber"}) || i.Kind != "personal" || i.SelfSigned ||
		i.Issuer != "CN=Test CA Root,O=Test CA,C=PL" || i.Curve != "P-256" || i.KeyBits != 256 {
		t.Errorf("%+v", i)
	}
	if !regexp.MustCompile(`^[0-9A-F]{64}$`).MatchString(i.FingerprintSHA256) {
		t.Errorf("fingerprint %q", i.FingerprintSHA256)
	}
	if !regexp.MustCompile(`^([0-9A-F]{2})+$`).MatchString(i.SerialNumberHex) {
		t.Errorf("serial hex %q", i.SerialNumberHex)
	}
	ca, _ := Load(fixture(t, "ca.crt.pem"), fixture(t, "ca.key.pem"), nil)
	ci := Inspect(ca.Certificate)
	if ci.Identity.Type != "Fingerprint" || ci.Identity.Value != ci.FingerprintSHA256 || ci.Kind != "unknown" || !ci.SelfSigned {
		t.Errorf("CA: %+v", ci)
	}
	j, _ := json.Marshal(i)
	for _, k := range []string{`"subject"`, `"issuer"`, `"serialNumber"`, `"notBefore"`, `"notAfter"`, `"keyType"`, `"keyBits"`, `"curve"`, `"fingerprintSha256"`, `"identity":{"type":"Pesel"`, `"source":"serialNumber"`, `"kind"`} {
		if !strings.Contains(string(j), k) {
			t.Errorf("JSON %s lacks %s", j, k)
		}
	}
}

func TestSubjectIdentityRegexes(t *testing.T) {
	now := time.Now()
	// KSeF's regexes are unanchored: any prefix text before the number counts.
	g, err := GenerateTest(TestOptions{NIP: "5265877635", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if id := SubjectIdentity(g.Credential.Certificate); id.Type != "Nip" || id.Value != "5265877635" {
		t.Errorf("%+v", id)
	}
	if SealWithPersonalNames(g.Credential.Certificate) {
		t.Error("personal certificate flagged as seal with personal names")
	}
}
