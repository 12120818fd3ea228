// Package ratelimit keeps a client inside KSeF's request limits instead of
// learning them from 429s. KSeF counts requests per (context, client IP)
// in sliding windows of one second, one minute and one hour, all at once,
// per group of endpoints (protocol.md §13) — and the groups that matter
// for receiving invoices are tight: 20 metadata queries and 20 exports an
// hour. A 429's Retry-After grows with repeated violations, so it pays to
// never send the request KSeF would refuse.
//
// A Limiter holds, per context and group, the send times of the last hour.
// Wait reserves the earliest moment all three windows admit one more
// request and sleeps until then on the caller's transport.Clock (so under
// the step/resume driver the wait is a "sleep" event the host performs).
// The limits start as the OpenAPI document's x-rate-limits (Defaults,
// generated from it) and are replaced by the context's effective values
// from GET /rate-limits when a Loader is set. Penalize records a
// Retry-After that reached the caller, blocking the group until then.
//
// The workflows that spend scarce budgets — download, metadata query,
// export and sync (packages receive, export, hwm) — call Wait before each
// request. Other requests are not counted here.
package ratelimit

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Limits are one group's sliding-window limits; zero or negative means
// that window is not limited.
type Limits struct {
	PerSecond int `json:"perSecond"`
	PerMinute int `json:"perMinute"`
	PerHour   int `json:"perHour"`
}

// The groups of the receiving endpoints (Group has every route's).
const (
	InvoiceDownload     = "invoiceDownload"
	InvoiceMetadata     = "invoiceMetadata"
	InvoiceExport       = "invoiceExport"
	InvoiceExportStatus = "invoiceExportStatus"
	Other               = "other"
	// Public is the group of the unauthenticated endpoints, counted per IP.
	Public = "public"
)

// Group is the rate-limit group of a route ("GET /invoices/ksef/{ksefNumber}"),
// or Other for a route the OpenAPI document does not list.
func Group(route string) string {
	if g, ok := routeGroups[route]; ok {
		return g
	}
	return Other
}

// Defaults returns the OpenAPI document's limits of a group (x-rate-limits,
// the production values, which TEST and DEMO apply too).
func Defaults(group string) Limits {
	if l, ok := groupLimits[group]; ok {
		return l
	}
	return groupLimits[Other]
}

// FromAPI converts GET /rate-limits into limits per group.
func FromAPI(r *api.RateLimits) map[string]Limits {
	c := func(x api.RateLimit) Limits { return Limits(x) }
	return map[string]Limits{
		"onlineSession": c(r.OnlineSession), "batchSession": c(r.BatchSession), "invoiceSend": c(r.InvoiceSend),
		"invoiceStatus": c(r.InvoiceStatus), "sessionList": c(r.SessionList), "sessionInvoiceList": c(r.SessionInvoiceList),
		"sessionMisc": c(r.SessionMisc), InvoiceMetadata: c(r.InvoiceMetadata), InvoiceExport: c(r.InvoiceExport),
		InvoiceExportStatus: c(r.InvoiceExportStatus), InvoiceDownload: c(r.InvoiceDownload), Other: c(r.Other),
	}
}

// Config configures a Limiter.
type Config struct {
	// Key names the bucket owner: the authenticated context ("Nip:…").
	// KSeF counts per context and IP; one client has one IP.
	Key func() string
	// Loader fetches the context's effective limits (GET /rate-limits); it
	// is called once per key, before the first wait. Nil: Defaults.
	Loader func(ctx context.Context) (map[string]Limits, error)
	Logger *slog.Logger
	// Disabled turns waiting off (Wait returns at once).
	Disabled bool
}

// Limiter is safe for concurrent use.
type Limiter struct {
	cfg Config

	mu      sync.Mutex
	buckets map[bucketKey]*bucket
	limits  map[string]map[string]Limits // by key, then group; nil entry: not loaded
	loading map[string]chan struct{}
}

type bucketKey struct{ key, group string }

// bucket is one group's reserved send times (ascending) and the moment a
// Retry-After blocks it until.
type bucket struct {
	sent    []time.Time
	blocked time.Time
}

// New returns a limiter.
func New(cfg Config) *Limiter {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Limiter{cfg: cfg, buckets: map[bucketKey]*bucket{}, limits: map[string]map[string]Limits{}, loading: map[string]chan struct{}{}}
}

func (l *Limiter) key() string {
	if l == nil || l.cfg.Key == nil {
		return ""
	}
	return l.cfg.Key()
}

// Margins added to each window: KSeF counts arrivals on its own clock, and
// two requests sent exactly one window apart may arrive closer together.
func margin(window time.Duration) time.Duration { return min(window/10, time.Second) }

// Wait blocks until a request of group may be sent without exceeding any
// window, and counts it as sent then. A nil Limiter never waits.
func (l *Limiter) Wait(ctx context.Context, clock transport.Clock, group string) error {
	if l == nil || l.cfg.Disabled {
		return nil
	}
	if clock == nil {
		clock = transport.SystemClock{}
	}
	key := l.key()
	lim := l.limitsFor(ctx, clock, key, group)
	l.mu.Lock()
	b := l.bucket(key, group)
	now := clock.Now()
	at := b.admit(now, lim)
	b.reserve(at)
	l.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		l.cfg.Logger.Info("ksef rate limit: waiting before the request", "group", group, "wait", d)
		if err := clock.Sleep(ctx, d); err != nil {
			return errs.FromContext(err, "waiting for the "+group+" rate limit")
		}
	}
	return nil
}

// Penalize blocks group until the moment a 429's Retry-After named.
func (l *Limiter) Penalize(group string, until time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(l.key(), group)
	if until.After(b.blocked) {
		b.blocked = until
	}
}

// Limits returns the limits in force for group (loaded or default).
func (l *Limiter) Limits(group string) Limits {
	if l == nil {
		return Defaults(group)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if m := l.limits[l.key()]; m != nil {
		if x, ok := m[group]; ok {
			return x
		}
	}
	return Defaults(group)
}

func (l *Limiter) bucket(key, group string) *bucket {
	k := bucketKey{key, group}
	b := l.buckets[k]
	if b == nil {
		b = &bucket{}
		l.buckets[k] = b
	}
	return b
}

// limitsFor loads the key's limits once (concurrent callers wait for the
// first), falling back to the defaults when loading fails. The load
// request is itself counted in the "other" group.
func (l *Limiter) limitsFor(ctx context.Context, clock transport.Clock, key, group string) Limits {
	for {
		l.mu.Lock()
		if m, ok := l.limits[key]; ok {
			l.mu.Unlock()
			if x, ok := m[group]; ok {
				return x
			}
			return Defaults(group)
		}
		if l.cfg.Loader == nil || group == Other {
			l.mu.Unlock()
			return Defaults(group)
		}
		if ch, busy := l.loading[key]; busy {
			l.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return Defaults(group)
			}
		}
		ch := make(chan struct{})
		l.loading[key] = ch
		l.mu.Unlock()

		var m map[string]Limits
		err := l.Wait(ctx, clock, Other)
		if err == nil {
			m, err = l.cfg.Loader(ctx)
		}
		l.mu.Lock()
		if err != nil {
			l.cfg.Logger.Warn("ksef rate limits not loaded; using the OpenAPI defaults", "err", err)
			m = map[string]Limits{}
		}
		l.limits[key] = m
		delete(l.loading, key)
		close(ch)
		l.mu.Unlock()
	}
}

// admit is the earliest instant from now on at which one more request
// keeps every window within its limit.
func (b *bucket) admit(now time.Time, lim Limits) time.Time {
	at := now
	if b.blocked.After(at) {
		at = b.blocked
	}
	b.prune(now)
	for _, w := range []struct {
		n int
		d time.Duration
	}{{lim.PerSecond, time.Second}, {lim.PerMinute, time.Minute}, {lim.PerHour, time.Hour}} {
		if w.n <= 0 || len(b.sent) < w.n {
			continue
		}
		// The n-th most recent send must have left the window.
		if t := b.sent[len(b.sent)-w.n].Add(w.d + margin(w.d)); t.After(at) {
			at = t
		}
	}
	return at
}

// reserve counts a request at t, keeping the times sorted.
func (b *bucket) reserve(t time.Time) {
	i := sort.Search(len(b.sent), func(i int) bool { return b.sent[i].After(t) })
	b.sent = append(b.sent, time.Time{})
	copy(b.sent[i+1:], b.sent[i:])
	b.sent[i] = t
}

// prune forgets sends older than the longest window.
func (b *bucket) prune(now time.Time) {
	cut := now.Add(-time.Hour - margin(time.Hour))
	i := sort.Search(len(b.sent), func(i int) bool { return b.sent[i].After(cut) })
	if i > 0 {
		b.sent = append(b.sent[:0], b.sent[i:]...)
	}
}

// maxEscaped bounds how often Do repeats a request KSeF refused with a 429
// that the transport's own retries did not outlast.
const maxEscaped = 3

// Do runs one request of group inside the limits: it waits for the group,
// calls fn, and when a 429 reaches it all the same (a Retry-After longer
// than the transport waits, or its attempts spent) it blocks the group for
// that Retry-After and, if the context's deadline leaves time, waits and
// calls fn again. A 429 means KSeF did not act on the request, so even a
// POST is safe to repeat.
func (l *Limiter) Do(ctx context.Context, clock transport.Clock, group string, fn func() error) error {
	if clock == nil {
		clock = transport.SystemClock{}
	}
	for attempt := 1; ; attempt++ {
		if err := l.Wait(ctx, clock, group); err != nil {
			return err
		}
		err := fn()
		e := errs.As(err)
		if err == nil || e.Code != errs.RateLimited || attempt > maxEscaped {
			return err
		}
		ra := time.Duration(max(e.RetryAfterSeconds, 1)) * time.Second
		until := clock.Now().Add(ra)
		if d, ok := ctx.Deadline(); ok && until.After(d) {
			return err
		}
		l.Penalize(group, until)
		if l == nil || l.cfg.Disabled {
			if err := clock.Sleep(ctx, ra); err != nil {
				return errs.FromContext(err, "waiting for the "+group+" rate limit")
			}
		}
	}
}
