package api

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/transport"
)

// specExamples reads the schema examples of the official OpenAPI document
// (the simulator embeds a verbatim copy).
func specExamples(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "sim", "spec", "open-api.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Example json.RawMessage `json:"example"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]json.RawMessage{}
	for name, s := range doc.Components.Schemas {
		if len(s.Example) > 0 {
			out[name] = s.Example
		}
	}
	return out
}

func response(status int, body json.RawMessage, header ...string) *transport.Response {
	h := transport.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &transport.Response{Status: status, Header: h, Body: body}
}

func TestDecodeLegacyExceptionFromSpecExample(t *testing.T) {
	ex := specExamples(t)["ExceptionResponse"]
	if ex == nil {
		t.Fatal("no ExceptionResponse example in the spec")
	}
	e := DecodeError(response(400, ex))
	if e.Code != errs.API || e.HTTPStatus != 400 || len(e.Exceptions) != 1 {
		t.Fatalf("%#v", e)
	}
	x := e.Exceptions[0]
	if x.Code != 12345 || x.Description != "Opis błędu." || len(x.Details) != 1 {
		t.Fatalf("exception %#v", x)
	}
	if e.TraceID != "00-c02cc3747020c605be02159bf3324f0e-eee7647dc67aa74a-00" || e.ReferenceNumber == "" || e.ServiceCtx != "srvABCDA" {
		t.Fatalf("trace/reference lost: %#v", e)
	}
}

func TestDecodeProblemDetailsFromSpecExamples(t *testing.T) {
	ex := specExamples(t)
	e := DecodeError(response(400, ex["BadRequestProblemDetails"]))
	if e.Code != errs.API || len(e.Exceptions) != 2 || !e.HasException(21405) || !e.HasException(21157) {
		t.Fatalf("400 problem: %#v", e)
	}
	if e.TraceID != "673843e023c432286660bc0501a3af44" || e.Detail == "" || e.Exceptions[1].Details[0] == "" {
		t.Fatalf("400 problem lost fields: %#v", e)
	}
	e = DecodeError(response(401, ex["UnauthorizedProblemDetails"]))
	if e.Code != errs.Unauthorized || e.Message == "" || e.TraceID == "" {
		t.Fatalf("401: %#v", e)
	}
	if fb := ex["ForbiddenProblemDetails"]; fb != nil {
		e = DecodeError(response(403, fb))
		if e.Code != errs.Forbidden || e.ReasonCode == "" {
			t.Fatalf("403: %#v", e)
		}
	}
	if tm := ex["TooManyRequestsResponse"]; tm != nil {
		e = DecodeError(response(429, tm, "Retry-After", "30"))
		if e.Code != errs.RateLimited || e.RetryAfterSeconds != 30 || len(e.Exceptions) != 1 || e.Exceptions[0].Code != 429 {
			t.Fatalf("429 legacy: %#v", e)
		}
	}
}

func TestDecodeGarbage(t *testing.T) {
	for _, body := range []string{"", "<html>Bad Gateway</html>", "{", `{"unexpected":true}`, "null", `[1,2]`} {
		e := DecodeError(response(502, json.RawMessage(body), "Content-Type", "text/html"))
		if e.Code != errs.API || e.HTTPStatus != 502 || e.Message == "" {
			t.Errorf("body %q: %#v", body, e)
		}
	}
}

func TestParseWarnings(t *testing.T) {
	w := ParseWarnings("[sig-001]: Format podpisu niezgodny | [x-2]: second one ")
	if len(w) != 2 || w[0].Code != "sig-001" || w[0].Message != "Format podpisu niezgodny" || w[1].Code != "x-2" || w[1].Message != "second one" {
		t.Fatalf("%#v", w)
	}
	if len(ParseWarnings("")) != 0 {
		t.Fatal("empty header gave warnings")
	}
	if w := ParseWarnings("plain text"); len(w) != 1 || w[0].Message != "plain text" {
		t.Fatalf("%#v", w)
	}
}

func TestTokenInfoNeverPrintsToken(t *testing.T) {
	ti := TokenInfo{Token: secret.NewString("secret-jwt")}
	for _, s := range []string{ti.String(), ti.GoString()} {
		if s == "" || strings.Contains(s, "secret-jwt") {
			t.Fatalf("token leaked: %s", s)
		}
	}
}
