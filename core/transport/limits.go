package transport

import "github.com/ksefkit/ksefkit/core/errs"

// MaxResponseBytes caps every response body the core accepts, whoever reads
// it: the native driver (nethttp) stops reading there, and the step/resume
// driver states it in every http event (maxBodyBytes) for the host to
// enforce while it reads, so that a broken or hostile server cannot exhaust
// memory in any binding. Invoices are ≤ 3 MB and JSON answers are small;
// larger data (batch parts, exports) is streamed in bounded chunks instead.
const MaxResponseBytes = 64 << 20

// TooLarge is the error of an answer whose body exceeds limit bytes — the
// same code and message from every driver. status is the HTTP status when
// known (0 otherwise). A larger body will not shrink on a retry, so the
// Sender does not repeat the request.
func TooLarge(route string, limit int64, status int) *errs.Error {
	e := errs.New(errs.Protocol, "%s: answer exceeds %d bytes (the response body cap)", route, limit)
	if status >= 100 && status <= 999 {
		e.HTTPStatus = status
	}
	return e
}
