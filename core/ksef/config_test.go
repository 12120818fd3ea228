package ksef

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
)

// A user agent that cannot be a header value is refused when the client is
// made, in every binding (they all parse their options here), not on the
// first request after the retries (issue 10 finding 6).
func TestUserAgentMustBeOneLineOfText(t *testing.T) {
	for _, ua := range []string{"app/1.0\r\nX-Injected: 1", "app\n", "nul\x00", "bell\a", "del\x7f", strings.Repeat("a", 513)} {
		cfg, err := ParseJSONConfig([]byte(`{"environment":"test","userAgent":` + quote(ua) + `}`))
		if err == nil {
			_, err = New(cfg)
		}
		e := errs.As(err)
		if e == nil || e.Code != errs.InputInvalid || e.Field != "userAgent" || strings.Contains(e.Message, "Injected") {
			t.Errorf("%q: %v", ua, err)
		}
	}
	for _, ua := range []string{"", "ksefkit-app/2.1 (Linux; +https://example.com)", "tab\tok", "zażółć/1"} {
		if _, err := New(Config{Environment: "test", UserAgent: ua}); err != nil {
			t.Errorf("%q refused: %v", ua, err)
		}
	}
}

// Options of the wrong JSON kind are input.invalid naming the option, and
// the value is not echoed.
func TestConfigWrongKindNamesTheOption(t *testing.T) {
	for in, field := range map[string]string{
		`{"environment":"test","requestTimeoutMs":"thirty"}`: "requestTimeoutMs",
		`{"environment":"test","maxAttempts":2.5}`:           "maxAttempts",
		`{"environment":"test","logLevel":7}`:                "logLevel",
		`{"environment":"test","logLevel":"verbose"}`:        "logLevel",
		`{"environment":"test","backoffMs":-1}`:              "backoffMs",
	} {
		_, err := ParseJSONConfig([]byte(in))
		e := errs.As(err)
		if e == nil || e.Code != errs.InputInvalid || e.Field != field || strings.Contains(e.Message, "thirty") || strings.Contains(e.Message, "verbose") {
			t.Errorf("%s: %v", in, err)
		}
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }
