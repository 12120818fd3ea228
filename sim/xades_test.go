package sim

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/authreq"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ippolicy"
	"github.com/ksefkit/ksefkit/core/xades"
)

// signedRequest builds and signs an AuthTokenRequest with a fresh
// self-signed test certificate.
func signedRequest(t *testing.T, opts certs.TestOptions, req authreq.Request) ([]byte, *certs.TestCertificate) {
	t.Helper()
	tc, err := certs.GenerateTest(opts)
	if err != nil {
		t.Fatal(err)
	}
	return signWith(t, tc, req), tc
}

func signWith(t *testing.T, tc *certs.TestCertificate, req authreq.Request) []byte {
	t.Helper()
	doc, err := req.XML()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := xades.NewSigner(tc.Credential.Signer, tc.Credential.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := signer.Sign(doc, xades.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func (c *client) postXML(doc []byte, query string) reply {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+"/auth/xades-signature"+query, bytes.NewReader(doc))
	req.Header.Set("Content-Type", "application/xml")
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return reply{resp.StatusCode, resp.Header, b.Bytes()}
}

func (c *client) xadesLogin(doc []byte, query string) (authInitResponse, authStatusResponse) {
	c.t.Helper()
	r := c.postXML(doc, query)
	if r.status != http.StatusAccepted {
		c.t.Fatalf("xades-signature: %v", r)
	}
	var init authInitResponse
	r.json(c.t, &init)
	return init, c.poll(init)
}

func TestXAdESAuthentication(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay})

	t.Run("personal certificate with its own NIP", func(t *testing.T) {
		nip := ids.RandomNIP()
		doc, _ := signedRequest(t, certs.TestOptions{NIP: nip},
			authreq.Request{Challenge: c.challenge().Challenge, Context: nipContext(nip), SubjectType: authreq.SubjectCertificate})
		init, st := c.xadesLogin(doc, "")
		if st.Status.Code != 200 || st.AuthenticationMethodInfo.Category != "XadesSignature" || st.AuthenticationMethod != "QualifiedSignature" {
			t.Fatalf("%+v", st)
		}
		if r := c.do("POST", "/auth/token/redeem", init.AuthenticationToken.Token, nil); r.status != 200 {
			t.Fatalf("redeem: %v", r)
		}
	})

	t.Run("seal with a policy, RSA key", func(t *testing.T) {
		nip := ids.RandomNIP()
		doc, _ := signedRequest(t, certs.TestOptions{Kind: "seal", NIP: nip, KeyType: "RSA"},
			authreq.Request{Challenge: c.challenge().Challenge, Context: nipContext(nip), SubjectType: authreq.SubjectCertificate,
				Policy: &ippolicy.Policy{AllowedIPs: &ippolicy.AllowedIPs{Addresses: []string{"127.0.0.1"}}}})
		if _, st := c.xadesLogin(doc, "?verifyCertificateChain=false"); st.Status.Code != 200 || st.AuthenticationMethod != "QualifiedSeal" {
			t.Fatalf("%+v", st)
		}
	})

	t.Run("fingerprint needs a grant", func(t *testing.T) {
		nip := ids.RandomNIP()
		ch := c.challenge().Challenge
		doc, tc := signedRequest(t, certs.TestOptions{NIP: ids.RandomNIP()},
			authreq.Request{Challenge: ch, Context: nipContext(nip), SubjectType: authreq.SubjectFingerprint})
		if _, st := c.xadesLogin(doc, ""); st.Status.Code != 415 {
			t.Fatalf("without grant: %+v", st.Status)
		}
		s.Grant(nipContext(nip), Identity{IdentityFingerprint, tc.Info.FingerprintSHA256}, "InvoiceRead")
		doc = signWith(t, tc, authreq.Request{Challenge: c.challenge().Challenge, Context: nipContext(nip), SubjectType: authreq.SubjectFingerprint})
		if _, st := c.xadesLogin(doc, ""); st.Status.Code != 200 {
			t.Fatalf("with grant: %+v", st.Status)
		}
		doc, _ = signedRequest(t, certs.TestOptions{Key: tc.Credential.Signer, NIP: tc.Info.Identity.Value},
			authreq.Request{Challenge: c.challenge().Challenge, Context: nipContext(nip), SubjectType: authreq.SubjectFingerprint})
		// A new certificate for the same key has another fingerprint.
		if _, st := c.xadesLogin(doc, ""); st.Status.Code != 415 {
			t.Fatalf("other certificate: %+v", st.Status)
		}
	})

	t.Run("verifyCertificateChain=true ends with 460", func(t *testing.T) {
		nip := ids.RandomNIP()
		doc, _ := signedRequest(t, certs.TestOptions{NIP: nip},
			authreq.Request{Challenge: c.challenge().Challenge, Context: nipContext(nip), SubjectType: authreq.SubjectCertificate})
		if _, st := c.xadesLogin(doc, "?verifyCertificateChain=true"); st.Status.Code != 460 {
			t.Fatalf("%+v", st.Status)
		}
	})

}

func TestXAdESExpiredCertificateEndsWith460(t *testing.T) {
	// The simulator lives three years ahead, so a certificate valid for
	// two years from today (the signer refuses expired ones) has expired.
	clock := newFakeClock()
	clock.t = time.Now().AddDate(3, 0, 0)
	_, c := startSim(t, Options{Clock: clock.Now, AuthDelay: NoAuthDelay})
	nip := ids.RandomNIP()
	doc, _ := signedRequest(t, certs.TestOptions{NIP: nip},
		authreq.Request{Challenge: c.challenge().Challenge, Context: nipContext(nip), SubjectType: authreq.SubjectCertificate})
	if _, st := c.xadesLogin(doc, ""); st.Status.Code != 460 {
		t.Fatalf("%+v", st.Status)
	}
}

func TestXAdESSynchronousErrors(t *testing.T) {
	s, c := startSim(t, Options{})
	nip := ids.RandomNIP()
	ch := c.challenge().Challenge
	req := authreq.Request{Challenge: ch, Context: nipContext(nip), SubjectType: authreq.SubjectCertificate}
	doc, _ := signedRequest(t, certs.TestOptions{NIP: nip}, req)
	unsigned, _ := req.XML()

	tampered := bytes.Replace(doc, []byte(nip), []byte(ids.RandomNIP()), 1)
	for name, tc := range map[string]struct {
		doc  []byte
		code int
	}{
		"not XML":          {[]byte("<AuthTokenRequest"), codeUnreadable},
		"not UTF-8":        {[]byte("<a>\xff</a>"), codeBadEncoding},
		"wrong root":       {[]byte(`<Other xmlns="http://ksef.mf.gov.pl/auth/token/2.0"/>`), codeSchema},
		"unsigned":         {unsigned, codeNoSignature},
		"tampered":         {tampered, codeInvalidSignature},
		"bad subject type": {bytes.Replace(unsigned, []byte("certificateSubject"), []byte("somethingElse"), 1), codeSchema},
	} {
		t.Run(name, func(t *testing.T) {
			wantException(t, c.postXML(tc.doc, ""), tc.code)
		})
	}

	// The signature is valid: the challenge is used once.
	if r := c.postXML(doc, ""); r.status != 202 {
		t.Fatalf("valid: %v", r)
	}
	wantException(t, c.postXML(doc, ""), codeInvalidChallenge)

	// Only application/xml is accepted, as on KSeF.
	hreq, _ := http.NewRequest("POST", c.base+"/auth/xades-signature", bytes.NewReader(doc))
	hreq.Header.Set("Content-Type", "text/plain")
	resp, err := c.hc.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: %d", resp.StatusCode)
	}
	if v := s.SpecViolations(); len(v) != 1 || !strings.Contains(v[0], "Content-Type") {
		t.Fatalf("violations: %v", v)
	}
	s.ResetSpecViolations()
}
