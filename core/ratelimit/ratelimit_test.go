package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ratelimit"
)

// fakeClock moves only when slept on.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return ctx.Err()
}

// sendTimes records when each of n requests of group went out.
func sendTimes(t *testing.T, l *ratelimit.Limiter, clk *fakeClock, group string, n int) []time.Duration {
	t.Helper()
	start := clk.Now()
	out := make([]time.Duration, n)
	for i := range out {
		if err := l.Wait(context.Background(), clk, group); err != nil {
			t.Fatal(err)
		}
		out[i] = clk.Now().Sub(start)
	}
	return out
}

// The export group allows 8/s, 16/min and 20/h: the 9th request waits for
// the second window, the 17th for the minute, the 21st for the hour.
func TestWaitKeepsEveryWindow(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	l := ratelimit.New(ratelimit.Config{})
	at := sendTimes(t, l, clk, ratelimit.InvoiceExport, 21)
	if at[7] != 0 || at[8] < time.Second {
		t.Fatalf("9th request at %s (8th at %s)", at[8], at[7])
	}
	if at[15] >= time.Minute || at[16] < time.Minute {
		t.Fatalf("17th request at %s", at[16])
	}
	if at[19] >= time.Hour || at[20] < time.Hour {
		t.Fatalf("21st request at %s", at[20])
	}
	// Never more than the limits in any window of the three lengths.
	for i := range at {
		for j := i; j < len(at); j++ {
			d := at[j] - at[i]
			n := j - i + 1
			if d < time.Second && n > 8 || d < time.Minute && n > 16 || d < time.Hour && n > 20 {
				t.Fatalf("%d requests within %s", n, d)
			}
		}
	}
}

func TestLoaderAndPenalty(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	loads := 0
	l := ratelimit.New(ratelimit.Config{
		Key: func() string { return "Nip:5265877635" },
		Loader: func(context.Context) (map[string]ratelimit.Limits, error) {
			loads++
			return map[string]ratelimit.Limits{ratelimit.InvoiceDownload: {PerSecond: 1}}, nil
		},
	})
	at := sendTimes(t, l, clk, ratelimit.InvoiceDownload, 3)
	if loads != 1 || at[1] < time.Second || at[2] < 2*time.Second {
		t.Fatalf("loads %d, sends at %v", loads, at)
	}
	l.Penalize(ratelimit.InvoiceDownload, clk.Now().Add(time.Minute))
	before := clk.Now()
	if err := l.Wait(context.Background(), clk, ratelimit.InvoiceDownload); err != nil || clk.Now().Sub(before) < time.Minute {
		t.Fatalf("penalty not honoured: waited %s, %v", clk.Now().Sub(before), err)
	}
}

func TestLoaderFailureFallsBack(t *testing.T) {
	l := ratelimit.New(ratelimit.Config{Loader: func(context.Context) (map[string]ratelimit.Limits, error) {
		return nil, errors.New("offline")
	}})
	if err := l.Wait(context.Background(), &fakeClock{}, ratelimit.InvoiceMetadata); err != nil {
		t.Fatal(err)
	}
	if got := l.Limits(ratelimit.InvoiceMetadata); got != ratelimit.Defaults(ratelimit.InvoiceMetadata) {
		t.Fatalf("limits %+v", got)
	}
}
