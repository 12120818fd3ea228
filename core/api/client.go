// Package api speaks KSeF API v2 on the wire: one function per endpoint,
// the request and response bodies as Go structs (field names exactly as in
// the OpenAPI document), and the decoding of both error shapes and of
// X-System-Warning. It does no flow logic (polling, refreshing, choosing
// keys); packages auth and ksef build that on top.
//
// Endpoints live in files named after the first path segment: auth.go
// (/auth/*), security.go (/security/*), sessions.go (/sessions/*),
// testdata.go (/testdata/*), tokens.go (/tokens), limits.go (/limits/*,
// /rate-limits); presigned.go calls the pre-signed storage URLs KSeF hands
// out (no bearer token ever goes there).
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Client sends calls to one KSeF base URL.
type Client struct {
	BaseURL string // including /v2, without trailing slash
	Sender  *transport.Sender
	Logger  *slog.Logger
	// UserAgent is sent as User-Agent.
	UserAgent string
}

// Call is one API request.
type Call struct {
	Method string
	// Path relative to the base URL, with identifiers already escaped
	// (use PathEscape).
	Path string
	// Route is the path template for logs, e.g. "GET /auth/{referenceNumber}".
	Route  string
	Query  url.Values
	Bearer string
	// JSON, when non-nil, is marshalled as the body with Content-Type application/json.
	JSON any
	// Raw is sent as-is with ContentType when JSON is nil.
	Raw         []byte
	ContentType string
	Header      transport.Header
	Idempotent  bool
	// Accept is the media type asked for; default application/json (UPO
	// downloads ask for application/xml).
	Accept string
}

// Result is a successful answer.
type Result struct {
	Status   int
	Header   transport.Header
	Body     []byte
	Warnings []errs.Warning
}

// Do sends the call and returns the answer when its status is 2xx; any
// other status is decoded into a *errs.Error. out, when non-nil, receives
// the JSON body.
func (c *Client) Do(ctx context.Context, call Call, out any) (*Result, error) {
	u := c.BaseURL + call.Path
	if len(call.Query) > 0 {
		u += "?" + call.Query.Encode()
	}
	h := transport.Header{}
	for k, v := range call.Header {
		h[k] = append([]string(nil), v...)
	}
	accept := call.Accept
	if accept == "" {
		accept = "application/json"
	}
	h.Set("Accept", accept)
	// Opt in to RFC 7807 problem details for 400/429 (401/403/410 always are);
	// they carry a traceId that MF support asks for.
	h.Set("X-Error-Format", "problem-details")
	if c.UserAgent != "" {
		h.Set("User-Agent", c.UserAgent)
	}
	if call.Bearer != "" {
		h.Set("Authorization", "Bearer "+call.Bearer)
	}
	var body []byte
	switch {
	case call.JSON != nil:
		b, err := json.Marshal(call.JSON)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "%s: cannot encode request", call.Route)
		}
		body = b
		h.Set("Content-Type", "application/json")
	case call.Raw != nil:
		body = call.Raw
		h.Set("Content-Type", call.ContentType)
	}
	resp, err := c.Sender.Send(ctx, &transport.Request{
		Method: call.Method, URL: u, Header: h, Body: body, Route: call.Route, Idempotent: call.Idempotent,
	})
	if err != nil {
		return nil, err
	}
	warnings := ParseWarnings(resp.Header.Get("X-System-Warning"))
	if len(warnings) > 0 {
		c.logger().Warn("ksef system warning", "route", call.Route, "warnings", warnings)
		reportWarnings(ctx, warnings)
	}
	if resp.Status < 200 || resp.Status > 299 {
		e := DecodeError(resp)
		e.Warnings = warnings
		if e.Message == "" {
			e.Message = call.Route + " failed"
		} else {
			e.Message = call.Route + ": " + e.Message
		}
		return nil, e
	}
	if out != nil {
		if len(bytes.TrimSpace(resp.Body)) == 0 {
			return nil, errs.New(errs.Protocol, "%s: empty body where JSON was expected (HTTP %d)", call.Route, resp.Status)
		}
		if !isJSON(resp.Header.Get("Content-Type")) {
			// KSeF labels every JSON answer as such; anything else is a
			// proxy, a portal or a misrouted server, even if it parses.
			e := errs.New(errs.Protocol, "%s: answer is %s, not JSON (HTTP %d, %d bytes)", call.Route, contentType(resp), resp.Status, len(resp.Body))
			e.HTTPStatus = resp.Status
			return nil, e
		}
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return nil, protocolError(call.Route, resp, err)
		}
		if v, ok := out.(interface{ validate() error }); ok {
			if err := v.validate(); err != nil {
				return nil, protocolError(call.Route, resp, err)
			}
		}
	}
	return &Result{Status: resp.Status, Header: resp.Header, Body: resp.Body, Warnings: warnings}, nil
}

func (c *Client) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// protocolError reports an answer that is not what the API defines. The
// body is not quoted: it might contain tokens.
func protocolError(route string, resp *transport.Response, err error) *errs.Error {
	e := errs.Wrap(errs.Protocol, err, "%s: unexpected response body (HTTP %d, %d bytes, %s)", route, resp.Status, len(resp.Body), contentType(resp))
	e.HTTPStatus = resp.Status
	return e
}

// isJSON accepts application/json and +json types (with parameters), and a
// missing Content-Type, which only the body can judge.
func isJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "" || mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

func contentType(r *transport.Response) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "no content type"
	}
	return ct
}

// PathEscape escapes one path segment (reference numbers, KSeF numbers).
func PathEscape(s string) string { return url.PathEscape(s) }

// ParseWarnings splits an X-System-Warning header "[code]: message | [code]: message".
func ParseWarnings(h string) []errs.Warning {
	h = strings.TrimSpace(h)
	if h == "" {
		return nil
	}
	var out []errs.Warning
	for _, item := range strings.Split(h, "|") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		w := errs.Warning{Message: item}
		if strings.HasPrefix(item, "[") {
			if end := strings.Index(item, "]"); end > 0 {
				w.Code = item[1:end]
				w.Message = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(item[end+1:]), ":"))
			}
		}
		out = append(out, w)
	}
	return out
}

// WarningSink collects X-System-Warning items seen while a context is in use,
// so the operation layer can return them with the result.
type WarningSink struct {
	mu    sync.Mutex
	items []errs.Warning
}

// Items returns what was collected.
func (s *WarningSink) Items() []errs.Warning {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]errs.Warning(nil), s.items...)
}

type sinkKey struct{}

// WithWarningSink attaches s to ctx.
func WithWarningSink(ctx context.Context, s *WarningSink) context.Context {
	return context.WithValue(ctx, sinkKey{}, s)
}

func reportWarnings(ctx context.Context, w []errs.Warning) {
	if s, ok := ctx.Value(sinkKey{}).(*WarningSink); ok {
		s.mu.Lock()
		s.items = append(s.items, w...)
		s.mu.Unlock()
	}
}

// A Call carries a bearer token and a Result a body that may hold tokens:
// their printed forms show the route, status and sizes only.

func (c Call) String() string {
	return "api.Call{" + c.Method + " " + c.Route + ", bearer " + show(c.Bearer != "") + "}"
}
func (c Call) GoString() string             { return c.String() }
func (c Call) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, c.String()) }
func (c Call) LogValue() slog.Value         { return slog.StringValue(c.String()) }
func (c Call) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

func (r Result) String() string {
	return fmt.Sprintf("api.Result{%d, body %d bytes %s}", r.Status, len(r.Body), secret.Redacted)
}
func (r Result) GoString() string             { return r.String() }
func (r Result) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, r.String()) }
func (r Result) LogValue() slog.Value         { return slog.StringValue(r.String()) }
func (r Result) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

func show(present bool) string {
	if present {
		return secret.Redacted
	}
	return "none"
}
