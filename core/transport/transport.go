// Package transport is the core's only window on the outside world: a Doer
// that performs one HTTP exchange and a Clock that tells time and waits.
//
// The core never sees net/http. The native driver (package
// transport/nethttp) implements Doer with real sockets; the step/resume
// driver (package step) implements Doer and Clock by handing each exchange and
// each wait to the host (a Node event loop, a wasm host, a C program with its
// own loop) and parking the operation until the answer comes back. Core code
// is therefore written in plain blocking style and runs unchanged under both.
package transport

import (
	"context"
	"io"
	"net/textproto"
	"time"
)

// Header is a set of HTTP header fields with canonical keys, like http.Header.
type Header map[string][]string

// Get returns the first value of key.
func (h Header) Get(key string) string {
	if v := h[textproto.CanonicalMIMEHeaderKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values of key.
func (h Header) Set(key, value string) { h[textproto.CanonicalMIMEHeaderKey(key)] = []string{value} }

// Add appends a value to key.
func (h Header) Add(key, value string) {
	k := textproto.CanonicalMIMEHeaderKey(key)
	h[k] = append(h[k], value)
}

// Del removes key.
func (h Header) Del(key string) { delete(h, textproto.CanonicalMIMEHeaderKey(key)) }

// Clone returns a deep copy.
func (h Header) Clone() Header {
	c := make(Header, len(h))
	for k, v := range h {
		c[k] = append([]string(nil), v...)
	}
	return c
}

// Request is one HTTP exchange to perform.
type Request struct {
	Method string
	URL    string
	Header Header
	Body   []byte
	// Route names the endpoint for logs and fault matching, e.g.
	// "POST /auth/ksef-token". It never contains identifiers or secrets.
	Route string
	// Idempotent marks a request that may be sent again after a 5xx answer or
	// a transport failure without risk of doing the thing twice.
	Idempotent bool
	// Timeout bounds this single attempt (the host applies it in step mode).
	Timeout time.Duration

	// BodyFunc, set instead of Body, opens a body too large to hold (a
	// batch part): it is called afresh for every attempt, like net/http's
	// GetBody, so a retried upload sends from the start. ContentLength must
	// then say its exact size.
	BodyFunc      func() (io.ReadCloser, error)
	ContentLength int64
	// StreamResponse asks for the answer's body as Response.Stream, unread,
	// for downloads too large to hold (export parts). The caller reads and
	// closes it within the attempt's timeout and bounds what it reads; the
	// response body cap does not apply.
	StreamResponse bool
}

// HasBody reports whether the request carries a body, held or streamed.
func (r *Request) HasBody() bool { return len(r.Body) > 0 || r.BodyFunc != nil }

// Response is the answer to a Request. Body is fully read, unless the
// request asked for a stream: then Stream holds the unread body (close it).
type Response struct {
	Status int
	Header Header
	Body   []byte
	Stream io.ReadCloser
}

// Close releases a streamed body; it is safe on any response.
func (r *Response) Close() error {
	if r == nil || r.Stream == nil {
		return nil
	}
	return r.Stream.Close()
}

// Doer performs one HTTP exchange. It returns an error only when no HTTP
// answer was obtained (DNS, connect, TLS, reset, deadline); any status code,
// 5xx included, is a Response.
type Doer interface {
	Do(ctx context.Context, req *Request) (*Response, error)
}

// DoerFunc adapts a function to Doer.
type DoerFunc func(ctx context.Context, req *Request) (*Response, error)

// Do calls f.
func (f DoerFunc) Do(ctx context.Context, req *Request) (*Response, error) { return f(ctx, req) }

// SerialDoer is implemented by Doers that carry one exchange at a time per
// operation: the step/resume driver, whose operation hands its events to
// the host one by one. Code that could send requests in parallel asks
// Serial first.
type SerialDoer interface {
	Serial() bool
}

// Serial reports whether the Doer in effect for ctx (see WithDoer) takes
// only one request at a time.
func Serial(ctx context.Context, fallback Doer) bool {
	d, ok := DoerFrom(ctx, fallback).(SerialDoer)
	return ok && d.Serial()
}

// Clock tells the time and waits. Sleep returns early with ctx's error.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock with real timers.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type doerKey struct{}
type clockKey struct{}

// WithDoer returns a context whose operations use d instead of the client's
// own Doer. The step/resume driver uses it so that one client serves both
// blocking calls and host-driven operations.
func WithDoer(ctx context.Context, d Doer) context.Context {
	return context.WithValue(ctx, doerKey{}, d)
}

// WithClock is WithDoer for the Clock.
func WithClock(ctx context.Context, c Clock) context.Context {
	return context.WithValue(ctx, clockKey{}, c)
}

// DoerFrom returns the Doer carried by ctx, or fallback.
func DoerFrom(ctx context.Context, fallback Doer) Doer {
	if d, ok := ctx.Value(doerKey{}).(Doer); ok && d != nil {
		return d
	}
	return fallback
}

// ClockFrom returns the Clock carried by ctx, or fallback.
func ClockFrom(ctx context.Context, fallback Clock) Clock {
	if c, ok := ctx.Value(clockKey{}).(Clock); ok && c != nil {
		return c
	}
	return fallback
}

// Parker is implemented by clocks under which a goroutine must not block on
// a Go channel for long — the step/resume driver, where the host only runs
// while an operation emits events. Await then polls with short sleeps, which
// the host sees as ordinary sleep events.
type Parker interface {
	ParkInterval() time.Duration
}

// Await waits until done is closed or ctx ends, in a way that also works
// under the step/resume driver (see Parker).
func Await(ctx context.Context, clock Clock, done <-chan struct{}) error {
	p, ok := clock.(Parker)
	if !ok {
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		select {
		case <-done:
			return nil
		default:
		}
		if err := clock.Sleep(ctx, p.ParkInterval()); err != nil {
			return err
		}
	}
}
