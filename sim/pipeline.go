package sim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// maxBody bounds request bodies: the largest is an invoice of 3 MB (with
// attachments), Base64-encoded inside JSON.
const maxBody = 5 << 20

// reqInfo travels with a request through the pipeline.
type reqInfo struct {
	trace      string
	route      *routers.Route // the OpenAPI operation (nil for control and storage paths)
	force550   bool           // a status-550 fault hit this call
	invoice550 bool           // an invoice-550 fault: the invoice sent by this call ends with 550
	badUPOHash bool           // an upo-hash fault: x-ms-meta-hash will not match the UPO
	tamperPart bool           // a part-tamper fault: the export part downloaded is changed
	dropAfter  bool           // a drop-after fault: handle fully, then drop the connection
	expired    bool           // an expired fault: the pre-signed URL is answered as expired
	offSpec    bool           // the answer deviates from the spec on purpose (a fault); skip validating it

	delivery *Fault // a hostile fault that spoils how the answer is sent (hostile.go)
}

type reqInfoKey struct{}

func reqInfoOf(ctx context.Context) *reqInfo {
	if v, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok {
		return v
	}
	return &reqInfo{trace: newTraceID()}
}

func traceOf(r *http.Request) string { return reqInfoOf(r.Context()).trace }

// capture buffers a response so that it can be validated before it is sent.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (c *capture) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return c.body.Write(b)
}

// serveHTTP is the request pipeline: control endpoints bypass everything;
// KSeF operations go through faults, rate limits, request validation, the
// handler and response validation, in that order.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	info := &reqInfo{trace: newTraceID()}
	r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, info))
	if strings.HasPrefix(r.URL.Path, "/storage/") {
		s.serveStorage(w, r) // part uploads bound their bodies by the declared part size
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	if r.URL.Path == "/v2/_sim" || strings.HasPrefix(r.URL.Path, "/v2/_sim/") {
		s.simMux.ServeHTTP(w, r)
		return
	}

	rv, err := s.spec.route(r)
	if err != nil {
		status := http.StatusNotFound
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			status = http.StatusMethodNotAllowed
		}
		s.log.Info("not a KSeF operation", "method", r.Method, "path", r.URL.Path, "status", status)
		s.problem(w, r, status, r.Method+" "+r.URL.Path+" is not an operation of the KSeF API v2")
		return
	}
	route := r.Method + " " + rv.Route.Path
	info.route = rv.Route

	c := &capture{header: http.Header{}}
	if s.applyFaults(c, w, r, route) {
		if c.status == 0 {
			return // dropped, or the client went away during a slow fault
		}
	} else if !s.throttle(c, r, route) {
		s.handle(c, r, rv)
	}
	if info.dropAfter {
		// The lost answer: the operation took effect, the client never
		// hears of it.
		s.log.Warn("answer dropped after handling", "method", r.Method, "path", r.URL.Path, "status", c.status, "trace", info.trace)
		drop(w)
		return
	}
	s.send(w, r, rv, c, info)
	s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "route", route,
		"status", c.status, "ms", time.Since(started).Milliseconds(), "trace", info.trace)
}

// handle validates the request and runs the operation's handler.
func (s *Server) handle(w http.ResponseWriter, r *http.Request, rv *openapi3filter.RequestValidationInput) {
	if r.Method == http.MethodPost && rv.Route.Path == "/sessions/batch" && s.batchLimits(w, r) {
		return
	}
	if err := openapi3filter.ValidateRequest(r.Context(), rv); err != nil {
		// A missing bearer token is not malformed input: KSeF answers 401,
		// so does the simulator, and it is not recorded as a violation.
		if hasSecurityError(err) {
			s.unauthorized(w, r, "Wymagane jest uwierzytelnienie.")
			return
		}
		lines := violationLines(err)
		s.recordViolation("request", r.Method, r.URL.Path, lines)
		if isMediaTypeError(err) {
			s.problem(w, r, http.StatusUnsupportedMediaType, "Content-Type "+r.Header.Get("Content-Type")+" is not accepted here")
			return
		}
		if !s.opts.NoStrict {
			s.badRequest(w, r, exc(codeValidation, lines...))
			return
		}
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		// In the OpenAPI document but not simulated (yet). Logged loudly: a
		// client that needs it is testing less than it thinks.
		s.log.Warn("not simulated", "method", r.Method, "path", r.URL.Path, "route", rv.Route.Path, "trace", traceOf(r))
		s.problem(w, r, http.StatusNotImplemented, "ksef-sim does not simulate "+r.Method+" "+rv.Route.Path+" yet")
		return
	}
	s.mux.ServeHTTP(w, r) // sets the path values the handlers read
}

// hasSecurityError reports whether validation failed on the bearer token.
func hasSecurityError(err error) bool {
	var se *openapi3filter.SecurityRequirementsError
	return errors.As(err, &se)
}

// send validates the buffered response and writes it out.
func (s *Server) send(w http.ResponseWriter, r *http.Request, rv *openapi3filter.RequestValidationInput, c *capture, info *reqInfo) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	body := c.body.Bytes()
	if s.mangle != nil {
		c.status, body = s.mangle(c.status, c.header, body)
	}
	if warning := r.Header.Get("X-Test-System-Warning"); warning != "" && c.status/100 == 2 {
		c.header.Set("X-System-Warning", asciiFold(warning))
	}
	if !info.offSpec {
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: rv,
			Status:                 c.status,
			Header:                 c.header,
			Body:                   io.NopCloser(bytes.NewReader(body)),
			Options:                s.spec.responseOptions(),
		}
		if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
			lines := violationLines(err)
			s.recordViolation("response", r.Method, r.URL.Path, lines)
			if !s.opts.NoStrict {
				// Never hand a client something the real API would not send.
				c = &capture{header: http.Header{}}
				s.unexpected(c, r, append([]string{"ksef-sim: the simulator's own response violates the OpenAPI document"}, lines...)...)
				body = c.body.Bytes()
			}
		}
	}
	if info.delivery != nil {
		s.deliverHostile(w, r, c.status, c.header, body, *info.delivery)
		return
	}
	h := w.Header()
	for k, v := range c.header {
		h[k] = v
	}
	if c.status != http.StatusNoContent && c.status != http.StatusNotModified {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(c.status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

var polishFold = strings.NewReplacer(
	"ą", "a", "ć", "c", "ę", "e", "ł", "l", "ń", "n", "ó", "o", "ś", "s", "ź", "z", "ż", "z",
	"Ą", "A", "Ć", "C", "Ę", "E", "Ł", "L", "Ń", "N", "Ó", "O", "Ś", "S", "Ź", "Z", "Ż", "Z",
)

// asciiFold prepares X-System-Warning the way KSeF does (ASCII folding):
// Polish letters lose their diacritics; other non-ASCII and control
// characters become '?'.
func asciiFold(s string) string {
	s = polishFold.Replace(s)
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
