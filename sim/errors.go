package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// KSeF exception codes the simulator answers with (protocol.md §14) and their
// official descriptions.
const (
	codeInvalidChallenge    = 21111
	codeNoAuthorization     = 21301
	codeAuthNotFound        = 21304
	codeDeceased            = 21308
	codeValidation          = 21405
	codeBadContinuation     = 21418
	codeUnknownPublicKey    = 21470
	codeAlreadyExists       = 30001
	codeUnexpectedException = 500
)

var exceptionDescriptions = map[int]string{
	codeInvalidChallenge:    "Nieprawidłowe wyzwanie autoryzacyjne.",
	codeNoAuthorization:     "Brak autoryzacji.",
	codeAuthNotFound:        "Brak uwierzytelnienia.",
	codeDeceased:            "Próba wykorzystania metod autoryzacyjnych osoby zmarłej.",
	codeValidation:          "Błąd walidacji danych wejściowych.",
	codeBadContinuation:     "Przekazany token kontynuacji ma nieprawidłowy format.",
	codeUnknownPublicKey:    "Przesłany identyfikator klucza jest nieznany lub wskazuje na wycofany klucz.",
	codeAlreadyExists:       "Podmiot lub uprawnienie już istnieje.",
	codeUnexpectedException: "Wystąpił nieoczekiwany błąd.",
}

// apiError is one entry of an exception list: exceptionDetailList in the
// legacy shape, errors[] in problem details.
type apiError struct {
	Code    int
	Details []string
}

func exc(code int, details ...string) apiError { return apiError{Code: code, Details: details} }

// ksefTime formats an instant the way KSeF does: UTC, seven fractional digits
// and an explicit "+00:00" offset (clients must cope with the 7 digits).
func ksefTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000+00:00")
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types are encoded; failing here is a bug.
		panic("sim: encode response: " + err.Error())
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

func (s *Server) ok(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, "application/json", v)
}

// wantsProblem reports whether the client opted into RFC 7807 errors for 400
// and 429 (401/403/410 are always problem+json).
func wantsProblem(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Error-Format")), "problem-details")
}

type legacyException struct {
	Exception legacyExceptionInfo `json:"exception"`
}

type legacyExceptionInfo struct {
	ExceptionDetailList []legacyExceptionDetail `json:"exceptionDetailList"`
	ServiceCode         string                  `json:"serviceCode"`
	ServiceCtx          string                  `json:"serviceCtx"`
	ServiceName         string                  `json:"serviceName"`
	Timestamp           string                  `json:"timestamp"`
}

type legacyExceptionDetail struct {
	ExceptionCode        int      `json:"exceptionCode"`
	ExceptionDescription string   `json:"exceptionDescription"`
	Details              []string `json:"details,omitempty"`
}

type problemError struct {
	Code        int      `json:"code"`
	Description string   `json:"description"`
	Details     []string `json:"details,omitempty"`
}

type badRequestProblem struct {
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Instance  string         `json:"instance"`
	Detail    string         `json:"detail"`
	Errors    []problemError `json:"errors"`
	Timestamp string         `json:"timestamp"`
	TraceID   string         `json:"traceId"`
}

type problem struct {
	Title      string         `json:"title"`
	Status     int            `json:"status"`
	Detail     string         `json:"detail"`
	Instance   string         `json:"instance"`
	ReasonCode string         `json:"reasonCode,omitempty"`
	Security   map[string]any `json:"security,omitempty"`
	TraceID    string         `json:"traceId"`
	Timestamp  string         `json:"timestamp"`
}

// legacyBody builds the default (deprecated but still default) error body.
// serviceCode carries the trace id in W3C traceparent form, as KSeF does.
func (s *Server) legacyBody(r *http.Request, errs []apiError) legacyException {
	list := make([]legacyExceptionDetail, 0, len(errs))
	for _, e := range errs {
		list = append(list, legacyExceptionDetail{e.Code, exceptionDescriptions[e.Code], e.Details})
	}
	trace := traceOf(r)
	return legacyException{legacyExceptionInfo{
		ExceptionDetailList: list,
		ServiceCode:         "00-" + trace + "-" + trace[:16] + "-00",
		ServiceCtx:          "srvKSEFSIM",
		ServiceName:         "ksef-sim",
		Timestamp:           ksefTime(s.now()),
	}}
}

// badRequest answers HTTP 400 in the format the client asked for.
func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, errs ...apiError) {
	for _, e := range errs {
		s.log.Info("400", "path", r.URL.Path, "code", e.Code, "details", strings.Join(e.Details, "; "), "trace", traceOf(r))
	}
	if !wantsProblem(r) {
		writeJSON(w, http.StatusBadRequest, "application/json", s.legacyBody(r, errs))
		return
	}
	list := make([]problemError, 0, len(errs))
	for _, e := range errs {
		list = append(list, problemError{e.Code, exceptionDescriptions[e.Code], e.Details})
	}
	writeJSON(w, http.StatusBadRequest, "application/problem+json", badRequestProblem{
		Title: "Bad Request", Status: http.StatusBadRequest, Instance: r.URL.Path,
		Detail: "Żądanie jest nieprawidłowe.", Errors: list,
		Timestamp: ksefTime(s.now()), TraceID: traceOf(r),
	})
}

// unexpected answers 500 in the legacy shape with exceptionCode 500, which is
// what KSeF sends whatever X-Error-Format says.
func (s *Server) unexpected(w http.ResponseWriter, r *http.Request, details ...string) {
	writeJSON(w, http.StatusInternalServerError, "application/json", s.legacyBody(r, []apiError{exc(codeUnexpectedException, details...)}))
}

func (s *Server) problem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	writeJSON(w, status, "application/problem+json", problem{
		Title: http.StatusText(status), Status: status, Detail: detail, Instance: r.URL.Path,
		TraceID: traceOf(r), Timestamp: ksefTime(s.now()),
	})
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, detail string) {
	s.log.Info("401", "path", r.URL.Path, "reason", detail, "trace", traceOf(r))
	s.problem(w, r, http.StatusUnauthorized, detail)
}

func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, reasonCode, detail string, security map[string]any) {
	s.log.Info("403", "path", r.URL.Path, "reasonCode", reasonCode, "trace", traceOf(r))
	writeJSON(w, http.StatusForbidden, "application/problem+json", problem{
		Title: "Forbidden", Status: http.StatusForbidden, Detail: detail, Instance: r.URL.Path,
		ReasonCode: reasonCode, Security: security, TraceID: traceOf(r), Timestamp: ksefTime(s.now()),
	})
}

type tooManyRequests struct {
	Status tooManyRequestsStatus `json:"status"`
}

type tooManyRequestsStatus struct {
	Code        int      `json:"code"`
	Description string   `json:"description"`
	Details     []string `json:"details"`
}

// tooMany answers 429 with Retry-After (seconds, or an HTTP-date when the
// caller passes one) in the format the client asked for.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, retryAfter string) {
	w.Header().Set("Retry-After", retryAfter)
	detail := "Przekroczono limit żądań. Spróbuj ponownie po " + retryAfter + " sekundach."
	if _, err := strconv.Atoi(retryAfter); err != nil {
		detail = "Przekroczono limit żądań. Spróbuj ponownie po " + retryAfter + "."
	}
	if wantsProblem(r) {
		s.problem(w, r, http.StatusTooManyRequests, detail)
		return
	}
	writeJSON(w, http.StatusTooManyRequests, "application/json", tooManyRequests{tooManyRequestsStatus{
		Code: http.StatusTooManyRequests, Description: "Too Many Requests", Details: []string{detail},
	}})
}
