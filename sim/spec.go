package sim

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// specJSON is the official KSeF API v2 OpenAPI document (see spec/README.md).
//
//go:embed spec/open-api.json
var specJSON []byte

// SpecJSON returns the embedded OpenAPI document the simulator validates
// against, byte for byte as published by the Ministry of Finance.
func SpecJSON() []byte { return append([]byte(nil), specJSON...) }

// apiSpec is the parsed document and its router. Loading takes ~100 ms, so it
// happens once per process and every Server shares the read-only result.
type apiSpec struct {
	doc    *openapi3.T
	router routers.Router
}

var loadSpec = sync.OnceValues(func() (*apiSpec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(specJSON)
	if err != nil {
		return nil, fmt.Errorf("sim: parse embedded OpenAPI document: %w", err)
	}
	// The document's own examples contain values its schemas reject (the
	// ExceptionResponse example has a timestamp without an offset), so examples
	// are not checked; everything else must be sound.
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("sim: embedded OpenAPI document is invalid: %w", err)
	}
	// The document names only the TEST host. A host-less server URL makes the
	// router match "/v2/..." on whatever loopback address we listen on.
	doc.Servers = openapi3.Servers{{URL: "/v2"}}
	// POST /auth/xades-signature takes application/xml, declared as a plain
	// string; kin-openapi has no decoder for it out of the box.
	if openapi3filter.RegisteredBodyDecoder("application/xml") == nil {
		openapi3filter.RegisterBodyDecoder("application/xml", openapi3filter.PlainBodyDecoder)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("sim: build OpenAPI router: %w", err)
	}
	return &apiSpec{doc: doc, router: router}, nil
})

// Format validators. kin-openapi's defaults are looser or stricter than KSeF in
// a few places; these encode what the API actually exchanges.
var (
	// format: byte is standard Base64 with padding (keys, ciphertexts,
	// hashes, certificates); the default accepts the URL alphabet too.
	byteFormat = openapi3.NewCallbackValidator(func(s string) error {
		if _, err := base64.StdEncoding.Strict().DecodeString(s); err != nil {
			return errors.New("not standard Base64 with padding")
		}
		return nil
	})
	// KSeF documents that date-times without an offset are accepted in
	// requests (interpreted as Europe/Warsaw), so requests may omit it. Any
	// number of fractional digits is fine: the server itself sends seven.
	requestDateTime = openapi3.NewRegexpFormatValidator(
		`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?$`)
	// Responses must carry an offset (strict RFC 3339), which is what we send.
	responseDateTime = openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringDateTime)
)

func (sp *apiSpec) requestOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError: true,
		// Keep the body exactly as the client sent it.
		SkipSettingDefaults: true,
		// Presence only: whether the token is genuine is the handler's job,
		// which answers 401/403 the way KSeF does.
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			h := in.RequestValidationInput.Request.Header.Get("Authorization")
			if tok, ok := strings.CutPrefix(h, "Bearer "); !ok || strings.TrimSpace(tok) == "" {
				return errors.New("missing Authorization: Bearer <token>")
			}
			return nil
		},
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
				"byte": byteFormat, "date-time": requestDateTime,
			}),
		},
	}
}

func (sp *apiSpec) responseOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError: true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
				"byte": byteFormat, "date-time": responseDateTime,
			}),
		},
	}
}

// validateValue checks v, as JSON, against a schema of the document's
// components, with the formats of responses: for what the simulator keeps
// to serve later.
func (sp *apiSpec) validateValue(schema string, v any) error {
	ref := sp.doc.Components.Schemas[schema]
	if ref == nil {
		return fmt.Errorf("sim: no schema %s in the OpenAPI document", schema)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	return ref.Value.VisitJSON(doc, openapi3.MultiErrors(), openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
		"byte": byteFormat, "date-time": responseDateTime,
	}))
}

// route finds the OpenAPI operation of a request. The error is
// routers.ErrPathNotFound or routers.ErrMethodNotAllowed.
func (sp *apiSpec) route(r *http.Request) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := sp.router.FindRoute(r)
	if err != nil {
		return nil, err
	}
	return &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options:    sp.requestOptions(),
	}, nil
}

// isMediaTypeError reports a request whose Content-Type the operation does
// not accept; KSeF answers those with 415, not 21405.
func isMediaTypeError(err error) bool {
	var re *openapi3filter.RequestError
	return errors.As(err, &re) && strings.HasPrefix(re.Reason, "header Content-Type has unexpected value")
}

// violationLines turns a validator error into short, readable lines: the
// "details" of a 21405 answer and the entries of SpecViolations.
func violationLines(err error) []string { return flatten("", err) }

// flatten walks kin-openapi's error tree down to the schema errors, which
// carry the JSON pointer of the offending value.
func flatten(prefix string, err error) []string {
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []string
		for _, x := range e {
			out = append(out, flatten(prefix, x)...)
		}
		return out
	case *openapi3filter.RequestError:
		where := "request body"
		if e.Parameter != nil {
			where = fmt.Sprintf("%s parameter %q", e.Parameter.In, e.Parameter.Name)
		}
		return flattenCause(prefix+where, e.Reason, e.Err)
	case *openapi3filter.ResponseError:
		return flattenCause(prefix+"response", e.Reason, e.Err)
	case *openapi3filter.SecurityRequirementsError:
		return []string{prefix + "missing Authorization: Bearer <token>"}
	case *openapi3.SchemaError:
		// allOf (the spec wraps most referenced schemas in one) says only
		// "doesn't match all schemas"; the useful errors are inside.
		if e.SchemaField == "allOf" {
			for inner := e.Origin; inner != nil; inner = errors.Unwrap(inner) {
				switch inner.(type) {
				case openapi3.MultiError, *openapi3.SchemaError:
					return flatten(prefix, inner)
				}
			}
		}
		if ptr := strings.Join(e.JSONPointer(), "/"); ptr != "" {
			return []string{fmt.Sprintf("%s/%s: %s", prefix, ptr, squash(e.Reason))}
		}
		return []string{fmt.Sprintf("%s: %s", strings.TrimSpace(prefix), squash(e.Reason))}
	}
	return []string{prefix + squash(err.Error())}
}

func flattenCause(where, reason string, cause error) []string {
	switch cause.(type) {
	case openapi3.MultiError, *openapi3.SchemaError:
		return flatten(where+" ", cause)
	case nil:
		return []string{where + ": " + squash(reason)}
	}
	if reason == "" {
		return []string{where + ": " + squash(cause.Error())}
	}
	return []string{where + ": " + squash(reason+": "+cause.Error())}
}

var spaces = regexp.MustCompile(`\s+`)

// squash keeps validator messages on one line (they embed schema dumps).
func squash(s string) string {
	s = spaces.ReplaceAllString(s, " ")
	if i := strings.Index(s, " Schema: {"); i > 0 {
		s = s[:i]
	}
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return strings.TrimSpace(s)
}

// recordViolation logs a spec mismatch loudly and keeps it for SpecViolations.
func (s *Server) recordViolation(kind, method, path string, lines []string) {
	msg := fmt.Sprintf("%s %s %s: %s", kind, method, path, strings.Join(lines, "; "))
	s.log.Error("OpenAPI violation", "kind", kind, "method", method, "path", path, "details", strings.Join(lines, "; "))
	s.violMu.Lock()
	s.violations = append(s.violations, msg)
	s.violMu.Unlock()
}

// SpecViolations returns every request and response that did not match the
// OpenAPI document since the server started (or since ResetSpecViolations).
// Tests should fail when it is not empty.
func (s *Server) SpecViolations() []string {
	s.violMu.Lock()
	defer s.violMu.Unlock()
	return append([]string(nil), s.violations...)
}

// ResetSpecViolations forgets recorded violations (for tests that provoke
// them on purpose).
func (s *Server) ResetSpecViolations() {
	s.violMu.Lock()
	s.violations = nil
	s.violMu.Unlock()
}
