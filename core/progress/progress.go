// Package progress carries a long workflow's progress — documents packed,
// bytes encrypted and uploaded, parts done, invoices synchronised — from
// the workflow to whoever watches: a Go callback, or the step/resume
// driver, which hands each report to the host with its next event (so
// Python, Node and C see the same counts). Workflows report; they never
// wait for the watcher, and a report is never made while holding a lock.
package progress

import (
	"context"
	"sync"
	"time"
)

// Event is one report. Counters are totals so far, not increments, so a
// watcher that misses reports (the step driver keeps only the latest)
// still shows the truth.
type Event struct {
	// Stage names what is happening: "pack", "upload", "process", "download",
	// "sync" … (each workflow documents its stages).
	Stage string `json:"stage"`
	// Items done and expected (documents, parts, invoices); Total 0: unknown.
	Done  int64 `json:"done"`
	Total int64 `json:"total,omitempty"`
	// Bytes done and expected; BytesTotal 0: unknown.
	Bytes      int64 `json:"bytes,omitempty"`
	BytesTotal int64 `json:"bytesTotal,omitempty"`
	// Detail is a short human note ("part 3 of 7"), never data or secrets.
	Detail string `json:"detail,omitempty"`
}

// Func receives reports. It must return quickly.
type Func func(Event)

type key struct{}

// With makes f the watcher of ctx.
func With(ctx context.Context, f Func) context.Context { return context.WithValue(ctx, key{}, f) }

// Report hands e to ctx's watcher, if any.
func Report(ctx context.Context, e Event) {
	if f, ok := ctx.Value(key{}).(Func); ok && f != nil {
		f(e)
	}
}

// Enabled reports whether anyone watches ctx.
func Enabled(ctx context.Context) bool {
	f, ok := ctx.Value(key{}).(Func)
	return ok && f != nil
}

// Throttle passes at most one report per interval to f (and always the
// first, a change of stage, and a report with Done == Total), so that a
// workflow may report per chunk without flooding a host.
func Throttle(f Func, interval time.Duration) Func {
	var mu sync.Mutex
	var last time.Time
	var stage string
	return func(e Event) {
		mu.Lock()
		now := time.Now()
		pass := e.Stage != stage || now.Sub(last) >= interval || (e.Total > 0 && e.Done >= e.Total)
		if pass {
			last, stage = now, e.Stage
		}
		mu.Unlock()
		if pass {
			f(e)
		}
	}
}
