package poll

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
)

// fakeClock advances only when slept on and records every wait.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

var pol = Policy{Initial: 100 * time.Millisecond, Max: 300 * time.Millisecond, Timeout: 2 * time.Second}

func TestUntilDoneAfterGrowingWaits(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	n := 0
	got, err := Until(context.Background(), clk, pol, Pending{What: "x"}, func(context.Context) (int, bool, error) {
		n++
		return n, n == 5, nil
	}, nil)
	if err != nil || got != 5 {
		t.Fatalf("got %d, %v", got, err)
	}
	want := []time.Duration{100, 150, 225, 300}
	for i, w := range want {
		if clk.sleeps[i] != w*time.Millisecond {
			t.Fatalf("sleeps %v", clk.sleeps)
		}
	}
}

func TestUntilFailsBeforeOversleeping(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	_, err := Until(context.Background(), clk, pol, Pending{What: "session S processing", ReferenceNumber: "S"},
		func(context.Context) (int, bool, error) { return 150, false, nil },
		func(v int) (int, string) { return v, "in progress" })
	e := errs.As(err)
	if e.Code != errs.Timeout || e.ReferenceNumber != "S" || e.Status != 150 {
		t.Fatalf("err %#v", e)
	}
	var total time.Duration
	for _, d := range clk.sleeps {
		total += d
	}
	if total > pol.Timeout {
		t.Fatalf("slept %s past the %s timeout", total, pol.Timeout)
	}
}

func TestUntilContextDeadlineWins(t *testing.T) {
	clk := &fakeClock{now: time.Now()}
	ctx, cancel := context.WithDeadline(context.Background(), clk.now.Add(200*time.Millisecond))
	defer cancel()
	_, err := Until(ctx, clk, pol, Pending{What: "x"}, func(context.Context) (int, bool, error) { return 0, false, nil }, nil)
	if errs.CodeOf(err) != errs.Timeout || len(clk.sleeps) != 1 {
		t.Fatalf("err %v sleeps %v", err, clk.sleeps)
	}
}

func TestUntilCheckError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Until(context.Background(), &fakeClock{}, pol, Pending{}, func(context.Context) (int, bool, error) { return 0, false, boom }, nil)
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
}

func TestWithDefaults(t *testing.T) {
	p := Policy{Max: time.Millisecond}.WithDefaults(pol)
	if p.Initial != pol.Initial || p.Max != pol.Initial || p.Timeout != pol.Timeout {
		t.Fatalf("%+v", p)
	}
}

// A deadline that ends a check or a sleep midway is the same resumable
// timeout, carrying the reference.
func TestUntilDeadlineMidway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	p := Policy{Initial: time.Millisecond, Max: time.Millisecond, Timeout: time.Hour}
	_, err := Until(ctx, nil, p, Pending{What: "x", ReferenceNumber: "R"}, func(ctx context.Context) (int, bool, error) {
		<-ctx.Done()
		return 0, false, errs.FromContext(ctx.Err(), "GET status")
	}, nil)
	if e := errs.As(err); e.Code != errs.Timeout || e.ReferenceNumber != "R" {
		t.Fatalf("%#v", e)
	}
}
