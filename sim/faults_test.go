package sim

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseFault(t *testing.T) {
	for spec, want := range map[string]Fault{
		"POST /auth/ksef-token#1=429:retry-after=1":     {Route: "POST /auth/ksef-token", Call: 1, Kind: FaultTooManyRequests, RetryAfter: 1},
		"POST /auth/ksef-token=429":                     {Route: "POST /auth/ksef-token", Kind: FaultTooManyRequests},
		"GET /auth/{referenceNumber}#2+=503:count=3":    {Route: "GET /auth/{referenceNumber}", Call: 2, From: true, Count: 3, Kind: FaultUnavailable},
		"*#every=slow:ms=50":                            {Route: "*", Call: 1, From: true, Kind: FaultSlow, Delay: 50 * time.Millisecond},
		"POST /auth/challenge#3=429:retry-after-date=2": {Route: "POST /auth/challenge", Call: 3, Kind: FaultTooManyRequests, RetryAfter: 2, RetryAfterDate: true},
		"POST /auth/ksef-token=rotate-keys":             {Route: "POST /auth/ksef-token", Kind: FaultRotateKeys},
		"GET /auth/{referenceNumber}=status-550":        {Route: "GET /auth/{referenceNumber}", Kind: FaultStatus550},
		"* = drop":                                      {Route: "*", Kind: FaultDrop},
		"POST /auth/token/redeem#2=500:count=2":         {Route: "POST /auth/token/redeem", Call: 2, Count: 2, Kind: FaultInternalError},
		"GET /security/public-key-certificates#1=502":   {Route: "GET /security/public-key-certificates", Call: 1, Kind: FaultBadGateway},
	} {
		got, err := ParseFault(spec)
		if err != nil {
			t.Errorf("%q: %v", spec, err)
			continue
		}
		if got != want {
			t.Errorf("%q: got %+v, want %+v", spec, got, want)
		}
		// String is the canonical form and parses back to the same fault.
		again, err := ParseFault(got.String())
		if err != nil || again.String() != got.String() {
			t.Errorf("%q: round trip %q → %+v, %v", spec, got.String(), again, err)
		}
	}

	for spec, wantErr := range map[string]string{
		"POST /auth/ksef-token":                                        `missing "=KIND"`,
		"POST /auth/ksef-token#1=418":                                  `unknown kind "418"`,
		"post /auth/ksef-token=429":                                    `unknown HTTP method "post"`,
		"POST auth/ksef-token=429":                                     "must start with /",
		"POST /v2/auth/ksef-token=429":                                 "without the /v2 prefix",
		"/auth/ksef-token=429":                                         `route must be "*" or "METHOD /path"`,
		"POST /auth/ksef-token#0=429":                                  "positive whole number",
		"POST /auth/ksef-token#x=429":                                  `want N, N+ or "every"`,
		"POST /auth/ksef-token#1=429:retry=1":                          `parameter "retry" does not apply`,
		"POST /auth/ksef-token#1=500:retry-after=1":                    `parameter "retry-after" does not apply to kind 500`,
		"POST /auth/ksef-token#1=slow:ms=-5":                           "positive whole number",
		"POST /auth/ksef-token#1=slow:ms":                              "must be NAME=VALUE",
		"POST /auth/ksef-token#1=429:count=1,count=2":                  "given twice",
		"POST /auth/ksef-token#1=429:retry-after=1,retry-after-date=1": "exclude each other",
	} {
		_, err := ParseFault(spec)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: got error %v, want it to mention %q", spec, err, wantErr)
		}
	}
}

func TestAddFaultChecksRoute(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddFault(Fault{Route: "GET /auth/ksef-token", Kind: FaultDrop}); err == nil || !strings.Contains(err.Error(), "not an operation") {
		t.Errorf("wrong method accepted: %v", err)
	}
	if err := s.AddFault(Fault{Route: "GET /auth/{ref}", Kind: FaultDrop}); err == nil {
		t.Error("wrong template accepted")
	}
	if err := s.AddFault(Fault{Route: "GET /auth/{referenceNumber}", Kind: FaultSlow, RetryAfter: 2}); err == nil {
		t.Error("parameter of another kind accepted")
	}
}

func TestFaultCallSelection(t *testing.T) {
	for spec, want := range map[string]string{
		"POST /auth/challenge#2=500":          "o5ooooo",
		"POST /auth/challenge=500":            "5oooooo",
		"POST /auth/challenge#2=500:count=2":  "o55oooo",
		"POST /auth/challenge#3+=500":         "oo55555",
		"POST /auth/challenge#3+=500:count=2": "oo55ooo",
		"POST /auth/challenge#every=500":      "5555555",
		"*#2=500":                             "o5ooooo",
		"GET /auth/{referenceNumber}=500":     "ooooooo",
	} {
		t.Run(spec, func(t *testing.T) {
			f, err := ParseFault(spec)
			if err != nil {
				t.Fatal(err)
			}
			_, c := startSim(t, Options{Faults: []Fault{f}})
			var got strings.Builder
			for range len(want) {
				switch r := c.do("POST", "/auth/challenge", "", nil); r.status {
				case 200:
					got.WriteByte('o')
				case 500:
					got.WriteByte('5')
				default:
					t.Fatalf("unexpected %v", r)
				}
			}
			if got.String() != want {
				t.Errorf("got %s, want %s", got.String(), want)
			}
		})
	}
}

func addFault(t *testing.T, s *Server, spec string) {
	t.Helper()
	f, err := ParseFault(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddFault(f); err != nil {
		t.Fatal(err)
	}
}

func TestFaultKinds(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay})

	t.Run("429 seconds, legacy and problem", func(t *testing.T) {
		defer s.ClearFaults()
		addFault(t, s, "POST /auth/challenge#1+=429:retry-after=3,count=2")
		r := c.do("POST", "/auth/challenge", "", nil)
		var legacy tooManyRequests
		r.json(t, &legacy)
		if r.status != 429 || r.header.Get("Retry-After") != "3" || legacy.Status.Code != 429 {
			t.Fatalf("legacy: %v %v", r, r.header)
		}
		r = c.do("POST", "/auth/challenge", "", nil, "X-Error-Format", "problem-details")
		var p problem
		r.json(t, &p)
		if r.status != 429 || r.header.Get("Content-Type") != "application/problem+json" || p.Status != 429 || p.TraceID == "" {
			t.Fatalf("problem: %v", r)
		}
		if r := c.do("POST", "/auth/challenge", "", nil); r.status != 200 {
			t.Fatalf("after count: %v", r)
		}
	})

	t.Run("429 HTTP-date", func(t *testing.T) {
		defer s.ClearFaults()
		addFault(t, s, "POST /auth/challenge=429:retry-after-date=5")
		r := c.do("POST", "/auth/challenge", "", nil)
		when, err := http.ParseTime(r.header.Get("Retry-After"))
		if r.status != 429 || err != nil || time.Until(when) < 3*time.Second || time.Until(when) > 6*time.Second {
			t.Fatalf("%v Retry-After %q", r, r.header.Get("Retry-After"))
		}
	})

	t.Run("500 is legacy with exceptionCode 500 even for problem-details", func(t *testing.T) {
		defer s.ClearFaults()
		addFault(t, s, "POST /auth/challenge=500")
		r := c.do("POST", "/auth/challenge", "", nil, "X-Error-Format", "problem-details")
		if codes := exceptionCodes(t, r); r.status != 500 || len(codes) != 1 || codes[0] != 500 {
			t.Fatalf("%v", r)
		}
	})

	t.Run("502 and 503", func(t *testing.T) {
		defer s.ClearFaults()
		addFault(t, s, "POST /auth/challenge#1=502")
		addFault(t, s, "POST /auth/challenge#2=503:retry-after=7")
		if r := c.do("POST", "/auth/challenge", "", nil); r.status != 502 || !strings.Contains(string(r.body), "Bad Gateway") {
			t.Fatalf("502: %v", r)
		}
		if r := c.do("POST", "/auth/challenge", "", nil); r.status != 503 || r.header.Get("Retry-After") != "7" {
			t.Fatalf("503: %v", r)
		}
	})

	t.Run("drop", func(t *testing.T) {
		defer s.ClearFaults()
		// POST, because net/http silently retries a GET whose reused
		// connection closed before answering.
		addFault(t, s, "POST /auth/challenge=drop")
		if r, err := c.try("POST", "/auth/challenge", "", nil); err == nil {
			t.Fatalf("want a transport error, got %v", r)
		}
		c.challenge() // the next call is answered
	})

	t.Run("slow, and a client that gives up", func(t *testing.T) {
		defer s.ClearFaults()
		addFault(t, s, "POST /auth/challenge#1+=slow:ms=300,count=2")
		start := time.Now()
		c.challenge()
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Fatalf("answered after %s", d)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", c.base+"/auth/challenge", nil)
		if _, err := c.hc.Do(req); err == nil {
			t.Fatal("want the client's timeout")
		}
	})

	t.Run("rotate-keys gives 21470 to a client with the old key", func(t *testing.T) {
		defer s.ClearFaults()
		nip, tok := issue(t, s)
		old := c.tokenKey()
		addFault(t, s, "POST /auth/ksef-token#1=rotate-keys")
		ch := c.challenge()
		wantException(t, c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: old, ch: ch}), codeUnknownPublicKey)
		if r := c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: c.tokenKey(), ch: ch}); r.status != 202 {
			t.Fatalf("retry with fresh key: %v", r)
		}
	})

	t.Run("status-550 on ksef-token", func(t *testing.T) {
		defer s.ClearFaults()
		nip, tok := issue(t, s)
		addFault(t, s, "POST /auth/ksef-token=status-550")
		init := c.login(tok.Token, nipContext(nip))
		if st := c.poll(init); st.Status.Code != 550 {
			t.Fatalf("%+v", st.Status)
		}
		wantException(t, c.do("POST", "/auth/token/redeem", init.AuthenticationToken.Token, nil), codeNoAuthorization)
		// The retry of the whole flow succeeds.
		if st := c.poll(c.login(tok.Token, nipContext(nip))); st.Status.Code != 200 {
			t.Fatalf("retry: %+v", st.Status)
		}
	})

	t.Run("status-550 on the status poll", func(t *testing.T) {
		defer s.ClearFaults()
		nip, tok := issue(t, s)
		addFault(t, s, "GET /auth/{referenceNumber}=status-550")
		if st := c.poll(c.login(tok.Token, nipContext(nip))); st.Status.Code != 550 {
			t.Fatalf("%+v", st.Status)
		}
	})
}

func TestSimFaultEndpoints(t *testing.T) {
	_, c := startSim(t, Options{})
	r := c.do("POST", "/_sim/faults", "", map[string]any{"faults": []string{"POST /auth/challenge=500", "GET /nope=500"}})
	if r.status != 400 || !strings.Contains(string(r.body), "not an operation") {
		t.Fatalf("bad route accepted: %v", r)
	}
	r = c.do("POST", "/_sim/faults", "", map[string]any{"faults": []string{"POST /auth/challenge=500"}})
	if r.status != 200 || !strings.Contains(string(r.body), `"POST /auth/challenge#1=500"`) {
		t.Fatalf("add: %v", r)
	}
	if r := c.do("POST", "/auth/challenge", "", nil); r.status != 500 {
		t.Fatalf("fault not applied: %v", r)
	}
	c.do("POST", "/_sim/faults", "", map[string]any{"faults": []string{"POST /auth/challenge=500"}})
	if r := c.do("DELETE", "/_sim/faults", "", nil); r.status != 204 {
		t.Fatalf("clear: %v", r)
	}
	if r := c.do("POST", "/auth/challenge", "", nil); r.status != 200 {
		t.Fatalf("fault survived clearing: %v", r)
	}
}
