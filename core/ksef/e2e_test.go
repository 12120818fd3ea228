package ksef_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/core/transport/nethttp"
	"github.com/ksefkit/ksefkit/sim"
)

// inProcess is a Doer that hands requests straight to the simulator's
// handler: no sockets, so tests and benchmarks measure the client.
type inProcess struct {
	h http.Handler
}

func (d inProcess) Do(ctx context.Context, r *transport.Request) (*transport.Response, error) {
	req := httptest.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
	req.RemoteAddr = "127.0.0.1:50000"
	for k, v := range r.Header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	d.h.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return &transport.Response{Status: res.StatusCode, Header: transport.Header(res.Header), Body: body}, nil
}

// counting wraps a Doer and counts requests per route.
type counting struct {
	next transport.Doer
	mu   sync.Mutex
	n    map[string]int
}

func (c *counting) Do(ctx context.Context, r *transport.Request) (*transport.Response, error) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[r.Route]++
	c.n["*"]++
	c.mu.Unlock()
	return c.next.Do(ctx, r)
}

func (c *counting) count(route string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[route]
}

// clock is the real time shifted by an offset tests can move forward, so
// the client believes its tokens are older than they are.
type clock struct{ off atomic.Int64 }

func (c *clock) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	return transport.SystemClock{}.Sleep(ctx, d)
}
func (c *clock) advance(d time.Duration) { c.off.Add(int64(d)) }

type env struct {
	t      *testing.T
	sim    *sim.Server
	doer   *counting
	clock  *clock
	client *ksef.Client
	nip    string
	token  string
}

func newSim(t testing.TB, opts sim.Options) *sim.Server {
	s, err := sim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if v := s.SpecViolations(); len(v) > 0 {
			t.Errorf("simulator saw OpenAPI violations: %v", v)
		}
		s.Close()
	})
	return s
}

// setup starts a simulator (in process, or on loopback when network is
// true, which the connection-dropping faults need), issues a KSeF token for
// a random NIP and builds a client with fast polling.
func setup(t *testing.T, network bool) *env {
	t.Helper()
	return setupWith(t, network, sim.Options{}, 0)
}

func setupWith(t *testing.T, network bool, opts sim.Options, leeway time.Duration) *env {
	t.Helper()
	s := newSim(t, opts)
	var base transport.Doer = inProcess{s.Handler()}
	url := "http://127.0.0.1:1/v2"
	if network {
		if err := s.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		base, url = nethttp.New(nethttp.Options{}), s.URL()
	}
	nip := ids.RandomNIP()
	tok, err := s.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, sim: s, doer: &counting{next: base}, clock: &clock{}, nip: nip, token: tok.Token}
	c, err := ksef.New(ksef.Config{
		Environment: "test", BaseURL: url, Doer: e.doer, Clock: e.clock,
		Retry: transport.RetryPolicy{BaseDelay: 10 * time.Millisecond, AttemptTimeout: 2 * time.Second, TotalTimeout: 10 * time.Second},
		Poll:  pollFast, RefreshLeeway: leeway,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	return e
}

func (e *env) auth() (*ksef.AuthInfo, error) {
	return e.client.AuthenticateWithToken(context.Background(), ksef.TokenAuth{
		Token: secret.NewString(e.token), Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: e.nip},
	})
}

func TestTokenAuthEndToEnd(t *testing.T) {
	e := setup(t, false)
	info, err := e.auth()
	if err != nil {
		t.Fatal(err)
	}
	if info.Context.Value != e.nip || info.ReferenceNumber == "" || !info.AccessTokenValidUntil.After(time.Now()) {
		t.Fatalf("unexpected auth info %+v", info)
	}
	if e.doer.count("POST /auth/token/redeem") != 1 {
		t.Fatal("redeem must happen exactly once")
	}
	sessions, err := e.client.AllAuthSessions(context.Background())
	if err != nil || len(sessions) != 1 || !sessions[0].IsCurrent {
		t.Fatalf("sessions %+v %v", sessions, err)
	}
	if err := e.client.RevokeSession(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if e.client.Auth() != nil {
		t.Fatal("revoking the current session must forget the tokens")
	}
	_, err = e.client.AuthSessions(context.Background(), 10, "")
	if errs.CodeOf(err) != errs.NotAuthenticated {
		t.Fatalf("after revoke: %v", err)
	}
}

func TestSecondRedeemFails(t *testing.T) {
	e := setup(t, false)
	capture := &captureAuth{next: e.doer.next}
	e.doer.next = capture
	if _, err := e.auth(); err != nil {
		t.Fatal(err)
	}
	if capture.authToken == "" {
		t.Fatal("did not see an authentication token")
	}
	_, err := e.client.API().Redeem(context.Background(), capture.authToken)
	var ke *errs.Error
	if !errors.As(err, &ke) || !ke.HasException(21301) || ke.HTTPStatus != 400 {
		t.Fatalf("second redeem: %v", err)
	}
}

// captureAuth remembers the Bearer token sent to redeem.
type captureAuth struct {
	next      transport.Doer
	authToken string
}

func (c *captureAuth) Do(ctx context.Context, r *transport.Request) (*transport.Response, error) {
	if r.Route == "POST /auth/token/redeem" {
		c.authToken = r.Header.Get("Authorization")[len("Bearer "):]
	}
	return c.next.Do(ctx, r)
}

func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	// Access tokens live 3 s and are renewed 2 s before expiry: after 1.2 s
	// the first one is stale, and a fresh one is good for a second.
	e := setupWith(t, false, sim.Options{AccessTokenTTL: 3 * time.Second}, 2*time.Second)
	if _, err := e.auth(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	var wg sync.WaitGroup
	errCh := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.client.AuthSessions(context.Background(), 10, "")
			errCh <- err
		}()
	}
	wg.Wait()
	close(errCh)
	for err := range errCh {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := e.doer.count("POST /auth/token/refresh"); n != 1 {
		t.Fatalf("refreshes = %d, want exactly 1 for 20 concurrent callers", n)
	}
	if e.client.Auth().RefreshedAt == nil {
		t.Fatal("RefreshedAt not set")
	}
}

func TestExplicitRefreshAndExpiredRefreshTokenReauthenticates(t *testing.T) {
	e := setup(t, false)
	first, err := e.auth()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.clock.advance(8 * 24 * time.Hour) // past the 7-day refresh token
	if _, err := e.client.AccessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.client.Auth().ReferenceNumber; got == first.ReferenceNumber {
		t.Fatal("an expired refresh token must lead to a new authentication")
	}
	if e.doer.count("POST /auth/ksef-token") != 2 {
		t.Fatalf("ksef-token calls = %d, want 2", e.doer.count("POST /auth/ksef-token"))
	}
}

func TestUnknownTokenGives450(t *testing.T) {
	e := setup(t, false)
	e.token = "20251010-EC-1DCE3E3000-12ECB5B36E-45|nip-" + e.nip + "|" + "00000000000000000000000000000000000000000000000000000000000000ff"
	_, err := e.auth()
	var ke *errs.Error
	if !errors.As(err, &ke) || ke.Code != errs.AuthFailed || ke.Status != 450 || ke.StatusDescription == "" || ke.ReferenceNumber == "" {
		t.Fatalf("want ksef.auth_failed with status 450 and a description, got %#v", err)
	}
	if e.doer.count("POST /auth/token/redeem") != 0 {
		t.Fatal("a failed authentication must not be redeemed")
	}
}

func TestInvalidInputMakesNoHTTPCall(t *testing.T) {
	e := setup(t, false)
	for _, c := range []ksef.TokenAuth{
		{Token: secret.NewString(e.token), Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: "1234567890"}},
		{Token: secret.String{}, Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: e.nip}},
		{Token: secret.NewString(e.token + " "), Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: e.nip}},
		{Token: secret.NewString(e.token), Context: ids.ContextIdentifier{Type: "Regon", Value: e.nip}},
	} {
		_, err := e.client.AuthenticateWithToken(context.Background(), c)
		if errs.CodeOf(err) != errs.InputInvalid {
			t.Errorf("want input.invalid, got %v", err)
			continue
		}
		if bytes.Contains([]byte(err.Error()), []byte(e.token)) {
			t.Error("the token leaked into an error message")
		}
	}
	if n := e.doer.count("*"); n != 0 {
		t.Fatalf("%d HTTP calls for invalid input", n)
	}
}

// TestFaults checks that every injected fault is survived or reported as a
// typed error — never by redeeming twice or hanging past the deadline.
func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		fault   string
		wantErr errs.Code // "" = must succeed
	}{
		{"POST /auth/challenge#1=429:retry-after=1", ""},
		{"POST /auth/challenge#1=429:retry-after-date=1", ""},
		{"GET /auth/{referenceNumber}#1=503", ""},
		{"GET /auth/{referenceNumber}#1=502", ""},
		{"GET /security/public-key-certificates#1=drop", ""},
		{"POST /auth/challenge#1=drop", ""},
		{"POST /auth/ksef-token=rotate-keys", ""},
		{"GET /auth/{referenceNumber}=status-550", ""},
		{"POST /auth/ksef-token#1=500", errs.API},
		{"POST /auth/ksef-token#1=drop", errs.Transport},
		{"POST /auth/token/redeem#1=drop", errs.Transport},
		{"POST /auth/token/redeem#1=503", errs.API},
		{"POST /auth/challenge#every=429:retry-after=1", errs.RateLimited},
		{"POST /auth/ksef-token=slow:ms=3000", errs.Timeout},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			e := setup(t, true)
			f, err := sim.ParseFault(tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.sim.AddFault(f); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = e.auth()
			if time.Since(start) > 12*time.Second {
				t.Fatalf("took %s, past the 10 s deadline", time.Since(start))
			}
			if got := errs.CodeOf(err); got != tc.wantErr {
				t.Fatalf("got %v (%v), want code %q", got, err, tc.wantErr)
			}
			if n := e.doer.count("POST /auth/token/redeem"); n > 1 {
				t.Fatalf("redeemed %d times", n)
			}
		})
	}
}

var pollFast = auth.PollPolicy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond, Timeout: 5 * time.Second}
