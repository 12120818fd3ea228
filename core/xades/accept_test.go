package xades

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/authreq"
	"github.com/ksefkit/ksefkit/core/certs"
)

// Signatures other tools make that KSeF accepts although they are not the
// profile this package signs with (issue 9 item 9), and their neighbours
// that stay rejected.

// strip removes the first element matching re from a signed document and
// signs it again (exclusive C14N), as a tool that never wrote it would.
func strip(t *testing.T, signed []byte, c *certs.TestCertificate, re string) []byte {
	t.Helper()
	out := regexp.MustCompile(re).ReplaceAll(signed, nil)
	if len(out) == len(signed) {
		t.Fatalf("%s is not in the signed document", re)
	}
	return resign(t, out, c.Credential.Signer, resignOptions{siC14N: AlgExcC14N, refC14N: AlgExcC14N})
}

const (
	reSigningTime = `<xades:SigningTime>[^<]*</xades:SigningTime>`
	reSigningCert = `(?s)<xades:SigningCertificate>.*</xades:SigningCertificate>`
)

// severities maps finding codes to their severity.
func severities(r *Report) map[string]string {
	out := map[string]string{}
	for _, f := range r.Findings {
		out[f.Code] = f.Severity
	}
	return out
}

// XAdES-BES makes SigningTime optional and KSeF does not require it: a
// signature without one is valid with a warning, the checks against the
// signing time do not apply, and everything else is still checked.
func TestSigningTimeOptional(t *testing.T) {
	for _, v := range []variant{variants[0], variants[2]} {
		c := credential(t, v)
		signed, err := signer(t, c).Sign(request(t, authreq.SubjectCertificate), Options{})
		if err != nil {
			t.Fatal(err)
		}
		noTime := strip(t, signed, c, reSigningTime)
		r := mustVerify(t, noTime)
		if !r.Valid || severities(r)[FindingMissingSigningTime] != "warning" || len(errorCodes(r)) != 0 || !r.SigningTime.IsZero() {
			t.Errorf("%s without SigningTime: valid=%v %+v", v.name, r.Valid, r.Findings)
		}
		if msg, ok := xmlsec1Verify(t, noTime, c.CertificatePEM); !ok {
			t.Errorf("%s: xmlsec1 rejects the re-signed document:\n%s", v.name, msg)
		}

		for _, tc := range []struct {
			name string
			doc  []byte
			opts VerifyOptions
			want []string // error findings
		}{
			// Taken out without signing again: the digest notices.
			{"stripped after signing", regexp.MustCompile(reSigningTime).ReplaceAll(signed, nil), VerifyOptions{}, []string{FindingSignedPropertiesDigestMismatch}},
			{"no SigningCertificate", strip(t, signed, c, reSigningCert), VerifyOptions{}, []string{FindingMissingSigningCertificate}},
			{"neither", strip(t, noTime, c, reSigningCert), VerifyOptions{}, []string{FindingMissingSigningCertificate}},
			{"expired certificate", noTime, VerifyOptions{Now: c.Credential.Certificate.NotAfter.Add(time.Hour)}, []string{FindingCertificateExpired}},
			// A receipt is held to its signing time; claiming none, it is
			// held to now.
			{"receipt", noTime, VerifyOptions{Receipt: true}, nil},
			{"receipt, expired certificate", noTime, VerifyOptions{Receipt: true, Now: c.Credential.Certificate.NotAfter.Add(time.Hour)}, []string{FindingCertificateExpired}},
		} {
			r, err := Verify(tc.doc, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := errorCodes(r); !slices.Equal(got, tc.want) || r.Valid != (len(tc.want) == 0) {
				t.Errorf("%s/%s: valid=%v %+v, want errors %v", v.name, tc.name, r.Valid, r.Findings, tc.want)
			}
		}
	}
}

// X509IssuerName is compared as a name: RDN by RDN, in RFC 4514's order or
// in the certificate's own (DER) order, as some tools write it
// ("C=PL, GN=…, SN=…, CN=…") and KSeF accepts. Other arrangements, other
// names and other serials are still mismatches.
func TestIssuerNameOrder(t *testing.T) {
	c := credential(t, variants[2])
	cert := c.Credential.Certificate
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(cert.RawIssuer, &seq); err != nil {
		t.Fatal(err)
	}
	if len(seq) < 3 {
		t.Fatalf("the test certificate's issuer has %d RDNs; the orders below need 3", len(seq))
	}
	// rdns are the issuer's RDNs in DER order, each as RFC 4514 text.
	rdns := make([]string, len(seq))
	for i, rdn := range seq {
		der, err := asn1.Marshal(pkix.RDNSequence{rdn})
		if err != nil {
			t.Fatal(err)
		}
		if rdns[i], err = certs.FormatDN(der, certs.DNReadable); err != nil {
			t.Fatal(err)
		}
	}
	derOrder := strings.Join(rdns, ", ")
	rfcOrder := slices.Clone(rdns)
	slices.Reverse(rfcOrder)
	third := slices.Clone(rdns)
	third[0], third[1] = third[1], third[0]
	merged := append([]string{rdns[0] + "+" + rdns[1]}, rdns[2:]...)
	if !strings.Contains(derOrder, "givenName=") {
		t.Fatalf("the test issuer %q has no givenName to write as GN", derOrder)
	}

	for _, tc := range []struct {
		name   string
		issuer string
		want   []string // error findings
	}{
		{"RFC 4514 order", strings.Join(rfcOrder, ","), nil},
		{"DER order", derOrder, nil},
		{"DER order, GN= and SN= keywords", strings.Replace(derOrder, "givenName=", "GN=", 1), nil},
		{"RDNs in a third order", strings.Join(third, ", "), []string{FindingIssuerSerialMismatch}},
		{"two RDNs merged into one", strings.Join(merged, ", "), []string{FindingIssuerSerialMismatch}},
		{"an RDN missing", strings.Join(rdns[1:], ", "), []string{FindingIssuerSerialMismatch}},
		{"another name, DER order", derOrder + ", CN=Somebody Else", []string{FindingIssuerSerialMismatch}},
		{"another name", "CN=Somebody Else,C=PL", []string{FindingIssuerSerialMismatch}},
	} {
		s := signer(t, c)
		cc := *s.cc
		cc.issuer = appendEscapedText(nil, tc.issuer)
		s.cc = &cc
		signed, err := s.Sign(request(t, authreq.SubjectCertificate), Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := mustVerify(t, signed)
		if got := errorCodes(r); !slices.Equal(got, tc.want) || r.Valid != (len(tc.want) == 0) {
			t.Errorf("%s (%q): valid=%v %+v, want errors %v", tc.name, tc.issuer, r.Valid, r.Findings, tc.want)
		}
		if len(tc.want) == 0 && len(r.Findings) != 0 {
			t.Errorf("%s: an accepted order needs no warning: %+v", tc.name, r.Findings)
		}
	}
}
