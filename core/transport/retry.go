package transport

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
)

// RetryPolicy bounds how a request is repeated.
//
// 429 is always retried (KSeF did not process the request) after the
// Retry-After it names, with jitter only upward. 5xx answers and transport
// failures are retried only for requests marked Idempotent: repeating a
// non-idempotent POST whose outcome is unknown could, for example, open two
// sessions or send an invoice twice. Every wait respects both the total
// deadline and the caller's context.
type RetryPolicy struct {
	MaxAttempts    int           `json:"maxAttempts,omitempty"`    // including the first; default 5
	BaseDelay      time.Duration `json:"baseDelay,omitempty"`      // first backoff; default 500 ms
	MaxDelay       time.Duration `json:"maxDelay,omitempty"`       // backoff cap; default 20 s
	MaxRetryAfter  time.Duration `json:"maxRetryAfter,omitempty"`  // longest Retry-After honoured; default 120 s
	TotalTimeout   time.Duration `json:"totalTimeout,omitempty"`   // all attempts and waits; default 3 min
	AttemptTimeout time.Duration `json:"attemptTimeout,omitempty"` // one attempt; default 60 s
}

// DefaultRetryPolicy returns the defaults described on RetryPolicy.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts: 5, BaseDelay: 500 * time.Millisecond, MaxDelay: 20 * time.Second,
		MaxRetryAfter: 120 * time.Second, TotalTimeout: 3 * time.Minute, AttemptTimeout: 60 * time.Second,
	}
}

// withDefaults fills zero fields from DefaultRetryPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	if p.TotalTimeout <= 0 {
		p.TotalTimeout = d.TotalTimeout
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = d.AttemptTimeout
	}
	return p
}

// Sender sends requests through a Doer under a RetryPolicy.
type Sender struct {
	Doer   Doer
	Clock  Clock
	Policy RetryPolicy
	Logger *slog.Logger
	// Jitter returns a number in [0,1); nil means math/rand/v2.
	Jitter func() float64
}

// Send performs req, retrying as the policy allows. It returns the last
// response, whatever its status (the caller decodes error bodies), or a
// *errs.Error with code Transport, Timeout or Canceled when no usable answer
// was obtained. The Doer and Clock carried by ctx (WithDoer, WithClock) take
// precedence over the Sender's own.
func (s *Sender) Send(ctx context.Context, req *Request) (*Response, error) {
	p := s.Policy.withDefaults()
	doer := DoerFrom(ctx, s.Doer)
	clock := ClockFrom(ctx, s.Clock)
	if clock == nil {
		clock = SystemClock{}
	}
	if doer == nil {
		return nil, errs.New(errs.Internal, "no transport configured")
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	deadline := clock.Now().Add(p.TotalTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}

	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, errs.FromContext(err, req.Route)
		}
		timeout := p.AttemptTimeout
		if left := deadline.Sub(clock.Now()); left < timeout {
			timeout = left
		}
		if timeout <= 0 {
			return nil, errs.New(errs.Timeout, "%s: total deadline of %s passed before attempt %d", req.Route, p.TotalTimeout, attempt)
		}
		r := *req
		r.Timeout = timeout
		actx, cancel := context.WithTimeout(ctx, timeout)
		resp, err := doer.Do(actx, &r)
		if err == nil && resp.Stream != nil {
			// The attempt lives on while the caller reads the body.
			resp.Stream = &cancelOnClose{ReadCloser: resp.Stream, cancel: cancel}
		} else {
			cancel()
		}

		var delay time.Duration
		var reason string
		switch {
		case err != nil:
			if ctx.Err() != nil { // the caller gave up, not the attempt
				return nil, errs.FromContext(ctx.Err(), req.Route)
			}
			te := transportError(err, req.Route, timeout)
			if te.Code != errs.Transport && te.Code != errs.Timeout {
				// An answer the driver refused (over the body cap) or a
				// host's malformed answer: repeating gets the same again.
				return nil, te
			}
			if !req.Idempotent || attempt >= p.MaxAttempts {
				if !req.Idempotent {
					te.Message += " (not retried: the request is not safe to repeat, its outcome is unknown)"
				}
				return nil, te
			}
			delay, reason = s.backoff(p, attempt), "transport: "+te.Message
		case resp.Status == 429:
			if attempt >= p.MaxAttempts {
				return resp, nil
			}
			ra, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), clock.Now())
			if !ok {
				ra = s.backoff(p, attempt)
			}
			if ra > p.MaxRetryAfter {
				log.Warn("ksef rate limit wait too long, giving up", "route", req.Route, "retryAfter", ra)
				return resp, nil
			}
			// Jitter only upward: never come back before KSeF said we may.
			delay = ra + time.Duration(s.jitter()*float64(min(time.Second, ra/10+250*time.Millisecond)))
			reason = "HTTP 429 Retry-After " + resp.Header.Get("Retry-After")
		case resp.Status >= 500 && resp.Status != 501:
			if !req.Idempotent || attempt >= p.MaxAttempts {
				return resp, nil
			}
			delay, reason = s.backoff(p, attempt), "HTTP "+strconv.Itoa(resp.Status)
			if ra, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), clock.Now()); ok && ra > delay && ra <= p.MaxRetryAfter {
				delay = ra
			}
		default:
			return resp, nil
		}

		if clock.Now().Add(delay).After(deadline) {
			log.Warn("ksef request not retried: deadline", "route", req.Route, "attempt", attempt, "reason", reason)
			if err != nil {
				return nil, errs.New(errs.Timeout, "%s: %s; no time left to retry before the deadline", req.Route, reason)
			}
			return resp, nil
		}
		resp.Close() // a streamed body of an answer being retried is not read
		log.Info("ksef request retry", "route", req.Route, "attempt", attempt, "reason", reason, "delay", delay)
		if err := clock.Sleep(ctx, delay); err != nil {
			return nil, errs.FromContext(err, req.Route)
		}
	}
}

// backoff is exponential with jitter in [d/2, d).
func (s *Sender) backoff(p RetryPolicy, attempt int) time.Duration {
	d := p.BaseDelay << (attempt - 1)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	return d/2 + time.Duration(s.jitter()*float64(d/2))
}

func (s *Sender) jitter() float64 {
	if s.Jitter != nil {
		return s.Jitter()
	}
	return rand.Float64()
}

func transportError(err error, route string, timeout time.Duration) *errs.Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return errs.Wrap(errs.Timeout, err, "%s: no answer within %s", route, timeout)
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return e
	}
	return errs.Wrap(errs.Transport, err, "%s", route)
}

// ParseRetryAfter reads a Retry-After value given as delta-seconds or as an
// HTTP date (IMF-fixdate, RFC 850 or asctime).
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > 86400 {
			n = 86400
		}
		return time.Duration(n) * time.Second, true
	}
	for _, layout := range []string{time.RFC1123, "Monday, 02-Jan-06 15:04:05 MST", time.ANSIC} {
		if t, err := time.Parse(layout, v); err == nil {
			d := t.Sub(now)
			if d < 0 {
				d = 0
			}
			return d, true
		}
	}
	return 0, false
}

// cancelOnClose ends a streamed attempt's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
