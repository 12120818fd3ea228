package sim

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
)

// fakeClock is a settable clock for expiring challenges and tokens.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 10, 9, 30, 0, 123456700, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// startSim runs a simulator on loopback for one test (in parallel with the
// others: each has its own server) and fails the test if any request or
// response broke the OpenAPI document, unless the test reset the record
// after provoking violations on purpose.
func startSim(t *testing.T, opts Options) (*Server, *client) {
	t.Helper()
	t.Parallel()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		requireNoViolations(t, s)
	})
	return s, &client{t: t, base: s.URL(), hc: &http.Client{Timeout: 10 * time.Second}}
}

func requireNoViolations(t *testing.T, s *Server) {
	t.Helper()
	if v := s.SpecViolations(); len(v) > 0 {
		t.Errorf("OpenAPI violations:\n%s", strings.Join(v, "\n"))
	}
}

// client speaks raw HTTP to the simulator, as a test must not depend on the
// client library it is meant to test.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	// header is added to every request (e.g. X-Error-Format).
	header http.Header
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r reply) String() string { return fmt.Sprintf("HTTP %d %s", r.status, r.body) }

func (c *client) do(method, path, bearer string, body any, hdr ...string) reply {
	c.t.Helper()
	rep, err := c.try(method, path, bearer, body, hdr...)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return rep
}

func (c *client) try(method, path, bearer string, body any, hdr ...string) (reply, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return reply{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}, err
}

// exceptionCodes extracts the KSeF exception codes of a 400/500 answer in
// either error format.
func exceptionCodes(t *testing.T, r reply) []int {
	t.Helper()
	var legacy legacyException
	var prob badRequestProblem
	var out []int
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		r.json(t, &prob)
		for _, e := range prob.Errors {
			out = append(out, e.Code)
		}
		return out
	}
	r.json(t, &legacy)
	for _, e := range legacy.Exception.ExceptionDetailList {
		out = append(out, e.ExceptionCode)
	}
	return out
}

func wantException(t *testing.T, r reply, code int) {
	t.Helper()
	if r.status != http.StatusBadRequest {
		t.Fatalf("want 400 with %d, got %v", code, r)
	}
	codes := exceptionCodes(t, r)
	if len(codes) != 1 || codes[0] != code {
		t.Fatalf("want exception %d, got %v", code, r)
	}
}

func nipContext(nip string) ids.ContextIdentifier {
	return ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}
}

// issue creates a token for a fresh random NIP, authored by its owner.
func issue(t *testing.T, s *Server) (nip string, tok IssuedToken) {
	t.Helper()
	nip = ids.RandomNIP()
	tok, err := s.IssueToken(TokenRequest{Context: nipContext(nip)})
	if err != nil {
		t.Fatal(err)
	}
	return nip, tok
}

type keyInfo struct {
	id  string
	pub *rsa.PublicKey
}

// tokenKey fetches the KsefTokenEncryption key and checks how it is published.
func (c *client) tokenKey() keyInfo {
	c.t.Helper()
	r := c.do("GET", "/security/public-key-certificates", "", nil)
	if r.status != 200 {
		c.t.Fatalf("public keys: %v", r)
	}
	var certs []publicKeyCertificate
	r.json(c.t, &certs)
	for _, pc := range certs {
		if len(pc.Usage) != 1 || pc.Usage[0] != usageKsefToken {
			continue
		}
		der, err := base64.StdEncoding.DecodeString(pc.Certificate)
		if err != nil {
			c.t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			c.t.Fatal(err)
		}
		spki := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
		certSum := sha256.Sum256(der)
		if pc.PublicKeyID != base64.StdEncoding.EncodeToString(spki[:]) ||
			pc.CertificateID != base64.StdEncoding.EncodeToString(certSum[:]) {
			c.t.Fatalf("publicKeyId/certificateId are not the SHA-256 of SPKI/certificate: %+v", pc)
		}
		return keyInfo{pc.PublicKeyID, cert.PublicKey.(*rsa.PublicKey)}
	}
	c.t.Fatalf("no KsefTokenEncryption key in %s", r.body)
	return keyInfo{}
}

func (c *client) challenge() challengeResponse {
	c.t.Helper()
	r := c.do("POST", "/auth/challenge", "", nil)
	if r.status != 200 {
		c.t.Fatalf("challenge: %v", r)
	}
	var ch challengeResponse
	r.json(c.t, &ch)
	return ch
}

func encrypt(t *testing.T, pub *rsa.PublicKey, plain string) string {
	t.Helper()
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte(plain), nil)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(ct)
}

// tokenAuth is one POST /auth/ksef-token attempt.
type tokenAuth struct {
	token   string
	ctx     ids.ContextIdentifier
	key     keyInfo
	ch      challengeResponse
	stamp   string         // overrides the timestampMs in the plaintext
	policy  map[string]any // authorizationPolicy
	noKeyID bool
}

func (c *client) startTokenAuth(a tokenAuth) reply {
	c.t.Helper()
	stamp := a.stamp
	if stamp == "" {
		stamp = strconv.FormatInt(a.ch.TimestampMs, 10)
	}
	body := map[string]any{
		"challenge":         a.ch.Challenge,
		"contextIdentifier": a.ctx,
		"encryptedToken":    encrypt(c.t, a.key.pub, a.token+"|"+stamp),
	}
	if !a.noKeyID {
		body["publicKeyId"] = a.key.id
	}
	if a.policy != nil {
		body["authorizationPolicy"] = a.policy
	}
	return c.do("POST", "/auth/ksef-token", "", body)
}

// login starts a token authentication that must be accepted (202).
func (c *client) login(token string, ctx ids.ContextIdentifier) authInitResponse {
	c.t.Helper()
	r := c.startTokenAuth(tokenAuth{token: token, ctx: ctx, key: c.tokenKey(), ch: c.challenge()})
	if r.status != http.StatusAccepted {
		c.t.Fatalf("ksef-token: %v", r)
	}
	var init authInitResponse
	r.json(c.t, &init)
	return init
}

// poll asks for the status until it is terminal and returns it.
func (c *client) poll(init authInitResponse) authStatusResponse {
	c.t.Helper()
	for i := 0; i < 20; i++ {
		r := c.do("GET", "/auth/"+init.ReferenceNumber, init.AuthenticationToken.Token, nil)
		if r.status != 200 {
			c.t.Fatalf("status: %v", r)
		}
		var st authStatusResponse
		r.json(c.t, &st)
		if st.Status.Code != 100 {
			return st
		}
	}
	c.t.Fatal("status stayed 100")
	return authStatusResponse{}
}

// fullLogin authenticates, polls and redeems.
func (c *client) fullLogin(token string, ctx ids.ContextIdentifier) (authInitResponse, tokensResponse) {
	c.t.Helper()
	init := c.login(token, ctx)
	if st := c.poll(init); st.Status.Code != 200 {
		c.t.Fatalf("status %+v", st.Status)
	}
	r := c.do("POST", "/auth/token/redeem", init.AuthenticationToken.Token, nil)
	if r.status != 200 {
		c.t.Fatalf("redeem: %v", r)
	}
	var toks tokensResponse
	r.json(c.t, &toks)
	return init, toks
}

// syncBuffer collects log output written from the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
