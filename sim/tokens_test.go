package sim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
)

var managePermissions = []string{"InvoiceRead", "InvoiceWrite", "CredentialsRead", "CredentialsManage"}

// managerSession authenticates with a token of the context owner that may
// manage credentials and returns its access token.
func managerSession(t *testing.T, s *Server, c *client) (nip string, access string) {
	t.Helper()
	nip = ids.RandomNIP()
	tok, err := s.IssueToken(TokenRequest{Context: nipContext(nip), Permissions: managePermissions})
	if err != nil {
		t.Fatal(err)
	}
	_, toks := c.fullLogin(tok.Token, nipContext(nip))
	return nip, toks.AccessToken.Token
}

func generate(t *testing.T, c *client, access string, perms []string, description string) IssuedToken {
	t.Helper()
	r := c.do("POST", "/tokens", access, map[string]any{"permissions": perms, "description": description})
	if r.status != http.StatusAccepted {
		t.Fatalf("POST /tokens: %v", r)
	}
	var out IssuedToken
	r.json(t, &out)
	if !strings.HasPrefix(out.Token, out.ReferenceNumber+"|nip-") {
		t.Fatalf("token shape: %q", out.Token)
	}
	return out
}

func tokenStatus(t *testing.T, c *client, access, ref string) tokenStatusResponse {
	t.Helper()
	r := c.do("GET", "/tokens/"+ref, access, nil)
	if r.status != 200 {
		t.Fatalf("GET /tokens/%s: %v", ref, r)
	}
	var st tokenStatusResponse
	r.json(t, &st)
	return st
}

func TestGeneratedTokenLifecycle(t *testing.T) {
	clk := newFakeClock()
	s, c := startSim(t, Options{Clock: clk.Now, TokenActivationDelay: 2 * time.Second, AuthDelay: NoAuthDelay})
	nip, access := managerSession(t, s, c)

	gen := generate(t, c, access, []string{"InvoiceRead", "InvoiceRead"}, "ERP integration")
	if st := tokenStatus(t, c, access, gen.ReferenceNumber); st.Status != "Pending" || len(st.RequestedPermissions) != 1 || st.LastUseDate != nil {
		t.Fatalf("fresh token: %+v", st)
	}
	// A Pending token does not authenticate yet (450, like an inactive token).
	if st := c.poll(c.login(gen.Token, nipContext(nip))); st.Status.Code != 450 {
		t.Fatalf("pending token authenticated: %+v", st.Status)
	}
	clk.Advance(2 * time.Second)
	if st := tokenStatus(t, c, access, gen.ReferenceNumber); st.Status != "Active" {
		t.Fatalf("after the delay: %+v", st)
	}
	_, toks := c.fullLogin(gen.Token, nipContext(nip))
	if st := tokenStatus(t, c, access, gen.ReferenceNumber); st.LastUseDate == nil {
		t.Fatalf("lastUseDate not set after use: %+v", st)
	}
	if st := tokenStatus(t, c, access, gen.ReferenceNumber); st.AuthorIdentifier != (Identity{IdentityNip, nip}) {
		t.Fatalf("author: %+v", st.AuthorIdentifier)
	}

	if r := c.do("DELETE", "/tokens/"+gen.ReferenceNumber, access, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %v", r)
	}
	if r := c.do("DELETE", "/tokens/"+gen.ReferenceNumber, access, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke again: %v", r)
	}
	if st := tokenStatus(t, c, access, gen.ReferenceNumber); st.Status != "Revoked" {
		t.Fatalf("after revoke: %+v", st)
	}
	// The session the token opened can no longer refresh; the token no
	// longer authenticates.
	wantException(t, c.do("POST", "/auth/token/refresh", toks.RefreshToken.Token, nil), codeNoAuthorization)
	if st := c.poll(c.login(gen.Token, nipContext(nip))); st.Status.Code != 450 {
		t.Fatalf("revoked token authenticated: %+v", st.Status)
	}
}

func TestGenerateTokenRefusals(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay})
	// 26001: a token session holds only its token's permissions.
	nip := ids.RandomNIP()
	readOnly, _ := s.IssueToken(TokenRequest{Context: nipContext(nip), Permissions: []string{"InvoiceRead"}})
	_, toks := c.fullLogin(readOnly.Token, nipContext(nip))
	r := c.do("POST", "/tokens", toks.AccessToken.Token, map[string]any{"permissions": []string{"InvoiceRead", "InvoiceWrite"}, "description": "more than I have"})
	wantException(t, r, codeTokenPermissions)
	if !strings.Contains(string(r.body), "InvoiceWrite") {
		t.Fatalf("26001 does not name the missing permission: %s", r.body)
	}
	// 26002: only Nip and InternalId contexts may have tokens.
	vatUe := ids.ContextIdentifier{Type: ids.ContextNipVatUe, Value: nip + "-DE123456789"}
	if err := s.Grant(vatUe, Identity{IdentityNip, nip}, "InvoiceRead", "CredentialsManage"); err != nil {
		t.Fatal(err)
	}
	euTok, err := s.IssueToken(TokenRequest{Context: vatUe, Permissions: []string{"InvoiceRead", "CredentialsManage"}})
	if err != nil {
		t.Fatal(err)
	}
	_, euToks := c.fullLogin(euTok.Token, vatUe)
	wantException(t, c.do("POST", "/tokens", euToks.AccessToken.Token, map[string]any{"permissions": []string{"InvoiceRead"}, "description": "EU token"}), codeTokenContextType)
	// The schema: a description of 4 characters is a 21405.
	wantException(t, c.do("POST", "/tokens", toks.AccessToken.Token, map[string]any{"permissions": []string{"InvoiceRead"}, "description": "abcd"}), codeValidation)
	s.ResetSpecViolations() // provoked on purpose
	// Without a bearer token: 401.
	if r := c.do("GET", "/tokens", "", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("no bearer: %v", r)
	}
}

func TestTokenListPagingFiltersAndScope(t *testing.T) {
	clk := newFakeClock()
	s, c := startSim(t, Options{Clock: clk.Now, AuthDelay: NoAuthDelay, TokenActivationDelay: time.Second})
	nip, access := managerSession(t, s, c)
	for i := 0; i < 11; i++ {
		clk.Advance(time.Millisecond)
		desc := fmt.Sprintf("batch token %02d", i)
		if i == 5 {
			desc = "the Special one"
		}
		generate(t, c, access, []string{"InvoiceRead"}, desc)
	}
	list := func(query, cont string) queryTokensResponse {
		t.Helper()
		var hdr []string
		if cont != "" {
			hdr = []string{"x-continuation-token", cont}
		}
		r := c.do("GET", "/tokens"+query, access, nil, hdr...)
		if r.status != 200 {
			t.Fatalf("GET /tokens%s: %v", query, r)
		}
		var out queryTokensResponse
		r.json(t, &out)
		return out
	}
	// 12 tokens (the one used to log in, and 11 generated), newest first.
	first := list("", "")
	if len(first.Tokens) != 10 || first.ContinuationToken == nil || first.Tokens[0].Description != "batch token 10" {
		t.Fatalf("first page: %d tokens, %+v", len(first.Tokens), first.ContinuationToken)
	}
	second := list("", *first.ContinuationToken)
	if len(second.Tokens) != 2 || second.ContinuationToken != nil || second.Tokens[1].Description != "ksef-sim token" {
		t.Fatalf("second page: %+v", second)
	}
	wantException(t, c.do("GET", "/tokens", access, nil, "x-continuation-token", "not-a-cursor"), codeBadContinuation)

	if got := list("?description=special", ""); len(got.Tokens) != 1 {
		t.Fatalf("description filter: %+v", got)
	}
	if got := list("?status=Pending&pageSize=100", ""); len(got.Tokens) != 11 {
		t.Fatalf("Pending: %d", len(got.Tokens))
	}
	clk.Advance(time.Second)
	if got := list("?status=Pending&status=Revoked", ""); len(got.Tokens) != 0 {
		t.Fatalf("still pending: %d", len(got.Tokens))
	}
	if got := list("?authorIdentifier="+nip[:5]+"&authorIdentifierType=Nip&pageSize=100", ""); len(got.Tokens) != 12 {
		t.Fatalf("author filter: %d", len(got.Tokens))
	}
	if got := list("?authorIdentifierType=Pesel", ""); len(got.Tokens) != 0 {
		t.Fatalf("author type filter: %d", len(got.Tokens))
	}

	// A session opened with a token lacking CredentialsRead/Manage sees and
	// revokes only that token.
	page := list("?description=special", "")
	special := page.Tokens[0].ReferenceNumber
	plain, _ := s.IssueToken(TokenRequest{Context: nipContext(nip), Permissions: []string{"InvoiceRead"}})
	_, toks := c.fullLogin(plain.Token, nipContext(nip))
	r := c.do("GET", "/tokens?pageSize=100", toks.AccessToken.Token, nil)
	var own queryTokensResponse
	r.json(t, &own)
	if len(own.Tokens) != 1 || own.Tokens[0].ReferenceNumber != plain.ReferenceNumber {
		t.Fatalf("token session sees %d tokens", len(own.Tokens))
	}
	wantException(t, c.do("GET", "/tokens/"+special, toks.AccessToken.Token, nil), codeValidation)
	wantException(t, c.do("DELETE", "/tokens/"+special, toks.AccessToken.Token, nil), codeValidation)
	// Another context's tokens are invisible even to a manager.
	_, otherAccess := managerSession(t, s, c)
	wantException(t, c.do("GET", "/tokens/"+special, otherAccess, nil), codeValidation)
}

func TestRevokeNeedsCredentialsManage(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, TokenActivationDelay: -1})
	nip, access := managerSession(t, s, c)
	target := generate(t, c, access, []string{"InvoiceRead"}, "to be revoked")
	reader, _ := s.IssueToken(TokenRequest{Context: nipContext(nip), Permissions: []string{"InvoiceRead", "CredentialsRead"}})
	_, toks := c.fullLogin(reader.Token, nipContext(nip))
	if st := tokenStatus(t, c, toks.AccessToken.Token, target.ReferenceNumber); st.Status != "Active" {
		t.Fatalf("CredentialsRead sees %+v", st)
	}
	if r := c.do("DELETE", "/tokens/"+target.ReferenceNumber, toks.AccessToken.Token, nil); r.status != http.StatusForbidden {
		t.Fatalf("CredentialsRead revoked a token: %v", r)
	}
}

func TestLimits(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay})
	nip, tok := issue(t, s)
	_, toks := c.fullLogin(tok.Token, nipContext(nip))
	for _, path := range []string{"/limits/context", "/limits/subject", "/rate-limits"} {
		if r := c.do("GET", path, toks.AccessToken.Token, nil); r.status != 200 {
			t.Fatalf("%s: %v", path, r)
		}
		if r := c.do("GET", path, "", nil); r.status != http.StatusUnauthorized {
			t.Fatalf("%s without a bearer: %v", path, r)
		}
	}
	var sub subjectLimits
	c.do("GET", "/limits/subject", toks.AccessToken.Token, nil).json(t, &sub)
	if sub.Certificate["maxCertificates"] != 100 {
		t.Fatalf("NIP subject limits: %+v", sub)
	}
}
