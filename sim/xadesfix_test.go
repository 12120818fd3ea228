package sim

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/ksefkit/ksefkit/core/authreq"
	"github.com/ksefkit/ksefkit/core/c14n"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/xades"
)

// resign edits a signature made by core/xades (ECDSA key) and signs it
// again, the way another tool would have produced the edited form.
func resign(t *testing.T, signed []byte, key *ecdsa.PrivateKey, edit func(sig *etree.Element)) []byte {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(signed); err != nil {
		t.Fatal(err)
	}
	sig := d.FindElement("//Signature")
	edit(sig)
	excl := c14n.Options{Method: c14n.Exclusive10}
	sp := sig.FindElement(".//SignedProperties")
	canon, err := c14n.Subtree(sp, excl)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(canon)
	for _, ref := range sig.FindElements("./SignedInfo/Reference") {
		if ref.SelectAttrValue("URI", "") == "#"+sp.SelectAttrValue("Id", "") {
			ref.FindElement("./DigestValue").SetText(base64.StdEncoding.EncodeToString(sum[:]))
		}
	}
	canon, err = c14n.Subtree(sig.FindElement("./SignedInfo"), excl)
	if err != nil {
		t.Fatal(err)
	}
	sum = sha256.Sum256(canon)
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	raw := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	sig.FindElement("./SignatureValue").SetText(base64.StdEncoding.EncodeToString(raw))
	out, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Public clients sign in ways KSeF accepts though they are not the profile
// core/xades signs with; core/xades's verifier accepts them as KSeF does,
// and so does the simulator, which adds KSeF's sig-001 warning.
func TestXAdESAcceptedLikeKSeF(t *testing.T) {
	_, c := startSim(t, Options{AuthDelay: NoAuthDelay})
	signed := func(t *testing.T, edit func(sig *etree.Element, tc *certs.TestCertificate)) []byte {
		nip := ids.RandomNIP()
		doc, tc := signedRequest(t, certs.TestOptions{NIP: nip},
			authreq.Request{Challenge: c.challenge().Challenge, Context: nipContext(nip), SubjectType: authreq.SubjectCertificate})
		return resign(t, doc, tc.Credential.Signer.(*ecdsa.PrivateKey), func(sig *etree.Element) { edit(sig, tc) })
	}

	t.Run("XAdES-BES without SigningTime", func(t *testing.T) {
		doc := signed(t, func(sig *etree.Element, _ *certs.TestCertificate) {
			st := sig.FindElement(".//SigningTime")
			st.Parent().RemoveChild(st)
		})
		if rep, _ := xades.Verify(doc, xades.VerifyOptions{}); !rep.Valid || !rep.Has(xades.FindingMissingSigningTime) {
			t.Fatalf("core/xades should accept it with a warning: %+v", rep.Findings)
		}
		r := accepted(t, c, doc)
		if w := r.header.Get("X-System-Warning"); !strings.HasPrefix(w, "[sig-001]") {
			t.Fatalf("X-System-Warning %q, want the sig-001 warning", w)
		}
	})

	t.Run("X509IssuerName in certificate (DER) order", func(t *testing.T) {
		doc := signed(t, func(sig *etree.Element, tc *certs.TestCertificate) {
			var seq pkix.RDNSequence
			if _, err := asn1.Unmarshal(tc.Credential.Certificate.RawIssuer, &seq); err != nil {
				t.Fatal(err)
			}
			var rdns []string // in the certificate's own order
			for _, rdn := range seq {
				der, _ := asn1.Marshal(pkix.RDNSequence{rdn})
				s, err := certs.FormatDN(der, certs.DNReadable)
				if err != nil {
					t.Fatal(err)
				}
				rdns = append(rdns, s)
			}
			// Written the way the client did: "C=PL, GN=…, SN=…, …, CN=…".
			dn := strings.Replace(strings.Join(rdns, ", "), "givenName=", "GN=", 1)
			sig.FindElement(".//X509IssuerName").SetText(dn)
		})
		if !strings.Contains(string(doc), "C=PL, GN=Jan") {
			t.Fatalf("issuer not in DER order: %s", doc)
		}
		if rep, _ := xades.Verify(doc, xades.VerifyOptions{}); !rep.Valid || len(rep.Findings) != 0 {
			t.Fatalf("core/xades should accept the DER order as it is: %+v", rep.Findings)
		}
		accepted(t, c, doc)
	})

	t.Run("a wrong issuer name is still rejected", func(t *testing.T) {
		doc := signed(t, func(sig *etree.Element, _ *certs.TestCertificate) {
			sig.FindElement(".//X509IssuerName").SetText("CN=Someone Else, C=PL")
		})
		wantException(t, c.postXML(doc, ""), codeInvalidSignature)
	})
}

// accepted posts a signed request that must be accepted and end with 200.
func accepted(t *testing.T, c *client, doc []byte) reply {
	t.Helper()
	r := c.postXML(doc, "")
	if r.status != 202 {
		t.Fatalf("rejected: %v", r)
	}
	var init authInitResponse
	r.json(t, &init)
	if st := c.poll(init); st.Status.Code != 200 {
		t.Fatalf("%+v", st.Status)
	}
	return r
}
