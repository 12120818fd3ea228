package sim

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ksefkit/ksefkit/core/ratelimit"
)

// Rate limits as KSeF enforces them (protocol.md §13), with
// Options.RateLimits: per group of endpoints — the groups and limits of the
// OpenAPI document's x-rate-limits and 429 tables (core/ratelimit's table,
// generated from and tested against the document) — and per context (per
// client IP for the public endpoints), in sliding windows of one second,
// one minute and one hour at once. A request over any of them is answered
// 429 with Retry-After: the seconds until the window admits it again; it is
// not counted. (KSeF also lengthens the block for repeated violations;
// the simulator does not.) Pre-signed storage URLs and the /v2/_sim
// control endpoints are never limited.

type rateKey struct{ group, who string }

// rateCounter holds the times of the requests admitted in the last hour.
type rateCounter struct {
	mu      sync.Mutex
	hits    map[rateKey][]time.Time
	refused int
}

func newRateCounter() *rateCounter { return &rateCounter{hits: map[rateKey][]time.Time{}} }

// admit counts a request at now unless it would exceed lim; then it says
// how long until it would not.
func (c *rateCounter) admit(k rateKey, now time.Time, lim RateLimit) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	hits := c.hits[k]
	i := 0
	for i < len(hits) && !hits[i].After(now.Add(-time.Hour)) {
		i++
	}
	hits = hits[i:]
	var wait time.Duration
	for _, w := range []struct {
		n int
		d time.Duration
	}{{lim.PerSecond, time.Second}, {lim.PerMinute, time.Minute}, {lim.PerHour, time.Hour}} {
		if w.n <= 0 {
			continue
		}
		in := 0
		for j := len(hits) - 1; j >= 0 && hits[j].After(now.Add(-w.d)); j-- {
			in++
		}
		if in >= w.n {
			wait = max(wait, hits[len(hits)-w.n].Add(w.d).Sub(now))
		}
	}
	if wait > 0 {
		c.refused++
		c.hits[k] = hits
		return wait
	}
	c.hits[k] = append(hits, now)
	return 0
}

// effectiveRateLimits are the limits per group in force (GET /rate-limits).
func (s *Server) effectiveRateLimits() map[string]RateLimit {
	out := make(map[string]RateLimit, len(defaultRateLimits))
	for g, l := range defaultRateLimits {
		out[g] = l
	}
	for g, l := range s.opts.RateLimitOverrides {
		out[g] = l
	}
	return out
}

// throttle answers 429 when the call exceeds its group's limits (with
// Options.RateLimits); otherwise it counts the call and returns false.
func (s *Server) throttle(w http.ResponseWriter, r *http.Request, route string) bool {
	if !s.opts.RateLimits {
		return false
	}
	group := ratelimit.Group(route)
	var lim RateLimit
	if group == ratelimit.Public {
		lim = RateLimit(ratelimit.Defaults(group))
	} else {
		lim = s.effectiveRateLimits()[group]
	}
	who := "ip " + clientIP(r)
	if ctx := s.callerContext(r); group != ratelimit.Public && ctx != "" {
		who = ctx
	}
	wait := s.limits.admit(rateKey{group, who}, s.now(), lim)
	if wait <= 0 {
		return false
	}
	secs := int((wait + time.Second - 1) / time.Second)
	s.log.Info("429 rate limit", "group", group, "who", who, "retryAfter", secs, "trace", traceOf(r))
	s.tooMany(w, r, strconv.Itoa(secs))
	return true
}

// callerContext is the context of the request's access token, or "".
func (s *Server) callerContext(r *http.Request) string {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	c, err := s.verify(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if op := s.ops[c.Arn]; op != nil {
		return op.context.String()
	}
	return ""
}

// RateLimited is how many requests the rate limits refused with 429 (not
// counting injected faults).
func (s *Server) RateLimited() int {
	s.limits.mu.Lock()
	defer s.limits.mu.Unlock()
	return s.limits.refused
}
