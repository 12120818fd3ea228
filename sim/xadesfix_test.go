package sim

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
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

// Public clients sign in ways KSeF accepts but core/xades's verifier is
// stricter about; the simulator must accept them as KSeF does.
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
		rep, _ := xades.Verify(doc, xades.VerifyOptions{})
		if !rep.Has(xades.FindingMissingSigningTime) || !rep.Valid && len(errorMessages(rep)) != 1 {
			t.Fatalf("the edit did not produce exactly the missing SigningTime: %+v", rep.Findings)
		}
		r := accepted(t, c, doc)
		if w := r.header.Get("X-System-Warning"); !strings.HasPrefix(w, "[sig-001]") {
			t.Fatalf("X-System-Warning %q, want the sig-001 warning", w)
		}
	})

	t.Run("X509IssuerName in certificate (DER) order", func(t *testing.T) {
		doc := signed(t, func(sig *etree.Element, tc *certs.TestCertificate) {
			rfc, err := certs.FormatDN(tc.Credential.Certificate.RawIssuer, certs.DNReadable)
			if err != nil {
				t.Fatal(err)
			}
			rdns := splitRDNs(rfc)
			for i, j := 0, len(rdns)-1; i < j; i, j = i+1, j-1 {
				rdns[i], rdns[j] = rdns[j], rdns[i]
			}
			// Written the way the client did: "C=PL, GN=…, SN=…, …, CN=…".
			dn := strings.Replace(strings.Join(rdns, ", "), "givenName=", "GN=", 1)
			sig.FindElement(".//X509IssuerName").SetText(dn)
		})
		if !strings.Contains(string(doc), "C=PL, GN=Jan") {
			t.Fatalf("issuer not in DER order: %s", doc)
		}
		if rep, _ := xades.Verify(doc, xades.VerifyOptions{}); !rep.Has(xades.FindingIssuerSerialMismatch) {
			t.Fatal("core/xades accepts the DER order now; this relaxation can go")
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

func TestSplitRDNs(t *testing.T) {
	got := splitRDNs(`CN=a\,b, O="x, y";C=PL+SN=z`)
	want := []string{`CN=a\,b`, `O="x, y"`, `C=PL+SN=z`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("%q", got)
	}
}
