// Package poll waits for KSeF's asynchronous operations — authentication,
// session processing, UPO generation, exports, token activation — with one
// policy: the wait between checks grows ×1.5 from Initial up to Max, and
// when the next wait would pass the deadline (the policy's Timeout or the
// context's, whichever is first) polling stops *before* sleeping, with a
// Timeout error naming what is still pending. Such a timeout is resumable:
// KSeF keeps working, and the caller can wait again later with the
// reference number the error carries.
//
// Time comes from a transport.Clock, so under the step/resume driver every
// wait is a "sleep" event the host performs.
package poll

import (
	"context"
	"errors"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Policy shapes one wait. Zero fields take the defaults of the workflow
// (see WithDefaults).
type Policy struct {
	Initial time.Duration `json:"initial,omitempty"` // first wait
	Max     time.Duration `json:"max,omitempty"`     // longest wait between checks
	Timeout time.Duration `json:"timeout,omitempty"` // the whole wait
}

// WithDefaults fills p's zero fields from def.
func (p Policy) WithDefaults(def Policy) Policy {
	if p.Initial <= 0 {
		p.Initial = def.Initial
	}
	if p.Max <= 0 {
		p.Max = def.Max
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.Timeout <= 0 {
		p.Timeout = def.Timeout
	}
	return p
}

// Check looks at the operation once. It reports done when the operation
// reached a state the caller wants (terminal or not); err ends the wait
// at once.
type Check[T any] func(ctx context.Context) (last T, done bool, err error)

// Pending describes what is being waited for, for the timeout error:
// "session 20250101-SO-… processing", with the reference number.
type Pending struct {
	What            string
	ReferenceNumber string
}

// Until runs check until it reports done, sleeping between checks as p
// says. On timeout it returns the last value seen and an errs.Timeout
// whose Status fields are filled by status, when given.
func Until[T any](ctx context.Context, clock transport.Clock, p Policy, pending Pending, check Check[T], status func(T) (int, string)) (T, error) {
	if clock == nil {
		clock = transport.SystemClock{}
	}
	start := clock.Now()
	deadline := start.Add(p.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	wait := p.Initial
	timedOut := func(last T, n int) (T, error) {
		e := errs.New(errs.Timeout, "%s still in progress after %s (%d status checks); KSeF keeps working on it — wait again later with reference %s",
			pending.What, clock.Now().Sub(start).Round(time.Millisecond), n, pending.ReferenceNumber)
		e.ReferenceNumber = pending.ReferenceNumber
		if status != nil {
			e.Status, e.StatusDescription = status(last)
		}
		return last, e
	}
	for n := 1; ; n++ {
		last, done, err := check(ctx)
		if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// The caller's deadline ended a status check in flight: still
			// the resumable timeout, not a transport failure.
			return timedOut(last, n)
		}
		if err != nil || done {
			return last, err
		}
		if clock.Now().Add(wait).After(deadline) {
			return timedOut(last, n)
		}
		if err := clock.Sleep(ctx, wait); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return timedOut(last, n)
			}
			e := errs.FromContext(err, "waiting for "+pending.What)
			e.ReferenceNumber = pending.ReferenceNumber
			return last, e
		}
		wait = min(wait*3/2, p.Max)
	}
}
