package xades

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/ksefkit/ksefkit/core/authreq"
)

// The fragments the signer writes are exactly their own exclusive C14N:
// canonicalizing them in the signed document through core/c14n gives the
// bytes that were digested and signed.
func TestTemplatesAreCanonical(t *testing.T) {
	for _, v := range []variant{variants[0], variants[3]} {
		c := credential(t, v)
		s := signer(t, c)
		// A fixed signing time: the template is rebuilt below, and "now"
		// could move to the next second in between.
		opts := Options{SignatureID: "S", SignedPropertiesID: "P", ReferenceID: "R", SigningTime: time.Now().UTC().Add(-time.Minute).Truncate(time.Second)}
		for _, doc := range [][]byte{
			request(t, authreq.SubjectCertificate),
			[]byte(`<r:A xmlns:r="urn:r" xmlns:ds="urn:decoy" xmlns:xades="urn:decoy2" xmlns="urn:default"><B/></r:A>`),
		} {
			signed, err := s.Sign(doc, opts)
			if err != nil {
				t.Fatal(err)
			}
			o, _, _ := resolveOptions(opts)
			wantSP := s.cc.appendSignedProperties(nil, true, o)
			d, err := parseDocument(signed)
			if err != nil {
				t.Fatal(err)
			}
			sp := findAll(d.Root(), NamespaceXAdES, "SignedProperties", nil)[0]
			gotSP, err := canonicalSubtree(sp, excC14N, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotSP, wantSP) {
				t.Errorf("SignedProperties:\nc14n     %s\ntemplate %s", gotSP, wantSP)
			}
			si := findAll(d.Root(), NamespaceDSig, "SignedInfo", nil)[0]
			gotSI, err := canonicalSubtree(si, excC14N, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.cc.prepare(doc, opts)
			if err != nil {
				t.Fatal(err)
			}
			h := p.Hash.New()
			h.Write(gotSI)
			if !bytes.Equal(h.Sum(nil), p.Digest) {
				t.Errorf("SignedInfo canonical form differs from the signed bytes:\n%s", gotSI)
			}
		}
	}
}

// resign rewrites a signed document the way other tools sign (other C14N
// algorithms, transforms, encodings) and signs it again, so the verifier
// and xmlsec1 can be checked on those forms.
type resignOptions struct {
	siC14N, refC14N string // CanonicalizationMethod and reference transform
	filter2         bool   // XPath-Filter2 instead of enveloped-signature
	xpath           bool   // XPath not(ancestor-or-self::ds:Signature)
	digest          string // DigestMethod URI for both references
	method          string // SignatureMethod URI
	derECDSA        bool
	pss             bool
	dropType        bool
}

func resign(t *testing.T, signed []byte, key crypto.Signer, o resignOptions) []byte {
	t.Helper()
	d, err := parseDocument(signed)
	if err != nil {
		t.Fatal(err)
	}
	root := d.Root()
	sig := findAll(root, NamespaceDSig, "Signature", nil)[0]
	si := child(sig, NamespaceDSig, "SignedInfo")
	child(si, NamespaceDSig, "CanonicalizationMethod").CreateAttr("Algorithm", o.siC14N)
	if o.method != "" {
		child(si, NamespaceDSig, "SignatureMethod").CreateAttr("Algorithm", o.method)
	}
	refs := children(si, NamespaceDSig, "Reference")
	docRef, spRef := refs[0], refs[1]
	if o.dropType {
		spRef.RemoveAttr("Type")
	}
	tr := children(child(docRef, NamespaceDSig, "Transforms"), NamespaceDSig, "Transform")
	switch {
	case o.filter2:
		tr[0].CreateAttr("Algorithm", AlgXPathFilter2)
		x := tr[0].CreateElement("dsig-xpath:XPath")
		x.CreateAttr("xmlns:dsig-xpath", AlgXPathFilter2)
		x.CreateAttr("Filter", "subtract")
		x.SetText("/descendant::ds:Signature")
	case o.xpath:
		tr[0].CreateAttr("Algorithm", AlgXPath)
		tr[0].CreateElement("ds:XPath").SetText("not(ancestor-or-self::ds:Signature)")
	}
	tr[1].CreateAttr("Algorithm", o.refC14N)
	child(child(spRef, NamespaceDSig, "Transforms"), NamespaceDSig, "Transform").CreateAttr("Algorithm", o.refC14N)

	dig := func(ref *etree.Element, data []byte) {
		alg := AlgSHA256
		if o.digest != "" {
			alg = o.digest
		}
		child(ref, NamespaceDSig, "DigestMethod").CreateAttr("Algorithm", alg)
		var sum []byte
		if alg == AlgSHA1 {
			s := sha1.Sum(data)
			sum = s[:]
		} else {
			s := sha256.Sum256(data)
			sum = s[:]
		}
		child(ref, NamespaceDSig, "DigestValue").SetText(base64.StdEncoding.EncodeToString(sum))
	}
	rc, _ := canonicalizer(o.refC14N, "", false)
	sp := findAll(root, NamespaceXAdES, "SignedProperties", nil)[0]
	spBytes, err := canonicalSubtree(sp, rc, nil)
	if err != nil {
		t.Fatal(err)
	}
	dig(spRef, spBytes)
	docBytes, err := canonicalDocument(d, rc, isSignature)
	if err != nil {
		t.Fatal(err)
	}
	dig(docRef, docBytes)

	sc, _ := canonicalizer(o.siC14N, "", true)
	siBytes, err := canonicalSubtree(si, sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := sigMethodOf(attrOr(child(si, NamespaceDSig, "SignatureMethod"), "Algorithm"))
	h := m.hash.New()
	h.Write(siBytes)
	var value []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if o.pss {
			value, err = rsa.SignPSS(rand.Reader, k, m.hash, h.Sum(nil), nil)
		} else {
			value, err = rsa.SignPKCS1v15(rand.Reader, k, m.hash, h.Sum(nil))
		}
	case *ecdsa.PrivateKey:
		value, err = ecdsa.SignASN1(rand.Reader, k, h.Sum(nil))
		if !o.derECDSA {
			value, _ = derToRaw(value, (k.Curve.Params().BitSize+7)/8)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	child(sig, NamespaceDSig, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	out, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func attrOr(el *etree.Element, key string) string { v, _ := attr(el, key); return v }

func TestVerifyOtherToolForms(t *testing.T) {
	for _, v := range []variant{variants[0], variants[2]} {
		c := credential(t, v)
		signed, err := signer(t, c).Sign(request(t, authreq.SubjectCertificate), Options{})
		if err != nil {
			t.Fatal(err)
		}
		method := AlgRSASHA256
		if v.keyType != "RSA" {
			method = AlgECDSASHA256
		}
		for _, tc := range []struct {
			name    string
			o       resignOptions
			want    []string // error findings
			xmlsec1 bool     // whether xmlsec1 accepts it
		}{
			{"c14n10", resignOptions{siC14N: AlgC14N10, refC14N: AlgC14N10}, nil, true},
			{"c14n10 comments", resignOptions{siC14N: AlgC14N10WithComments, refC14N: AlgC14N10WithComments}, nil, true},
			{"c14n11", resignOptions{siC14N: AlgC14N11, refC14N: AlgC14N11}, nil, true},
			{"c14n11 comments", resignOptions{siC14N: AlgC14N11WithComments, refC14N: AlgC14N11}, nil, true},
			{"exc comments", resignOptions{siC14N: AlgExcC14NWithComments, refC14N: AlgExcC14NWithComments}, nil, true},
			{"c14n10 SignedInfo, exc refs (.NET)", resignOptions{siC14N: AlgC14N10, refC14N: AlgExcC14N}, nil, true},
			{"xpath filter2 (DSS)", resignOptions{siC14N: AlgExcC14N, refC14N: AlgExcC14N, filter2: true}, nil, true},
			{"xpath", resignOptions{siC14N: AlgExcC14N, refC14N: AlgExcC14N, xpath: true}, nil, true},
			{"sha1 digests", resignOptions{siC14N: AlgExcC14N, refC14N: AlgExcC14N, digest: AlgSHA1}, []string{FindingSHA1Digest, FindingSHA1Digest}, true},
			{"no reference type", resignOptions{siC14N: AlgExcC14N, refC14N: AlgExcC14N, dropType: true}, []string{FindingReferenceTypeMissing}, true},
		} {
			tc.o.method = method
			out := resign(t, signed, c.Credential.Signer, tc.o)
			r := mustVerify(t, out)
			if strings.Join(errorCodes(r), ",") != strings.Join(tc.want, ",") {
				t.Errorf("%s/%s: findings %+v", v.name, tc.name, r.Findings)
			}
			if msg, ok := xmlsec1Verify(t, out, c.CertificatePEM); ok != tc.xmlsec1 {
				t.Errorf("%s/%s: xmlsec1 ok=%v:\n%s", v.name, tc.name, ok, msg)
			}
		}
		if v.keyType == "RSA" {
			for _, tc := range []struct {
				name string
				o    resignOptions
				want []string
			}{
				{"pss", resignOptions{method: "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1", pss: true}, []string{FindingRSAPSS}},
				{"rsa-sha1", resignOptions{method: AlgRSASHA1}, []string{FindingSHA1Signature}},
			} {
				tc.o.siC14N, tc.o.refC14N = AlgExcC14N, AlgExcC14N
				r := mustVerify(t, resign(t, signed, c.Credential.Signer, tc.o))
				if strings.Join(errorCodes(r), ",") != strings.Join(tc.want, ",") {
					t.Errorf("%s: %+v", tc.name, r.Findings)
				}
			}
		} else {
			out := resign(t, signed, c.Credential.Signer, resignOptions{siC14N: AlgExcC14N, refC14N: AlgExcC14N, method: method, derECDSA: true})
			r := mustVerify(t, out)
			if strings.Join(errorCodes(r), ",") != FindingECDSADERSignature {
				t.Errorf("DER ECDSA: %+v", r.Findings)
			}
			if msg, ok := xmlsec1Verify(t, out, c.CertificatePEM); ok {
				t.Errorf("xmlsec1 accepted a DER ECDSA value:\n%s", msg)
			}
		}
	}
}

func TestVerifyStructuralFindings(t *testing.T) {
	c := credential(t, variants[2])
	signed, err := signer(t, c).Sign(request(t, authreq.SubjectCertificate), Options{SignatureID: "S", SignedPropertiesID: "P", ReferenceID: "R"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(signed)
	sigStart := strings.Index(s, "<ds:Signature")
	sigEnd := strings.Index(s, "</ds:Signature>") + len("</ds:Signature>")
	sigXML := s[sigStart:sigEnd]
	unsigned := s[:sigStart] + s[sigEnd:]
	for _, tc := range []struct {
		name string
		doc  string
		want string
	}{
		{"unsigned", unsigned, FindingNoSignature},
		{"two signatures", s[:sigEnd] + sigXML + s[sigEnd:], FindingMultipleSignatures},
		{"nested", strings.Replace(unsigned, "</ContextIdentifier>", sigXML+"</ContextIdentifier>", 1), FindingNotEnveloped},
		{"no signed properties", strings.ReplaceAll(s, "QualifyingProperties", "QualifyingPropertiez"), FindingMissingSignedProperties},
		{"no KeyInfo", s[:strings.Index(s, "<ds:KeyInfo>")] + s[strings.Index(s, "</ds:KeyInfo>")+len("</ds:KeyInfo>"):], FindingMissingCertificate},
	} {
		r, err := Verify([]byte(tc.doc), VerifyOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if r.Valid || !r.Has(tc.want) {
			t.Errorf("%s: %+v, want %s", tc.name, r.Findings, tc.want)
		}
	}
	// Moved away from the end of the root: a warning only.
	moved := strings.Replace(unsigned, "<ContextIdentifier>", sigXML+"<ContextIdentifier>", 1)
	if r := mustVerify(t, []byte(moved)); !r.Has(FindingSignatureNotLastChild) || !r.Valid {
		t.Errorf("moved: %+v", r.Findings)
	}
	if _, err := Verify([]byte("garbage"), VerifyOptions{}); err == nil {
		t.Error("garbage gave no error")
	}
}
