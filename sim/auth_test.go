package sim

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
)

var (
	refRE   = regexp.MustCompile(`^\d{8}-(CR|AU|EC)-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2}$`)
	tokenRE = regexp.MustCompile(`^\d{8}-EC-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2}\|nip-\d{10}\|[0-9a-f]{64}$`)
	jwtRE   = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)
)

// TestTokenAuthenticationFlow walks the whole KSeF-token flow by raw HTTP:
// challenge → RSA-OAEP with the served key → ksef-token → poll → redeem →
// refresh → sessions → revoke → refresh fails.
func TestTokenAuthenticationFlow(t *testing.T) {
	s, c := startSim(t, Options{})
	nip, tok := issue(t, s)
	if !tokenRE.MatchString(tok.Token) || !strings.HasPrefix(tok.Token, tok.ReferenceNumber+"|nip-"+nip+"|") {
		t.Fatalf("token shape: %q", tok.Token)
	}

	key := c.tokenKey()
	ch := c.challenge()
	if !refRE.MatchString(ch.Challenge) || !strings.Contains(ch.Challenge, "-CR-") {
		t.Fatalf("challenge %q", ch.Challenge)
	}
	if ch.ClientIP != "127.0.0.1" {
		t.Errorf("clientIp %q", ch.ClientIP)
	}
	if ts, err := time.Parse(time.RFC3339Nano, ch.Timestamp); err != nil || ts.UnixMilli() != ch.TimestampMs {
		t.Errorf("timestamp %q vs timestampMs %d (%v)", ch.Timestamp, ch.TimestampMs, err)
	}

	r := c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: key, ch: ch})
	if r.status != http.StatusAccepted {
		t.Fatalf("ksef-token: %v", r)
	}
	var init authInitResponse
	r.json(t, &init)
	if !strings.Contains(init.ReferenceNumber, "-AU-") || !jwtRE.MatchString(init.AuthenticationToken.Token) {
		t.Fatalf("init %+v", init)
	}

	// Default delay: one poll answers 100, the next is terminal.
	status := func() authStatusResponse {
		r := c.do("GET", "/auth/"+init.ReferenceNumber, init.AuthenticationToken.Token, nil)
		if r.status != 200 {
			t.Fatalf("status: %v", r)
		}
		var st authStatusResponse
		r.json(t, &st)
		return st
	}
	// Redeem before the operation finished is refused.
	wantException(t, c.do("POST", "/auth/token/redeem", init.AuthenticationToken.Token, nil), codeNoAuthorization)
	if st := status(); st.Status.Code != 100 {
		t.Fatalf("first poll: %+v", st.Status)
	}
	st := status()
	if st.Status.Code != 200 || st.AuthenticationMethod != "Token" || st.AuthenticationMethodInfo.Category != "Token" || st.IsTokenRedeemed {
		t.Fatalf("second poll: %+v", st)
	}

	r = c.do("POST", "/auth/token/redeem", init.AuthenticationToken.Token, nil)
	if r.status != 200 {
		t.Fatalf("redeem: %v", r)
	}
	var toks tokensResponse
	r.json(t, &toks)
	if !jwtRE.MatchString(toks.AccessToken.Token) || !jwtRE.MatchString(toks.RefreshToken.Token) {
		t.Fatalf("tokens %+v", toks)
	}
	// One-shot.
	wantException(t, c.do("POST", "/auth/token/redeem", init.AuthenticationToken.Token, nil), codeNoAuthorization)
	if st := status(); !st.IsTokenRedeemed || st.RefreshTokenValidUntil == nil {
		t.Fatalf("after redeem: %+v", st)
	}

	r = c.do("POST", "/auth/token/refresh", toks.RefreshToken.Token, nil)
	if r.status != 200 {
		t.Fatalf("refresh: %v", r)
	}
	var ref refreshResponse
	r.json(t, &ref)
	if ref.AccessToken.Token == toks.AccessToken.Token {
		t.Error("refresh returned the same access token")
	}

	r = c.do("GET", "/auth/sessions", ref.AccessToken.Token, nil)
	var list sessionList
	r.json(t, &list)
	if r.status != 200 || len(list.Items) != 1 || list.Items[0].ReferenceNumber != init.ReferenceNumber ||
		!*list.Items[0].IsCurrent || list.Items[0].LastTokenRefreshDate == nil || list.ContinuationToken != nil {
		t.Fatalf("sessions: %v", r)
	}

	if r := c.do("DELETE", "/auth/sessions/current", toks.AccessToken.Token, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke current: %v", r)
	}
	wantException(t, c.do("POST", "/auth/token/refresh", toks.RefreshToken.Token, nil), codeNoAuthorization)
	if st := status(); st.Status.Code != 425 {
		t.Fatalf("after revoke: %+v", st.Status)
	}
	// Issued access tokens live on until they expire.
	r = c.do("GET", "/auth/sessions", ref.AccessToken.Token, nil)
	r.json(t, &list)
	if r.status != 200 || len(list.Items) != 0 {
		t.Fatalf("sessions after revoke: %v", r)
	}
}

func TestTokenFailuresEndWith450(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay})
	nip, tok := issue(t, s)
	otherNip, _ := issue(t, s)
	revokedNip, revoked := issue(t, s)
	if err := s.RevokeToken(revoked.ReferenceNumber); err != nil {
		t.Fatal(err)
	}
	key := c.tokenKey()
	unknown := strings.Replace(tok.Token, tok.Token[len(tok.Token)-4:], "0000", 1)
	for name, a := range map[string]tokenAuth{
		"unknown token":   {token: unknown, ctx: nipContext(nip)},
		"garbage":         {token: "not-a-token", ctx: nipContext(nip)},
		"revoked token":   {token: revoked.Token, ctx: nipContext(revokedNip)},
		"wrong time":      {token: tok.Token, ctx: nipContext(nip), stamp: "1752236636015"},
		"other context":   {token: tok.Token, ctx: nipContext(otherNip)},
		"seconds, not ms": {token: tok.Token, ctx: nipContext(nip), stamp: "SECONDS"},
	} {
		t.Run(name, func(t *testing.T) {
			a.key, a.ch = key, c.challenge()
			if a.stamp == "SECONDS" {
				a.stamp = strconv.FormatInt(a.ch.TimestampMs/1000, 10) // a classic mistake
			}
			r := c.startTokenAuth(a)
			if r.status != http.StatusAccepted {
				t.Fatalf("want 202 (token failures are asynchronous), got %v", r)
			}
			var init authInitResponse
			r.json(t, &init)
			st := c.poll(init)
			if st.Status.Code != 450 || len(st.Status.Details) == 0 {
				t.Fatalf("want 450, got %+v", st.Status)
			}
			wantException(t, c.do("POST", "/auth/token/redeem", init.AuthenticationToken.Token, nil), codeNoAuthorization)
		})
	}
}

func TestChallengeErrors(t *testing.T) {
	clock := newFakeClock()
	s, c := startSim(t, Options{Clock: clock.Now})
	nip, tok := issue(t, s)
	key := c.tokenKey()

	ch := c.challenge()
	if r := c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: key, ch: ch}); r.status != 202 {
		t.Fatalf("first use: %v", r)
	}
	// Reused.
	wantException(t, c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: key, ch: ch}), codeInvalidChallenge)
	// Unknown.
	fake := ch
	fake.Challenge = newRef(clock.Now(), infixChallenge)
	wantException(t, c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: key, ch: fake}), codeInvalidChallenge)
	// Expired after ten minutes.
	ch = c.challenge()
	clock.Advance(10*time.Minute + time.Second)
	wantException(t, c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: key, ch: ch}), codeInvalidChallenge)
}

func TestUnknownPublicKeyAfterRotation(t *testing.T) {
	s, c := startSim(t, Options{})
	nip, tok := issue(t, s)
	old := c.tokenKey()
	ch := c.challenge()
	if err := s.RotateKeys(); err != nil {
		t.Fatal(err)
	}
	r := c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: old, ch: ch})
	wantException(t, r, codeUnknownPublicKey)
	// The challenge was not used up: refresh the keys and retry with it.
	fresh := c.tokenKey()
	if fresh.id == old.id {
		t.Fatal("rotation kept the publicKeyId")
	}
	if r := c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: fresh, ch: ch}); r.status != 202 {
		t.Fatalf("retry: %v", r)
	}
	// Encrypting with the old key without naming it cannot be decrypted: 450.
	r = c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: old, ch: c.challenge(), noKeyID: true})
	var init authInitResponse
	r.json(t, &init)
	if st := c.poll(init); st.Status.Code != 450 {
		t.Fatalf("old key without id: %+v", st.Status)
	}
}

func TestTerminalStatuses(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay})

	t.Run("415 author without permissions", func(t *testing.T) {
		nip := ids.RandomNIP()
		tok, err := s.IssueToken(TokenRequest{Context: nipContext(nip), Author: Identity{IdentityPesel, ids.RandomPESEL()}})
		if err != nil {
			t.Fatal(err)
		}
		if st := c.poll(c.login(tok.Token, nipContext(nip))); st.Status.Code != 415 {
			t.Fatalf("%+v", st.Status)
		}
	})

	t.Run("PESEL linked by testdata/person owns the NIP", func(t *testing.T) {
		nip, pesel := ids.RandomNIP(), ids.RandomPESEL()
		r := c.do("POST", "/testdata/person", "", map[string]any{"nip": nip, "pesel": pesel, "isBailiff": false, "description": "test person"})
		if r.status != 200 {
			t.Fatalf("person: %v", r)
		}
		wantException(t, c.do("POST", "/testdata/person", "", map[string]any{"nip": nip, "pesel": pesel, "isBailiff": false, "description": "test person"}), codeAlreadyExists)
		tok, _ := s.IssueToken(TokenRequest{Context: nipContext(nip), Author: Identity{IdentityPesel, pesel}})
		if st := c.poll(c.login(tok.Token, nipContext(nip))); st.Status.Code != 200 {
			t.Fatalf("%+v", st.Status)
		}
	})

	t.Run("470 deceased", func(t *testing.T) {
		nip, pesel := ids.RandomNIP(), ids.RandomPESEL()
		c.do("POST", "/testdata/person", "", map[string]any{"nip": nip, "pesel": pesel, "isBailiff": false, "isDeceased": true, "description": "test person"})
		tok, _ := s.IssueToken(TokenRequest{Context: nipContext(nip), Author: Identity{IdentityPesel, pesel}})
		if st := c.poll(c.login(tok.Token, nipContext(nip))); st.Status.Code != 470 {
			t.Fatalf("%+v", st.Status)
		}
	})

	t.Run("480 blocked context, unblock", func(t *testing.T) {
		nip, tok := issue(t, s)
		body := map[string]any{"contextIdentifier": nipContext(nip)}
		if r := c.do("POST", "/testdata/context/block", "", body); r.status != 200 {
			t.Fatalf("block: %v", r)
		}
		if st := c.poll(c.login(tok.Token, nipContext(nip))); st.Status.Code != 480 {
			t.Fatalf("%+v", st.Status)
		}
		c.do("POST", "/testdata/context/unblock", "", body)
		if st := c.poll(c.login(tok.Token, nipContext(nip))); st.Status.Code != 200 {
			t.Fatalf("%+v", st.Status)
		}
	})

	t.Run("granted permission, then revoked", func(t *testing.T) {
		ctxNip, agentNip := ids.RandomNIP(), ids.RandomNIP()
		tok, _ := s.IssueToken(TokenRequest{Context: nipContext(ctxNip), Author: Identity{IdentityNip, agentNip}})
		grant := map[string]any{
			"contextIdentifier":    map[string]string{"type": "Nip", "value": ctxNip},
			"authorizedIdentifier": map[string]string{"type": "Nip", "value": agentNip},
			"permissions":          []map[string]string{{"permissionType": "InvoiceRead", "description": "for tests"}},
		}
		if r := c.do("POST", "/testdata/permissions", "", grant); r.status != 200 {
			t.Fatalf("grant: %v", r)
		}
		if st := c.poll(c.login(tok.Token, nipContext(ctxNip))); st.Status.Code != 200 {
			t.Fatalf("%+v", st.Status)
		}
		delete(grant, "permissions")
		c.do("POST", "/testdata/permissions/revoke", "", grant)
		if st := c.poll(c.login(tok.Token, nipContext(ctxNip))); st.Status.Code != 415 {
			t.Fatalf("%+v", st.Status)
		}
	})

	t.Run("InternalId context with a Go grant", func(t *testing.T) {
		nip := ids.RandomNIP()
		ctx := ids.ContextIdentifier{Type: ids.ContextInternalID, Value: nip + "-12345"}
		tok, err := s.IssueToken(TokenRequest{Context: ctx})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tok.Token, "|internalId-"+nip+"-12345|") {
			t.Fatalf("token %q", tok.Token)
		}
		if st := c.poll(c.login(tok.Token, ctx)); st.Status.Code != 200 {
			t.Fatalf("%+v", st.Status)
		}
	})

	t.Run("21304 unknown reference", func(t *testing.T) {
		nip, tok := issue(t, s)
		init := c.login(tok.Token, nipContext(nip))
		wantException(t, c.do("GET", "/auth/"+newRef(time.Now(), infixAuth), init.AuthenticationToken.Token, nil), codeAuthNotFound)
	})
}

func TestInvalidContextIdentifier(t *testing.T) {
	s, c := startSim(t, Options{})
	nip, tok := issue(t, s)
	bad := nip[:9] + string('0'+(nip[9]-'0'+1)%10) // checksum broken
	r := c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(bad), key: c.tokenKey(), ch: c.challenge()})
	wantException(t, r, codeValidation)
}

func TestBearerErrors(t *testing.T) {
	clock := newFakeClock()
	s, c := startSim(t, Options{Clock: clock.Now, AuthDelay: NoAuthDelay})
	nip, tok := issue(t, s)
	init, toks := c.fullLogin(tok.Token, nipContext(nip))

	for name, r := range map[string]reply{
		"missing":          c.do("GET", "/auth/sessions", "", nil),
		"forged":           c.do("GET", "/auth/sessions", toks.AccessToken.Token+"x", nil),
		"wrong type":       c.do("GET", "/auth/"+init.ReferenceNumber, toks.AccessToken.Token, nil),
		"refresh for list": c.do("GET", "/auth/sessions", toks.RefreshToken.Token, nil),
	} {
		if r.status != 401 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: want 401 problem, got %v", name, r)
		}
	}
	// Another operation's authentication token.
	nip2, tok2 := issue(t, s)
	other := c.login(tok2.Token, nipContext(nip2))
	if r := c.do("GET", "/auth/"+init.ReferenceNumber, other.AuthenticationToken.Token, nil); r.status != 401 {
		t.Errorf("foreign auth token: %v", r)
	}
	// Access tokens expire after 15 minutes; refresh tokens after 7 days.
	clock.Advance(15*time.Minute + time.Second)
	if r := c.do("GET", "/auth/sessions", toks.AccessToken.Token, nil); r.status != 401 {
		t.Errorf("expired access token: %v", r)
	}
	if r := c.do("POST", "/auth/token/refresh", toks.RefreshToken.Token, nil); r.status != 200 {
		t.Errorf("refresh: %v", r)
	}
	clock.Advance(7 * 24 * time.Hour)
	if r := c.do("POST", "/auth/token/refresh", toks.RefreshToken.Token, nil); r.status != 401 {
		t.Errorf("expired refresh token: %v", r)
	}
	if r := c.do("GET", "/auth/"+other.ReferenceNumber, other.AuthenticationToken.Token, nil); r.status != 401 {
		t.Errorf("expired authentication token: %v", r)
	}
}

func TestAuthStatusGoneAfterRetention(t *testing.T) {
	clock := newFakeClock()
	s, c := startSim(t, Options{Clock: clock.Now, AuthTokenTTL: 30 * 24 * time.Hour})
	nip, tok := issue(t, s)
	init := c.login(tok.Token, nipContext(nip))
	clock.Advance(7*24*time.Hour + time.Minute)
	r := c.do("GET", "/auth/"+init.ReferenceNumber, init.AuthenticationToken.Token, nil)
	if r.status != http.StatusGone || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("want 410 problem, got %v", r)
	}
}

func TestRevokedKSeFTokenBlocksRefresh(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay})
	nip, tok := issue(t, s)
	_, toks := c.fullLogin(tok.Token, nipContext(nip))
	s.RevokeToken(tok.ReferenceNumber)
	r := c.do("POST", "/auth/token/refresh", toks.RefreshToken.Token, nil)
	wantException(t, r, codeNoAuthorization)
	if !strings.Contains(string(r.body), "Token KSeF został unieważniony") {
		t.Errorf("details: %s", r.body)
	}
}

func TestSessionsPagingAndRevoke(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay})
	nip, tok := issue(t, s)
	const n = 23
	var last tokensResponse
	refs := map[string]bool{}
	for i := 0; i < n; i++ {
		init, toks := c.fullLogin(tok.Token, nipContext(nip))
		refs[init.ReferenceNumber] = true
		last = toks
	}
	// Sessions of another context are not listed.
	otherNip, other := issue(t, s)
	c.fullLogin(other.Token, nipContext(otherNip))

	seen := map[string]bool{}
	cont := ""
	pages := 0
	for {
		var hdr []string
		if cont != "" {
			hdr = []string{"x-continuation-token", cont}
		}
		r := c.do("GET", "/auth/sessions?pageSize=10", last.AccessToken.Token, nil, hdr...)
		if r.status != 200 {
			t.Fatalf("page %d: %v", pages, r)
		}
		var list sessionList
		r.json(t, &list)
		pages++
		for _, it := range list.Items {
			if seen[it.ReferenceNumber] || !refs[it.ReferenceNumber] {
				t.Fatalf("unexpected or repeated %s", it.ReferenceNumber)
			}
			seen[it.ReferenceNumber] = true
		}
		if list.ContinuationToken == nil {
			break
		}
		cont = *list.ContinuationToken
	}
	if pages != 3 || len(seen) != n {
		t.Fatalf("pages %d, items %d", pages, len(seen))
	}

	wantException(t, c.do("GET", "/auth/sessions", last.AccessToken.Token, nil, "x-continuation-token", "garbage"), codeBadContinuation)
	wantException(t, c.do("GET", "/auth/sessions?pageSize=5", last.AccessToken.Token, nil), codeValidation)
	s.ResetSpecViolations() // pageSize=5 broke the spec on purpose

	// Revoke one session by reference; unknown references are 21304.
	var victim string
	for ref := range refs {
		victim = ref
		break
	}
	if r := c.do("DELETE", "/auth/sessions/"+victim, last.AccessToken.Token, nil); r.status != 204 {
		t.Fatalf("revoke: %v", r)
	}
	wantException(t, c.do("DELETE", "/auth/sessions/"+victim, last.AccessToken.Token, nil), codeAuthNotFound)
	wantException(t, c.do("DELETE", "/auth/sessions/"+newRef(time.Now(), infixAuth), last.AccessToken.Token, nil), codeAuthNotFound)
}

func TestIPPolicy(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay})
	nip, tok := issue(t, s)
	login := func(policy map[string]any) tokensResponse {
		r := c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: c.tokenKey(), ch: c.challenge(), policy: policy})
		if r.status != 202 {
			t.Fatalf("ksef-token: %v", r)
		}
		var init authInitResponse
		r.json(t, &init)
		c.poll(init)
		var toks tokensResponse
		c.do("POST", "/auth/token/redeem", init.AuthenticationToken.Token, nil).json(t, &toks)
		return toks
	}
	elsewhere := login(map[string]any{"allowedIps": map[string]any{"ip4Addresses": []string{"10.0.0.1"}, "ip4Masks": []string{"192.168.0.0/16"}}})
	r := c.do("GET", "/auth/sessions", elsewhere.AccessToken.Token, nil)
	var p problem
	r.json(t, &p)
	if r.status != 403 || p.ReasonCode != "ip-not-allowed" || p.Security["clientIp"] != "127.0.0.1" {
		t.Fatalf("want 403 ip-not-allowed, got %v", r)
	}
	// The refresh token is not bound to the policy.
	if r := c.do("POST", "/auth/token/refresh", elsewhere.RefreshToken.Token, nil); r.status != 200 {
		t.Fatalf("refresh: %v", r)
	}
	here := login(map[string]any{"allowedIps": map[string]any{"ip4Ranges": []string{"127.0.0.1-127.0.0.9"}}})
	if r := c.do("GET", "/auth/sessions", here.AccessToken.Token, nil); r.status != 200 {
		t.Fatalf("allowed IP: %v", r)
	}
	// An invalid policy is a synchronous 21405 (here: a range that ends before it starts).
	r = c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: c.tokenKey(), ch: c.challenge(),
		policy: map[string]any{"allowedIps": map[string]any{"ip4Ranges": []string{"10.0.0.9-10.0.0.1"}}}})
	wantException(t, r, codeValidation)
}

func TestConcurrentAuthentications(t *testing.T) {
	s, c := startSim(t, Options{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nip, tok := issue(t, s)
			_, toks := c.fullLogin(tok.Token, nipContext(nip))
			if r := c.do("POST", "/auth/token/refresh", toks.RefreshToken.Token, nil); r.status != 200 {
				t.Errorf("refresh: %v", r)
			}
		}()
	}
	wg.Wait()
}
