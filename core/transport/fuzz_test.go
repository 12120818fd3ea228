package transport

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseRetryAfter: any Retry-After a server sends gives no wait, or a
// wait that is never negative and, for delta-seconds, at most a day (the
// Sender then caps it with MaxRetryAfter). Seeds: testdata/fuzz.
func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v, now)
		if !ok {
			if d != 0 {
				t.Fatalf("%q: not ok but %s", v, d)
			}
			return
		}
		if d < 0 {
			t.Fatalf("%q: negative wait %s", v, d)
		}
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && d > 24*time.Hour {
			t.Fatalf("%q: %s is more than a day", v, d)
		}
	})
}
