package sim

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

func TestRequestViolationIs21405(t *testing.T) {
	s, c := startSim(t, Options{})
	nip, tok := issue(t, s)
	key := c.tokenKey()
	ch := c.challenge()
	body := map[string]any{ // encryptedToken missing
		"challenge":         ch.Challenge,
		"contextIdentifier": nipContext(nip),
		"publicKeyId":       key.id,
	}
	r := c.do("POST", "/auth/ksef-token", "", body)
	wantException(t, r, codeValidation)
	var legacy legacyException
	r.json(t, &legacy)
	details := strings.Join(legacy.Exception.ExceptionDetailList[0].Details, " ")
	if !strings.Contains(details, "encryptedToken") {
		t.Errorf("details do not name the field: %q", details)
	}
	if !strings.HasPrefix(legacy.Exception.ServiceCode, "00-") || legacy.Exception.Timestamp == "" {
		t.Errorf("legacy envelope: %+v", legacy.Exception)
	}

	// The same in problem-details form when asked for.
	r = c.do("POST", "/auth/ksef-token", "", body, "X-Error-Format", "problem-details")
	var p badRequestProblem
	r.json(t, &p)
	if r.status != 400 || r.header.Get("Content-Type") != "application/problem+json" ||
		len(p.Errors) != 1 || p.Errors[0].Code != codeValidation || p.TraceID == "" || p.Instance != "/v2/auth/ksef-token" {
		t.Fatalf("problem details: %v", r)
	}

	// A wrong enum value and a bad Base64 string are caught too.
	body["encryptedToken"] = "not base64!"
	body["contextIdentifier"] = map[string]string{"type": "Regon", "value": nip}
	r = c.do("POST", "/auth/ksef-token", "", body)
	wantException(t, r, codeValidation)
	if !strings.Contains(string(r.body), "contextIdentifier") || !strings.Contains(string(r.body), "encryptedToken") {
		t.Errorf("want both problems reported: %s", r.body)
	}

	if n := len(s.SpecViolations()); n != 3 {
		t.Errorf("want 3 recorded violations, got %d: %v", n, s.SpecViolations())
	}
	s.ResetSpecViolations()

	// The challenge survived the rejected attempts.
	if r := c.startTokenAuth(tokenAuth{token: tok.Token, ctx: nipContext(nip), key: key, ch: ch}); r.status != 202 {
		t.Fatalf("valid request after violations: %v", r)
	}
}

func TestRequestViolationNonStrict(t *testing.T) {
	s, c := startSim(t, Options{NoStrict: true})
	r := c.do("POST", "/testdata/person", "", map[string]any{"nip": "123", "pesel": "x", "description": "test person"})
	// Validation only records; the handler still rejects the bad NIP itself.
	wantException(t, r, codeValidation)
	if len(s.SpecViolations()) == 0 {
		t.Fatal("violation not recorded")
	}
	s.ResetSpecViolations()
}

func TestResponseViolationIsCaught(t *testing.T) {
	for _, strict := range []bool{true, false} {
		t.Run(map[bool]string{true: "strict", false: "non-strict"}[strict], func(t *testing.T) {
			s, c := startSim(t, Options{NoStrict: !strict})
			// Break the challenge response: misspell a required field.
			s.mangle = func(status int, h http.Header, body []byte) (int, []byte) {
				return status, bytes.Replace(body, []byte(`"clientIp"`), []byte(`"clientIP"`), 1)
			}
			r := c.do("POST", "/auth/challenge", "", nil)
			if strict {
				codes := exceptionCodes(t, r)
				if r.status != 500 || len(codes) != 1 || codes[0] != codeUnexpectedException || !strings.Contains(string(r.body), "clientIp") {
					t.Fatalf("want 500 naming the broken field, got %v", r)
				}
			} else if r.status != 200 {
				// Without strict mode the broken answer goes out, but is still recorded.
				t.Fatalf("non-strict: %v", r)
			}
			v := s.SpecViolations()
			if len(v) != 1 || !strings.HasPrefix(v[0], "response POST /v2/auth/challenge") {
				t.Fatalf("strict=%v: violations %v", strict, v)
			}
			s.ResetSpecViolations()
		})
	}
}

func TestResponsesCarrySevenFractionalDigits(t *testing.T) {
	_, c := startSim(t, Options{})
	ch := c.challenge()
	// 2026-03-10T09:30:00.1234567+00:00
	if len(ch.Timestamp) != len("2026-03-10T09:30:00.1234567+00:00") || !strings.HasSuffix(ch.Timestamp, "+00:00") {
		t.Fatalf("timestamp %q", ch.Timestamp)
	}
}

func TestNotAnOperation(t *testing.T) {
	var logs syncBuffer
	_, c := startSim(t, Options{Logger: newTestLogger(&logs)})
	if r := c.do("GET", "/nope", "", nil); r.status != 404 {
		t.Errorf("unknown path: %v", r)
	}
	if r := c.do("PUT", "/auth/challenge", "", nil); r.status != 405 {
		t.Errorf("wrong method: %v", r)
	}
	// In the spec, not simulated yet.
	if r := c.do("GET", "/peppol/query", "", nil); r.status != 501 {
		t.Errorf("unsimulated operation: %v", r)
	}
	if !strings.Contains(logs.String(), `level=WARN msg="not simulated" method=GET path=/v2/peppol/query`) {
		t.Errorf("the unsimulated route was not logged at warn level:\n%s", logs.String())
	}
}

func TestSystemWarningEcho(t *testing.T) {
	_, c := startSim(t, Options{})
	r := c.do("POST", "/auth/challenge", "", nil, "X-Test-System-Warning", "[sig-001]: Format podpisu niezgodny")
	if got := r.header.Get("X-System-Warning"); got != "[sig-001]: Format podpisu niezgodny" {
		t.Errorf("echo %q", got)
	}
	r = c.do("POST", "/auth/challenge", "", nil, "X-Test-System-Warning", "[w-1]: zażółć gęślą jaźń")
	if got := r.header.Get("X-System-Warning"); got != "[w-1]: zazolc gesla jazn" {
		t.Errorf("ASCII folding: %q", got)
	}
}

func TestViolationLinesAreReadable(t *testing.T) {
	s, c := startSim(t, Options{})
	r := c.do("POST", "/testdata/subject", "", map[string]any{"subjectNip": "0123", "subjectType": "Bank"})
	wantException(t, r, codeValidation)
	for _, line := range s.SpecViolations() {
		if strings.Contains(line, "\n") || len(line) > 2000 {
			t.Errorf("unreadable violation line: %q", line)
		}
	}
	s.ResetSpecViolations()
}
