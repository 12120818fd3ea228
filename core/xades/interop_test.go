package xades

import "testing"

// Documents whose canonical form goxmldsig (used before core/c14n) got
// wrong: signing them produced digests xmlsec1 rejected. Each must now sign
// and verify with both verifiers.
func TestSignCanonicalizationCorners(t *testing.T) {
	c := credential(t, variants[2])
	for _, doc := range []string{
		// An empty default namespace with no non-empty one around it: no
		// xmlns="" in the canonical form.
		`<R xmlns=""><x/></R>`,
		// Attributes sort by namespace URI, not by prefix or local name.
		`<R xmlns:b="urn:a" xmlns:a="urn:z"><e a:x="1" b:y="2"/></R>`,
		// CR LF inside a comment or PI reads as LF.
		"<R><?pi a\r\nb?><x/></R>",
	} {
		signed, err := signer(t, c).Sign([]byte(doc), Options{})
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		if r := mustVerify(t, signed); len(errorCodes(r)) != 0 {
			t.Errorf("%q: %+v", doc, r.Findings)
		}
		if out, ok := xmlsec1Verify(t, signed, c.CertificatePEM); !ok {
			t.Errorf("xmlsec1 rejected %q:\n%s", doc, out)
		}
	}
}
