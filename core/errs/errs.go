// Package errs defines ksefkit's one error type and the stable codes every
// binding branches on.
//
// Go callers use errors.As(err, &*errs.Error) and look at Code, HTTPStatus,
// Exceptions, Status …; the operation layer turns the same value into the
// envelope's "error" object, so C, Python and Node see exactly these fields.
// Messages never contain tokens, keys or passwords.
package errs

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Code is a stable, machine-readable error class. Values never change meaning.
type Code string

// The error codes of the envelope (DESIGN.md). Bindings map each to an
// exception class; new codes may be added, existing ones never change.
const (
	// InputInvalid: the caller's input is wrong (bad NIP, missing field,
	// malformed JSON, unparsable certificate …). No request was sent.
	InputInvalid Code = "input.invalid"
	// API: KSeF answered with an error (HTTP 4xx/5xx or an exception body).
	API Code = "ksef.api"
	// AuthFailed: an authentication flow ended with a terminal status
	// (415, 425, 450, 460, 470, 480, 500, 550 after the retry).
	AuthFailed Code = "ksef.auth_failed"
	// Unauthorized: HTTP 401 — the access token is missing, expired or revoked.
	Unauthorized Code = "ksef.unauthorized"
	// Forbidden: HTTP 403 — permissions, IP policy or security block.
	Forbidden Code = "ksef.forbidden"
	// RateLimited: HTTP 429 that outlasted the retry budget.
	RateLimited Code = "ksef.rate_limited"
	// Gone: HTTP 410 — an asynchronous operation's status passed its retention.
	Gone Code = "ksef.gone"
	// NotAuthenticated: the operation needs an authenticated client.
	NotAuthenticated Code = "auth.required"
	// Protocol: KSeF (or something posing as it) answered with a body the
	// client cannot understand.
	Protocol Code = "ksef.protocol"
	// Transport: the request never got an HTTP answer (DNS, TCP, TLS, reset).
	Transport Code = "transport"
	// Timeout: a deadline passed (per-request, overall, or polling).
	Timeout Code = "timeout"
	// Canceled: the caller canceled the operation.
	Canceled Code = "canceled"
	// Crypto: a cryptographic step failed (wrong password, key mismatch …).
	Crypto Code = "crypto"
	// Signature: an XAdES signature failed verification.
	Signature Code = "signature.invalid"
	// UnknownOperation: the operation name is not in the table.
	UnknownOperation Code = "op.unknown"
	// InvalidHandle: a client or operation handle is unknown, freed or forged.
	InvalidHandle Code = "handle.invalid"
	// Internal: a bug in ksefkit (a recovered panic, an impossible state).
	Internal Code = "internal"
)

// Exception is one entry of a KSeF exception list (legacy exceptionDetailList
// or problem-details errors[]).
type Exception struct {
	Code        int      `json:"code"`
	Description string   `json:"description,omitempty"`
	Details     []string `json:"details,omitempty"`
}

// Warning is one item of an X-System-Warning header ("[code]: message").
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is the error type of every ksefkit failure.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`

	// HTTP side, when KSeF answered.
	HTTPStatus int         `json:"httpStatus,omitempty"`
	Exceptions []Exception `json:"exceptions,omitempty"`
	// Title/Detail/Instance of an RFC 7807 problem document.
	Title    string `json:"title,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// ReasonCode of a 403 problem (missing-permissions, ip-not-allowed, …) and
	// its security object.
	ReasonCode string         `json:"reasonCode,omitempty"`
	Security   map[string]any `json:"security,omitempty"`
	// TraceID is problem-details traceId or the legacy serviceCode.
	TraceID         string `json:"traceId,omitempty"`
	ServiceCtx      string `json:"serviceCtx,omitempty"`
	ServiceName     string `json:"serviceName,omitempty"`
	ReferenceNumber string `json:"referenceNumber,omitempty"`
	Timestamp       string `json:"timestamp,omitempty"`
	// RetryAfterSeconds of a 429 that outlasted the retry budget.
	RetryAfterSeconds int `json:"retryAfterSeconds,omitempty"`

	// Status is the body status code of an asynchronous operation (auth
	// status 450, …) with its description and details.
	Status            int      `json:"status,omitempty"`
	StatusDescription string   `json:"statusDescription,omitempty"`
	StatusDetails     []string `json:"statusDetails,omitempty"`

	// Findings are named, machine-readable causes (XAdES pre-flight, input
	// validation of several fields).
	Findings []string `json:"findings,omitempty"`
	// Field names the input field at fault, when there is one.
	Field string `json:"field,omitempty"`

	Warnings []Warning `json:"warnings,omitempty"`

	// Err is the underlying cause; not serialized (it may hold details only
	// meaningful in Go), but reachable with errors.Unwrap.
	Err error `json:"-"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.HTTPStatus)
		if e.TraceID != "" {
			fmt.Fprintf(&b, ", trace %s", e.TraceID)
		}
		b.WriteString(")")
	}
	for _, x := range e.Exceptions {
		fmt.Fprintf(&b, "; %d %s", x.Code, x.Description)
		if len(x.Details) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(x.Details, "; "))
		}
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, "; status %d %s", e.Status, e.StatusDescription)
		if len(e.StatusDetails) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(e.StatusDetails, "; "))
		}
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, &errs.Error{Code: X}) match on the code alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == "" && t.HTTPStatus == 0
}

// HasException reports whether KSeF's answer carried the given exception code.
func (e *Error) HasException(code int) bool {
	for _, x := range e.Exceptions {
		if x.Code == code {
			return true
		}
	}
	return false
}

// New builds an error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an error that keeps cause reachable through errors.Unwrap. The
// cause's text becomes part of the message, so never wrap an error whose text
// could contain a secret.
func Wrap(code Code, cause error, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if cause != nil {
		msg += ": " + cause.Error()
	}
	return &Error{Code: code, Message: msg, Err: cause}
}

// Invalid reports bad input in a named field.
func Invalid(field string, format string, args ...any) *Error {
	e := New(InputInvalid, format, args...)
	e.Field = field
	return e
}

// As returns err as *Error; any other error becomes an Internal one so that
// every boundary can rely on a code being present.
func As(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: err.Error(), Err: err}
}

// CodeOf returns the code of err, or "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return As(err).Code
}

// FromContext turns a context error (or any error while waiting) into a
// Timeout or Canceled error about what was being done.
func FromContext(err error, what string) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Wrap(Timeout, err, "%s: deadline exceeded", what)
	}
	return Wrap(Canceled, err, "%s: canceled", what)
}
