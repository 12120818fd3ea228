package step_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/step"
	"github.com/ksefkit/ksefkit/core/transport"
)

// FuzzHTTPAnswer: whatever a host answers to http events (any JSON or
// none: status, headers as strings or lists, base64 or not, error, timeout,
// tooLarge), the operation ends with a well-formed done event carrying an
// envelope with an error code, and nothing stays in flight. Every http event
// of the operation gets the same answer; sleeps are answered at once.
// Seeds: testdata/fuzz/FuzzHTTPAnswer.
func FuzzHTTPAnswer(f *testing.F) {
	c, err := ksef.New(ksef.Config{Environment: "test", BaseURL: "http://127.0.0.1:1/v2",
		Retry: transport.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, TotalTimeout: 5 * time.Second},
		Poll:  auth.PollPolicy{Initial: time.Millisecond, Max: time.Millisecond, Timeout: time.Second}})
	if err != nil {
		f.Fatal(err)
	}
	e := step.New()
	in := []byte(`{"token":"20250101-EC-0000000000-0000000000-00|nip-5265877635|00","nip":"5265877635"}`)
	f.Fuzz(func(t *testing.T, answer []byte) {
		ev := parse(t, e.Start(c, "auth.token", in))
		for n := 0; ev.Kind != "done"; n++ {
			if n == 100 {
				ev = parse(t, e.Cancel(ev.Op))
				break
			}
			a := answer
			if ev.Kind == "sleep" {
				a = []byte(`{}`)
			}
			ev = parse(t, e.Resume(ev.Op, a))
		}
		if ev.Kind != "done" || (!ev.Envelope.OK && (ev.Envelope.Error == nil || ev.Envelope.Error.Code == "")) {
			t.Fatalf("final event %+v", ev)
		}
		if !json.Valid(ev.Envelope.Result) && len(ev.Envelope.Result) > 0 {
			t.Fatalf("result is not JSON: %s", ev.Envelope.Result)
		}
		if n := e.InFlight(); n != 0 {
			t.Fatalf("%d operations in flight", n)
		}
	})
}
