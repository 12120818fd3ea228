package xades

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/ksefkit/ksefkit/core/c14n"
	"github.com/ksefkit/ksefkit/core/certs"
)

// TestReceiptOutlivesItsCertificate: a receipt signed while its
// certificate was valid still verifies after the certificate expired; a
// request to KSeF does not.
func TestReceiptOutlivesItsCertificate(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signed := time.Now().AddDate(-1, 0, 0)
	tc, err := certs.GenerateTest(certs.TestOptions{Kind: "seal", NIP: testNIP, Key: key,
		NotBefore: signed.AddDate(0, -1, 0), NotAfter: signed.AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(key, tc.Credential.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := s.Sign([]byte(`<Potwierdzenie xmlns="urn:x"><A>1</A></Potwierdzenie>`), Options{SigningTime: signed})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := Verify(doc, VerifyOptions{}); r.Valid || !r.Has(FindingCertificateExpired) {
		t.Fatalf("a request with an expired certificate verified: %+v", r.Findings)
	}
	r, _ := Verify(doc, VerifyOptions{Receipt: true})
	if !r.Valid || len(r.Certificates) != 1 || !r.Certificates[0].Equal(tc.Credential.Certificate) {
		t.Fatalf("receipt: %+v", r.Findings)
	}
	// Signed outside the certificate's validity it fails as a receipt too.
	late, err := s.Sign([]byte(`<P xmlns="urn:x"><A>2</A></P>`), Options{SigningTime: signed})
	if err != nil {
		t.Fatal(err)
	}
	late = []byte(strings.Replace(string(late), signed.UTC().Format(SigningTimeLayout), signed.AddDate(0, 2, 0).UTC().Format(SigningTimeLayout), 1))
	if r, _ := Verify(late, VerifyOptions{Receipt: true}); r.Valid || !r.Has(FindingCertificateExpired) {
		t.Fatalf("signing time outside the validity: %+v", r.Findings)
	}
}

// TestReceiptAcceptsRSAPSS: a receipt signed with RSA-PSS verifies (with a
// warning); a request signed so is refused as KSeF refuses it.
func TestReceiptAcceptsRSAPSS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := certs.GenerateTest(certs.TestOptions{Kind: "seal", NIP: testNIP, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(key, tc.Credential.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := s.Sign([]byte(`<Potwierdzenie xmlns="urn:x"><A>3</A></Potwierdzenie>`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Re-sign SignedInfo with PSS in place of PKCS#1 v1.5.
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	si := d.FindElement("//SignedInfo")
	si.FindElement("SignatureMethod").CreateAttr("Algorithm", "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1")
	canon, err := canonicalSubtree(si, c14n.Options{Method: c14n.Exclusive10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(canon)
	sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, sum[:], nil)
	if err != nil {
		t.Fatal(err)
	}
	d.FindElement("//SignatureValue").SetText(base64.StdEncoding.EncodeToString(sig))
	out, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := Verify(out, VerifyOptions{}); r.Valid || !r.Has(FindingRSAPSS) {
		t.Fatalf("request: %+v", r.Findings)
	}
	if r, _ := Verify(out, VerifyOptions{Receipt: true}); !r.Valid || !r.Has(FindingRSAPSS) {
		t.Fatalf("receipt: %+v", r.Findings)
	}
}
