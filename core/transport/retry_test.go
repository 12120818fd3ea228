package transport

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
)

type script struct {
	answers []func() (*Response, error)
	calls   int
}

func (s *script) Do(ctx context.Context, req *Request) (*Response, error) {
	i := s.calls
	s.calls++
	if i >= len(s.answers) {
		return &Response{Status: 200, Header: Header{}}, nil
	}
	return s.answers[i]()
}

func status(code int, h ...string) func() (*Response, error) {
	return func() (*Response, error) {
		hd := Header{}
		for i := 0; i+1 < len(h); i += 2 {
			hd.Set(h[i], h[i+1])
		}
		return &Response{Status: code, Header: hd}, nil
	}
}

func fail(err error) func() (*Response, error) {
	return func() (*Response, error) { return nil, err }
}

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func sender(d Doer, c Clock) *Sender {
	return &Sender{Doer: d, Clock: c, Jitter: func() float64 { return 0 }}
}

func TestRetryAfterSeconds(t *testing.T) {
	clock := NewFakeClock(t0)
	d := &script{answers: []func() (*Response, error){status(429, "Retry-After", "3"), status(200)}}
	resp, err := sender(d, clock).Send(context.Background(), &Request{Route: "POST /auth/challenge"})
	if err != nil || resp.Status != 200 || d.calls != 2 {
		t.Fatalf("resp=%v err=%v calls=%d", resp, err, d.calls)
	}
	if s := clock.Sleeps(); len(s) != 1 || s[0] != 3*time.Second {
		t.Fatalf("sleeps %v, want exactly Retry-After", s)
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	clock := NewFakeClock(t0)
	date := t0.Add(7 * time.Second).Format(time.RFC1123)
	d := &script{answers: []func() (*Response, error){status(429, "Retry-After", date)}}
	if _, err := sender(d, clock).Send(context.Background(), &Request{}); err != nil {
		t.Fatal(err)
	}
	if s := clock.Sleeps(); len(s) != 1 || s[0] != 7*time.Second {
		t.Fatalf("sleeps %v", s)
	}
}

func TestJitterOnlyUpward(t *testing.T) {
	clock := NewFakeClock(t0)
	d := &script{answers: []func() (*Response, error){status(429, "Retry-After", "2")}}
	s := sender(d, clock)
	s.Jitter = func() float64 { return 0.999 }
	s.Send(context.Background(), &Request{})
	if got := clock.Sleeps()[0]; got < 2*time.Second || got > 3*time.Second {
		t.Fatalf("sleep %v outside [2s,3s]", got)
	}
}

func TestGiveUpAfterDeadline(t *testing.T) {
	clock := NewFakeClock(t0)
	var answers []func() (*Response, error)
	for i := 0; i < 100; i++ {
		answers = append(answers, status(429, "Retry-After", "30"))
	}
	d := &script{answers: answers}
	s := sender(d, clock)
	s.Policy = RetryPolicy{MaxAttempts: 100, TotalTimeout: 65 * time.Second}
	resp, err := s.Send(context.Background(), &Request{})
	if err != nil || resp.Status != 429 {
		t.Fatalf("want the last 429 back, got %v %v", resp, err)
	}
	if d.calls != 3 { // t=0, t=30, t=60; t=90 would pass the 65 s deadline
		t.Fatalf("calls = %d", d.calls)
	}
	if clock.Now().Sub(t0) > 65*time.Second {
		t.Fatalf("waited past the deadline: %v", clock.Now().Sub(t0))
	}
}

func TestRetryAfterTooLong(t *testing.T) {
	d := &script{answers: []func() (*Response, error){status(429, "Retry-After", "3600")}}
	resp, _ := sender(d, NewFakeClock(t0)).Send(context.Background(), &Request{})
	if resp.Status != 429 || d.calls != 1 {
		t.Fatalf("status %d calls %d", resp.Status, d.calls)
	}
}

func TestServerErrorsRetriedOnlyWhenIdempotent(t *testing.T) {
	for _, idem := range []bool{true, false} {
		clock := NewFakeClock(t0)
		d := &script{answers: []func() (*Response, error){status(503), status(502), status(200)}}
		resp, err := sender(d, clock).Send(context.Background(), &Request{Idempotent: idem})
		if err != nil {
			t.Fatal(err)
		}
		if idem && (resp.Status != 200 || d.calls != 3) {
			t.Fatalf("idempotent: status %d calls %d", resp.Status, d.calls)
		}
		if !idem && (resp.Status != 503 || d.calls != 1) {
			t.Fatalf("non-idempotent: status %d calls %d", resp.Status, d.calls)
		}
	}
}

func TestBackoffGrows(t *testing.T) {
	clock := NewFakeClock(t0)
	d := &script{answers: []func() (*Response, error){status(500), status(500), status(500), status(500)}}
	s := sender(d, clock)
	s.Policy = RetryPolicy{BaseDelay: time.Second, MaxAttempts: 5}
	s.Send(context.Background(), &Request{Idempotent: true})
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
	got := clock.Sleeps()
	if len(got) != len(want) {
		t.Fatalf("sleeps %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sleeps %v, want %v", got, want)
		}
	}
}

func TestTransportErrors(t *testing.T) {
	boom := errors.New("connection reset by peer")
	d := &script{answers: []func() (*Response, error){fail(boom), fail(boom), status(200)}}
	resp, err := sender(d, NewFakeClock(t0)).Send(context.Background(), &Request{Idempotent: true})
	if err != nil || resp.Status != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	d = &script{answers: []func() (*Response, error){fail(boom)}}
	_, err = sender(d, NewFakeClock(t0)).Send(context.Background(), &Request{Route: "POST /auth/ksef-token"})
	if errs.CodeOf(err) != errs.Transport || d.calls != 1 {
		t.Fatalf("non-idempotent transport failure: %v (calls %d)", err, d.calls)
	}
	if !errors.Is(err, boom) {
		t.Fatal("cause lost")
	}
}

// An answer over the body cap (or any refusal that is not a transport
// failure) is the same on every attempt: it is not repeated, even when the
// request is idempotent.
func TestTooLargeIsNotRetried(t *testing.T) {
	d := &script{answers: []func() (*Response, error){fail(TooLarge("GET /x", MaxResponseBytes, 200)), status(200)}}
	_, err := sender(d, NewFakeClock(t0)).Send(context.Background(), &Request{Route: "GET /x", Idempotent: true})
	if errs.CodeOf(err) != errs.Protocol || d.calls != 1 {
		t.Fatalf("got %v after %d calls, want ksef.protocol after 1", err, d.calls)
	}
	if e := errs.As(err); e.HTTPStatus != 200 || e.Message != "GET /x: answer exceeds 67108864 bytes (the response body cap)" {
		t.Fatalf("%+v", e)
	}
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := sender(&script{}, NewFakeClock(t0)).Send(ctx, &Request{})
	if errs.CodeOf(err) != errs.Canceled {
		t.Fatalf("%v", err)
	}
}

func TestContextDoerWins(t *testing.T) {
	own := &script{answers: []func() (*Response, error){status(500)}}
	other := &script{answers: []func() (*Response, error){status(204)}}
	ctx := WithDoer(context.Background(), other)
	resp, _ := sender(own, NewFakeClock(t0)).Send(ctx, &Request{})
	if resp.Status != 204 || own.calls != 0 {
		t.Fatal("context doer not used")
	}
}

func TestParseRetryAfter(t *testing.T) {
	for v, want := range map[string]time.Duration{
		"0": 0, "12": 12 * time.Second,
		t0.Add(5 * time.Second).Format(time.RFC1123):                     5 * time.Second,
		t0.Add(-5 * time.Second).Format(time.RFC1123):                    0,
		t0.Add(9 * time.Second).Format("Monday, 02-Jan-06 15:04:05 MST"): 9 * time.Second,
	} {
		got, ok := ParseRetryAfter(v, t0)
		if !ok || got != want {
			t.Errorf("ParseRetryAfter(%q) = %v %v, want %v", v, got, ok, want)
		}
	}
	for _, bad := range []string{"", "-1", "soon", "1.5"} {
		if _, ok := ParseRetryAfter(bad, t0); ok {
			t.Errorf("ParseRetryAfter(%q) accepted", bad)
		}
	}
}
