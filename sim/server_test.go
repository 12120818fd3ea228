package sim

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/ids"
)

func TestStartRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "192.168.1.10:0", "example.com:0", "127.0.0.1"} {
		if err := s.Start(addr); err == nil {
			s.Close()
			t.Fatalf("Start(%q) succeeded", addr)
		}
	}
	if s.URL() != "" {
		t.Fatalf("URL before Start: %q", s.URL())
	}
	if err := s.Start("localhost:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/v2$`).MatchString(s.URL()) {
		t.Fatalf("URL %q", s.URL())
	}
	if err := s.Start("127.0.0.1:0"); err == nil {
		t.Fatal("second Start succeeded")
	}
	resp, err := http.Post(s.URL()+"/auth/challenge", "application/json", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("challenge: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Post(s.URL()+"/auth/challenge", "application/json", nil); err == nil {
		t.Fatal("still serving after Close")
	}
}

// TestHandlerInProcess uses the handler without a listener, as in-process
// client tests do.
func TestHandlerInProcess(t *testing.T) {
	t.Parallel()
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/v2/auth/challenge", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"clientIp":"192.0.2.1"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	requireNoViolations(t, s)
}

func TestSimTokenEndpoints(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay})
	nip := ids.RandomNIP()
	r := c.do("POST", "/_sim/tokens", "", map[string]any{
		"contextIdentifier": map[string]string{"type": "Nip", "value": nip},
		"permissions":       []string{"InvoiceRead", "CredentialsRead"},
		"description":       "from a test",
	})
	var tok IssuedToken
	r.json(t, &tok)
	if r.status != 200 || !tokenRE.MatchString(tok.Token) {
		t.Fatalf("issue: %v", r)
	}
	if st := c.poll(c.login(tok.Token, nipContext(nip))); st.Status.Code != 200 {
		t.Fatalf("login: %+v", st.Status)
	}
	for body, want := range map[string]string{
		`{"contextIdentifier":{"type":"Nip","value":"1234567890"}}`:                               "contextIdentifier",
		`{"contextIdentifier":{"type":"PeppolId","value":"PPL123456"}}`:                           "authorIdentifier is required",
		`{"contextIdentifier":{"type":"Nip","value":"` + nip + `"},"permissions":["Everything"]}`: "unknown permission",
		`{"contextIdentifier":`: "invalid JSON",
	} {
		if r := c.do("POST", "/_sim/tokens", "", body); r.status != 400 || !strings.Contains(string(r.body), want) {
			t.Errorf("%s: %v", body, r)
		}
	}

	if r := c.do("POST", "/_sim/tokens/revoke", "", map[string]string{"referenceNumber": tok.ReferenceNumber}); r.status != 204 {
		t.Fatalf("revoke: %v", r)
	}
	if r := c.do("POST", "/_sim/tokens/revoke", "", map[string]string{"referenceNumber": "nope"}); r.status != 404 {
		t.Fatalf("revoke unknown: %v", r)
	}
	if st := c.poll(c.login(tok.Token, nipContext(nip))); st.Status.Code != 450 {
		t.Fatalf("revoked token: %+v", st.Status)
	}

	r = c.do("GET", "/_sim/state", "", nil)
	var st simState
	r.json(t, &st)
	if r.status != 200 || st.KSeFTokens != 1 || st.RevokedKSeFTokens != 1 || st.AuthOperations != 2 || st.PublicKeyIDs[usageKsefToken] == "" {
		t.Fatalf("state: %v", r)
	}
	if strings.Contains(string(r.body), tok.Token) {
		t.Fatal("state leaks a token")
	}
	if r := c.do("GET", "/_sim/nothing", "", nil); r.status != 404 {
		t.Fatalf("unknown sim path: %v", r)
	}
	_ = s
}

func TestTestdataSubject(t *testing.T) {
	_, c := startSim(t, Options{})
	nip := ids.RandomNIP()
	body := map[string]any{"subjectNip": nip, "subjectType": "VatGroup", "description": "a VAT group",
		"subunits": []map[string]string{{"subjectNip": ids.RandomNIP(), "description": "member one"}}}
	if r := c.do("POST", "/testdata/subject", "", body); r.status != 200 || len(r.body) != 0 {
		t.Fatalf("create: %v", r)
	}
	wantException(t, c.do("POST", "/testdata/subject", "", body), codeAlreadyExists)
	body["createdDate"] = "2099-01-01T00:00:00Z" // re-creating needs a later createdDate
	if r := c.do("POST", "/testdata/subject", "", body); r.status != 200 {
		t.Fatalf("re-create: %v", r)
	}
	if r := c.do("POST", "/testdata/subject/remove", "", map[string]string{"subjectNip": nip}); r.status != 200 {
		t.Fatalf("remove: %v", r)
	}
	bad := nip[:9] + string('0'+(nip[9]-'0'+1)%10)
	wantException(t, c.do("POST", "/testdata/subject/remove", "", map[string]string{"subjectNip": bad}), codeValidation)
	if r := c.do("POST", "/testdata/attachment", "", map[string]string{"nip": nip}); r.status != 200 {
		t.Fatalf("attachment: %v", r)
	}
}

func TestLogsNeverContainTokens(t *testing.T) {
	var buf syncBuffer
	s, c := startSim(t, Options{Logger: newTestLogger(&buf), AuthDelay: NoAuthDelay})
	nip, tok := issue(t, s)
	_, toks := c.fullLogin(tok.Token, nipContext(nip))
	c.do("POST", "/auth/token/refresh", toks.RefreshToken.Token, nil)
	secret := tok.Token[strings.LastIndexByte(tok.Token, '|')+1:]
	log := buf.String()
	for _, leaked := range []string{secret, toks.AccessToken.Token, toks.RefreshToken.Token} {
		if strings.Contains(log, leaked) {
			t.Fatalf("log contains a secret:\n%s", log)
		}
	}
	if !strings.Contains(log, tok.ReferenceNumber) {
		t.Fatalf("log should name the token by reference:\n%s", log)
	}
}
