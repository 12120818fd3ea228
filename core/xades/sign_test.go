package xades

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/authreq"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
)

func TestSignVariantsVerify(t *testing.T) {
	for _, v := range variants {
		for _, st := range []authreq.SubjectType{authreq.SubjectCertificate, authreq.SubjectFingerprint} {
			t.Run(v.name+"/"+string(st), func(t *testing.T) {
				c := credential(t, v)
				doc := request(t, st)
				signed, err := signer(t, c).Sign(doc, Options{})
				if err != nil {
					t.Fatal(err)
				}
				r := mustVerify(t, signed)
				if !r.Valid || len(r.Findings) != 0 {
					t.Fatalf("our verifier: %+v", r.Findings)
				}
				if r.Identity == nil || (st == authreq.SubjectCertificate && (r.Identity.Type != "Nip" || r.Identity.Value != testNIP)) ||
					(st == authreq.SubjectFingerprint && r.Identity.Type != "Fingerprint") {
					t.Errorf("identity %+v", r.Identity)
				}
				if out, ok := xmlsec1Verify(t, signed, c.CertificatePEM); !ok || !strings.Contains(out, "SignedInfo References (ok/all): 2/2") {
					t.Fatalf("xmlsec1 rejected:\n%s", out)
				}
			})
		}
	}
}

func TestSignatureShape(t *testing.T) {
	c := credential(t, variants[2])
	doc := request(t, authreq.SubjectCertificate)
	// A signing time inside the freshly minted certificate's validity,
	// given in CET with a fraction, to show it is written in UTC, whole
	// seconds.
	nb := c.Credential.Certificate.NotBefore.Add(time.Hour).Truncate(time.Second)
	at := nb.In(time.FixedZone("CET", 3600)).Add(999)
	signed, err := signer(t, c).Sign(doc, Options{SigningTime: at, SignatureID: "S1", SignedPropertiesID: "SP1", ReferenceID: "R1"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(signed)
	for _, want := range []string{
		`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="S1">`,
		`<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256">`,
		`<ds:Reference Id="R1" URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"></ds:Transform><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></ds:Transform>`,
		`<ds:Reference Type="http://uri.etsi.org/01903#SignedProperties" URI="#SP1">`,
		`<xades:QualifyingProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" Target="#S1">`,
		`<xades:SigningTime>` + nb.UTC().Format("2006-01-02T15:04:05") + `Z</xades:SigningTime>`,
		`<xades:DataObjectFormat ObjectReference="#R1"><xades:MimeType>text/xml</xades:MimeType>`,
		`</ds:Object></ds:Signature></AuthTokenRequest>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("signed document lacks %s", want)
		}
	}
	// The input bytes are kept: removing the signature gives them back.
	i, j := strings.Index(s, "<ds:Signature"), strings.Index(s, "</ds:Signature>")+len("</ds:Signature>")
	if s[:i]+s[j:] != string(doc) {
		t.Error("signing changed the document outside the signature")
	}
	if r := mustVerify(t, signed); !r.Valid || !r.SigningTime.Equal(at.Truncate(time.Second)) || r.Certificate.FingerprintSHA256 != certs.Fingerprint(c.Credential.Certificate) || r.SignatureMethod != AlgECDSASHA256 {
		t.Errorf("report %+v", r)
	}
}

// Documents with a declaration-free start, comments, PIs, CRLF line ends
// and prefixed roots are signed without touching their bytes and verify
// with both verifiers.
func TestSignArbitraryDocuments(t *testing.T) {
	c := credential(t, variants[0])
	for _, doc := range []string{
		`<a:AuthTokenRequest xmlns:a="http://ksef.mf.gov.pl/auth/token/2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><a:Challenge>x</a:Challenge></a:AuthTokenRequest>`,
		"<?xml version=\"1.0\"?>\r\n<!-- head --><?pi one?>\r\n<R xmlns=\"urn:r\" b=\"2\" a='&quot;&lt;&gt;'>\r\n  <x y=\"a>b\"><![CDATA[</R>]]>&amp;</x><!-- </R> -->\r\n</R >\r\n<!-- tail --><?pi two?>\n",
		`<R><ds:x xmlns:ds="urn:not-dsig"/><xades:y xmlns:xades="urn:other"/></R>`,
	} {
		signed, err := signer(t, c).Sign([]byte(doc), Options{})
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		s := string(signed)
		i, j := strings.Index(s, "<ds:Signature"), strings.Index(s, "</ds:Signature>")+len("</ds:Signature>")
		if s[:i]+s[j:] != doc {
			t.Errorf("document bytes changed:\n%q\n%q", doc, s)
		}
		if r := mustVerify(t, signed); len(errorCodes(r)) != 0 {
			t.Errorf("%q: %+v", doc, r.Findings)
		}
		if out, ok := xmlsec1Verify(t, signed, c.CertificatePEM); !ok {
			t.Errorf("xmlsec1 rejected %q:\n%s", doc, out)
		}
	}
}

func TestSignRejects(t *testing.T) {
	c := credential(t, variants[2])
	s := signer(t, c)
	doc := request(t, authreq.SubjectCertificate)
	signed, _ := s.Sign(doc, Options{})
	for _, tc := range []struct {
		name    string
		doc     []byte
		opts    Options
		finding string
	}{
		{"already signed", signed, Options{}, FindingDocumentAlreadySigned},
		{"not xml", []byte("hello"), Options{}, FindingMalformedDocument},
		{"doctype", []byte(`<!DOCTYPE R [<!ENTITY e "x">]><R>&e;</R>`), Options{}, FindingMalformedDocument},
		{"latin2", []byte(`<?xml version="1.0" encoding="ISO-8859-2"?><R/>`), Options{}, FindingMalformedDocument},
		{"empty root", []byte(`<R/>`), Options{}, FindingMalformedDocument},
		{"bad id", doc, Options{SignatureID: "1abc"}, ""},
		{"same ids", doc, Options{SignatureID: "a", SignedPropertiesID: "a", ReferenceID: "b"}, ""},
		{"expired", doc, Options{SigningTime: c.Credential.Certificate.NotAfter.Add(time.Hour)}, certs.FindingCertificateExpired},
		{"not yet valid", doc, Options{SigningTime: c.Credential.Certificate.NotBefore.Add(-time.Hour)}, certs.FindingCertificateNotYetValid},
	} {
		_, err := s.Sign(tc.doc, tc.opts)
		var e *errs.Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error %v is not *errs.Error", tc.name, err)
			continue
		}
		if tc.finding != "" && (len(e.Findings) != 1 || e.Findings[0] != tc.finding) {
			t.Errorf("%s: findings %v (%v), want %s", tc.name, e.Findings, err, tc.finding)
		}
	}
	other := credential(t, variants[0])
	if _, err := NewSigner(other.Credential.Signer, c.Credential.Certificate); errs.As(err) == nil || errs.As(err).Findings[0] != certs.FindingKeyMismatch {
		t.Errorf("mismatched key: %v", err)
	}
}

// Tampering with any signed byte is caught by our verifier with the right
// finding, and by xmlsec1 where it checks that part.
func TestTamper(t *testing.T) {
	for _, v := range []variant{variants[0], variants[2]} {
		c := credential(t, v)
		signed, err := signer(t, c).Sign(request(t, authreq.SubjectCertificate), Options{})
		if err != nil {
			t.Fatal(err)
		}
		replace := func(re string, repl func(string) string) []byte {
			out := regexp.MustCompile(re).ReplaceAllStringFunc(string(signed), repl)
			if out == string(signed) {
				t.Fatalf("pattern %s changed nothing", re)
			}
			return []byte(out)
		}
		flipB64 := func(s string) string {
			// Change the first base64 character after '>'.
			i := strings.Index(s, ">") + 1
			c := byte('A')
			if s[i] == 'A' {
				c = 'B'
			}
			return s[:i] + string(c) + s[i+1:]
		}
		for _, tc := range []struct {
			name    string
			doc     []byte
			want    []string
			xmlsec1 bool // whether xmlsec1 must reject it too
		}{
			{"document text", replace(`<Nip>5265877635`, func(string) string { return "<Nip>5265877636" }), []string{FindingDocumentDigestMismatch}, true},
			{"whitespace after signing", replace(`<ContextIdentifier>`, func(s string) string { return s + "\n  " }), []string{FindingDocumentDigestMismatch}, true},
			{"signing time", replace(`\d\dZ</xades:SigningTime>`, func(s string) string { return map[bool]string{true: "1", false: "0"}[s[0] == '0'] + s[1:] }), []string{FindingSignedPropertiesDigestMismatch}, true},
			{"cert digest", replace(`<xades:CertDigest>.*?<ds:DigestValue>.`, flipLast), []string{FindingSignedPropertiesDigestMismatch, FindingCertDigestMismatch}, false},
			{"issuer serial", replace(`<ds:X509SerialNumber>\d`, func(s string) string { return s[:len(s)-1] + nextDigit(s[len(s)-1]) }), []string{FindingSignedPropertiesDigestMismatch, FindingIssuerSerialMismatch}, false},
			{"signature value", replace(`<ds:SignatureValue>[^<]+`, flipB64), []string{FindingSignatureValueInvalid}, true},
			{"target", replace(`Target="#`, func(s string) string { return s + "x" }), []string{FindingTargetMismatch}, false},
		} {
			t.Run(v.name+"/"+tc.name, func(t *testing.T) {
				r := mustVerify(t, tc.doc)
				got := errorCodes(r)
				if r.Valid || strings.Join(got, ",") != strings.Join(tc.want, ",") {
					t.Errorf("findings %v, want %v (%+v)", got, tc.want, r.Findings)
				}
				if e := errs.As(r.Err()); e == nil || e.Code != errs.Signature || strings.Join(e.Findings, ",") != strings.Join(tc.want, ",") {
					t.Errorf("Err() = %v", r.Err())
				}
				if tc.xmlsec1 {
					if out, ok := xmlsec1Verify(t, tc.doc, c.CertificatePEM); ok {
						t.Errorf("xmlsec1 accepted the tampered document:\n%s", out)
					}
				}
			})
		}
	}
}

func flipLast(s string) string {
	c := s[len(s)-1]
	r := byte('A')
	if c == 'A' {
		r = 'B'
	}
	return s[:len(s)-1] + string(r)
}

func nextDigit(c byte) string { return string('0' + (c-'0'+1)%10) }

// Signed but semantically wrong qualifying properties (what a buggy signer
// produces): digests are fine, only the XAdES check fails.
func TestConsistentlyWrongProperties(t *testing.T) {
	c := credential(t, variants[2])
	doc := request(t, authreq.SubjectCertificate)
	for _, tc := range []struct {
		name string
		mut  func(cc *certContext)
		want string
	}{
		{"cert digest", func(cc *certContext) { cc.certDigest = []byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=") }, FindingCertDigestMismatch},
		{"serial", func(cc *certContext) { cc.serial = []byte("12345") }, FindingIssuerSerialMismatch},
		{"issuer", func(cc *certContext) { cc.issuer = []byte("CN=Somebody Else,C=PL") }, FindingIssuerSerialMismatch},
	} {
		s := signer(t, c)
		cc := *s.cc
		tc.mut(&cc)
		s.cc = &cc
		signed, err := s.Sign(doc, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := mustVerify(t, signed)
		if got := errorCodes(r); len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s: findings %+v, want %s", tc.name, r.Findings, tc.want)
		}
		if out, ok := xmlsec1Verify(t, signed, c.CertificatePEM); !ok {
			t.Errorf("%s: xmlsec1 should not notice (it does not check XAdES semantics):\n%s", tc.name, out)
		}
	}
}

func TestVerifyCertificateFindings(t *testing.T) {
	c := credential(t, variants[2])
	signed, err := signer(t, c).Sign(request(t, authreq.SubjectCertificate), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := Verify(signed, VerifyOptions{Now: c.Credential.Certificate.NotAfter.Add(time.Hour)})
	if got := errorCodes(r); len(got) != 1 || got[0] != FindingCertificateExpired {
		t.Errorf("expired: %+v", r.Findings)
	}
	// A certificate without NIP/PESEL used with certificateSubject (21406),
	// and the same certificate with certificateFingerprint.
	k := c.Credential.Signer
	noID := selfSigned(t, k, "No Identity")
	for _, tc := range []struct {
		subject authreq.SubjectType
		want    []string
	}{
		{authreq.SubjectCertificate, []string{FindingSubjectIdentityMismatch}},
		{authreq.SubjectFingerprint, nil},
	} {
		s, err := NewSigner(k, noID)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := s.Sign(request(t, tc.subject), Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := mustVerify(t, signed)
		if strings.Join(errorCodes(r), ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: %+v", tc.subject, r.Findings)
		}
	}
}

// selfSigned makes a certificate whose subject is only a CN: no identity
// KSeF can read.
func selfSigned(t *testing.T, key crypto.Signer, cn string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestPendingExternalSigner(t *testing.T) {
	for _, v := range []variant{variants[0], variants[2], variants[4]} {
		c := credential(t, v)
		doc := request(t, authreq.SubjectCertificate)
		p, err := Prepare(doc, c.Credential.Certificate, Options{})
		if err != nil {
			t.Fatal(err)
		}
		state, err := p.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		// A driver hands out the digest, the caller signs it somewhere else…
		var value []byte
		switch k := c.Credential.Signer.(type) {
		case *rsa.PrivateKey:
			value, err = rsa.SignPKCS1v15(rand.Reader, k, p.Hash, p.Digest)
		case *ecdsa.PrivateKey:
			value, err = ecdsa.SignASN1(rand.Reader, k, p.Digest) // DER, as tokens return
		}
		if err != nil {
			t.Fatal(err)
		}
		// … and the signature is completed from the saved state.
		q, err := ResumePending(state)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(q.Digest, p.Digest) || q.SignatureMethod != p.SignatureMethod || q.KeyType != p.KeyType || q.HashName != p.HashName {
			t.Fatalf("resumed %+v, prepared %+v", q, p)
		}
		signed, err := q.Complete(value)
		if err != nil {
			t.Fatal(err)
		}
		if r := mustVerify(t, signed); !r.Valid {
			t.Fatalf("%s: %+v", v.name, r.Findings)
		}
		if out, ok := xmlsec1Verify(t, signed, c.CertificatePEM); !ok {
			t.Fatalf("%s: xmlsec1:\n%s", v.name, out)
		}
		if v.keyType != "RSA" {
			// Raw r||s is accepted as is.
			raw, _ := derToRaw(value, p.cc.alg.size)
			if _, err := p.Complete(raw); err != nil {
				t.Errorf("raw r||s: %v", err)
			}
		}
		// A signature of something else is refused before anything is posted.
		bad := append([]byte(nil), value...)
		bad[len(bad)-1] ^= 1
		if _, err := p.Complete(bad); errs.As(err) == nil || errs.As(err).Findings[0] != FindingSignatureValueInvalid {
			t.Errorf("bad value: %v", err)
		}
		if _, err := p.Complete([]byte("short")); err == nil {
			t.Error("garbage value accepted")
		}
	}
	if _, err := ResumePending([]byte(`{"version":1}`)); errs.CodeOf(err) != errs.InputInvalid {
		t.Errorf("empty state: %v", err)
	}
	c := credential(t, variants[2])
	p, _ := Prepare(request(t, authreq.SubjectCertificate), c.Credential.Certificate, Options{})
	state, _ := p.MarshalState()
	altered := bytes.Replace(state, []byte(`"signingTime":"2`), []byte(`"signingTime":"1`), 1)
	if _, err := ResumePending(altered); err == nil {
		t.Error("altered state accepted")
	}
	if p.Hash != crypto.SHA256 || p.HashName != "SHA-256" || p.KeyType != "ECDSA" {
		t.Errorf("pending %+v", p)
	}
}

func TestDERToRaw(t *testing.T) {
	// r with a leading zero byte after the sign octet, s short.
	der := []byte{0x30, 0x0a, 0x02, 0x03, 0x00, 0x80, 0x01, 0x02, 0x03, 0x00, 0x00, 0x05}
	raw, ok := derToRaw(der, 4)
	if !ok || !bytes.Equal(raw, []byte{0, 0, 0x80, 0x01, 0, 0, 0, 5}) {
		t.Errorf("raw % x ok %v", raw, ok)
	}
	for _, bad := range [][]byte{nil, {0x30}, {0x30, 0x02, 0x02, 0x00}, {0x30, 0x03, 0x02, 0x01, 0x80}, append(der, 0)} {
		if _, ok := derToRaw(bad, 4); ok {
			t.Errorf("% x accepted", bad)
		}
	}
	if _, ok := derToRaw([]byte{0x30, 0x08, 0x02, 0x03, 0x01, 0x02, 0x03, 0x02, 0x01, 0x01}, 2); ok {
		t.Error("oversized integer accepted")
	}
}
