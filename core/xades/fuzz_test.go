package xades

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzVerify: garbage must give an error or findings, never a panic.
// Without -fuzz only the seed corpus runs.
func FuzzVerify(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/*.xml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte(`<R><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:Reference URI="#x"/></ds:SignedInfo><ds:SignatureValue/></ds:Signature></R>`))
	f.Add([]byte(`<R Id="x"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="s"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/><ds:Reference URI="#x"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"/></ds:Transforms></ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>MAA=</ds:X509Certificate></ds:X509Data></ds:KeyInfo><ds:Object><xades:QualifyingProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#"><xades:SignedProperties><xades:SignedSignatureProperties><xades:SigningCertificateV2><xades:Cert><xades:IssuerSerialV2>MAA=</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties></ds:Object></ds:Signature></R>`))
	f.Add([]byte("<?xml version='1.0'?><a/>"))
	f.Add([]byte("\x00\xff<"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Verify(b, VerifyOptions{})
		if r == nil {
			t.Fatal("nil report")
		}
		if err == nil && r.Valid && len(r.Findings) == 0 && len(b) < 200 {
			t.Fatalf("tiny input verified: %q", b)
		}
	})
}
