package step_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/step"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/sim"
)

type event struct {
	Kind string `json:"kind"`
	Op   uint64 `json:"op"`
	HTTP *struct {
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	} `json:"http"`
	Ms       *int64 `json:"ms"`
	Path     string `json:"path"`
	Envelope struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Status  int    `json:"status"`
		} `json:"error"`
	} `json:"envelope"`
}

func parse(t *testing.T, b []byte) event {
	t.Helper()
	var ev event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("event %s: %v", b, err)
	}
	return ev
}

// host plays the role of Node: it performs http events against the
// simulator's handler and answers sleep events at once.
func drive(t *testing.T, e *step.Engine, h http.Handler, first []byte) event {
	t.Helper()
	return driveWithFiles(t, e, h, nil, first)
}

// driveWithFiles also answers file events from files (path → bytes; a
// missing path is "not found").
func driveWithFiles(t *testing.T, e *step.Engine, h http.Handler, files map[string][]byte, first []byte) event {
	t.Helper()
	ev := parse(t, first)
	for ev.Kind != "done" {
		var answer []byte
		switch ev.Kind {
		case "http":
			body, _ := base64.StdEncoding.DecodeString(ev.HTTP.Body)
			req := httptest.NewRequest(ev.HTTP.Method, ev.HTTP.URL, bytes.NewReader(body))
			for k, v := range ev.HTTP.Headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			rb, _ := io.ReadAll(res.Body)
			hdr := map[string]string{}
			for k := range res.Header {
				hdr[k] = res.Header.Get(k)
			}
			answer, _ = json.Marshal(map[string]any{"status": res.StatusCode, "headers": hdr, "body": base64.StdEncoding.EncodeToString(rb)})
		case "sleep":
			answer = []byte(`{}`)
		case "file":
			data, ok := files[ev.Path]
			if files == nil {
				t.Fatalf("unexpected file event for %s", ev.Path)
			}
			answer, _ = json.Marshal(step.FileAnswer{Data: base64.StdEncoding.EncodeToString(data), NotFound: !ok})
		default:
			t.Fatalf("unexpected event %q", ev.Kind)
		}
		ev = parse(t, e.Resume(ev.Op, answer))
	}
	return ev
}

func setup(t *testing.T) (*sim.Server, *ksef.Client, string, string) {
	s, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	nip := ids.RandomNIP()
	tok, err := s.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ksef.New(ksef.Config{Environment: "test", BaseURL: "http://127.0.0.1:1/v2"})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, nip, tok.Token
}

func TestTokenAuthThroughStepResume(t *testing.T) {
	s, c, nip, token := setup(t)
	e := step.New()
	in, _ := json.Marshal(map[string]string{"token": token, "nip": nip})
	ev := drive(t, e, s.Handler(), e.Start(c, "auth.token", in))
	if !ev.Envelope.OK {
		t.Fatalf("auth.token failed: %+v", ev.Envelope.Error)
	}
	if e.InFlight() != 0 {
		t.Fatalf("in flight after done: %d", e.InFlight())
	}
	ev = drive(t, e, s.Handler(), e.Start(c, "auth.sessions.list", nil))
	if !ev.Envelope.OK {
		t.Fatalf("sessions: %+v", ev.Envelope.Error)
	}
}

func TestManyOperationsInFlight(t *testing.T) {
	s, c, nip, token := setup(t)
	e := step.New()
	in, _ := json.Marshal(map[string]string{"token": token, "nip": nip})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ev := drive(t, e, s.Handler(), e.Start(c, "auth.token", in)); !ev.Envelope.OK {
				t.Errorf("auth failed: %+v", ev.Envelope.Error)
			}
		}()
	}
	wg.Wait()
	if e.InFlight() != 0 {
		t.Fatalf("in flight: %d", e.InFlight())
	}
}

func TestCancelUnwinds(t *testing.T) {
	_, c, nip, token := setup(t)
	e := step.New()
	in, _ := json.Marshal(map[string]string{"token": token, "nip": nip})
	ev := parse(t, e.Start(c, "auth.token", in))
	if ev.Kind != "http" {
		t.Fatalf("first event %q", ev.Kind)
	}
	if e.InFlight() != 1 {
		t.Fatal("operation not in flight")
	}
	done := parse(t, e.Cancel(ev.Op))
	if done.Kind != "done" || done.Envelope.OK || done.Envelope.Error.Code != "canceled" {
		t.Fatalf("cancel: %+v", done)
	}
	if e.InFlight() != 0 {
		t.Fatal("canceled operation still in flight")
	}
	if again := parse(t, e.Resume(ev.Op, []byte(`{}`))); again.Envelope.Error == nil || again.Envelope.Error.Code != "handle.invalid" {
		t.Fatalf("resume after cancel: %+v", again)
	}
}

func TestBadAnswersAreErrorsNotCrashes(t *testing.T) {
	_, c, nip, token := setup(t)
	e := step.New()
	in, _ := json.Marshal(map[string]string{"token": token, "nip": nip})
	for _, answer := range []string{`not json`, `{"status":0}`, `{"status":200,"body":"***"}`, `{"error":"ECONNREFUSED"}`} {
		ev := parse(t, e.Start(c, "auth.token", in))
		for ev.Kind != "done" {
			ev = parse(t, e.Resume(ev.Op, []byte(answer)))
		}
		if ev.Envelope.OK {
			t.Fatalf("answer %s: operation succeeded", answer)
		}
	}
	if e.InFlight() != 0 {
		t.Fatal("leaked operations")
	}
	if ev := parse(t, e.Resume(424242, []byte(`{}`))); ev.Envelope.Error.Code != "handle.invalid" {
		t.Fatal("unknown op id accepted")
	}
}

func TestClientlessOperation(t *testing.T) {
	e := step.New()
	ev := parse(t, e.Start(nil, "version", nil))
	if ev.Kind != "done" || !ev.Envelope.OK {
		t.Fatalf("%+v", ev)
	}
	ev = parse(t, e.Start(nil, "auth.token", []byte(`{"token":"x","nip":"5265877635"}`)))
	if ev.Envelope.Error == nil || ev.Envelope.Error.Code != "handle.invalid" {
		t.Fatalf("client op without client: %+v", ev)
	}
}

// TestTokensSurviveARestart exports the tokens of one client and restores
// them into another (a service restarting), which can then call and refresh
// without authenticating again.
func TestTokensSurviveARestart(t *testing.T) {
	s, c, nip, token := setup(t)
	e := step.New()
	in, _ := json.Marshal(map[string]string{"token": token, "nip": nip})
	if ev := drive(t, e, s.Handler(), e.Start(c, "auth.token", in)); !ev.Envelope.OK {
		t.Fatalf("auth: %+v", ev.Envelope.Error)
	}
	saved := drive(t, e, s.Handler(), e.Start(c, "auth.tokens.export", nil))
	if !saved.Envelope.OK || !bytes.Contains(saved.Envelope.Result, []byte(`"refreshToken"`)) {
		t.Fatalf("export: %+v", saved.Envelope.Error)
	}
	fresh, err := ksef.New(ksef.Config{Environment: "test", BaseURL: "http://127.0.0.1:1/v2"})
	if err != nil {
		t.Fatal(err)
	}
	if ev := drive(t, e, s.Handler(), e.Start(fresh, "auth.sessions.list", nil)); ev.Envelope.OK {
		t.Fatal("a fresh client must not be authenticated")
	}
	if ev := drive(t, e, s.Handler(), e.Start(fresh, "auth.tokens.restore", saved.Envelope.Result)); !ev.Envelope.OK {
		t.Fatalf("restore: %+v", ev.Envelope.Error)
	}
	for _, op := range []string{"auth.sessions.list", "auth.refresh"} {
		if ev := drive(t, e, s.Handler(), e.Start(fresh, op, nil)); !ev.Envelope.OK {
			t.Fatalf("%s after restore: %+v", op, ev.Envelope.Error)
		}
	}
	var st map[string]any
	json.Unmarshal(saved.Envelope.Result, &st)
	st["refreshToken"].(map[string]any)["validUntil"] = "2020-01-01T00:00:00Z"
	old, _ := json.Marshal(st)
	if ev := drive(t, e, s.Handler(), e.Start(fresh, "auth.tokens.restore", old)); ev.Envelope.OK || ev.Envelope.Error.Code != "input.invalid" {
		t.Fatalf("an expired refresh token was restored: %+v", ev.Envelope)
	}
}

// TestLateAnswerDoesNotHang: the operation's own per-attempt deadline passes
// while the host is still fetching; it moves on to its next event. Resuming
// with the late answer must return that event, not block forever.
func TestLateAnswerDoesNotHang(t *testing.T) {
	s, _, nip, token := setup(t)
	c, err := ksef.New(ksef.Config{Environment: "test", BaseURL: "http://127.0.0.1:1/v2",
		Retry: transport.RetryPolicy{AttemptTimeout: 50 * time.Millisecond, BaseDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	e := step.New()
	in, _ := json.Marshal(map[string]string{"token": token, "nip": nip})
	ev := parse(t, e.Start(c, "auth.token", in))
	if ev.Kind != "http" {
		t.Fatalf("first event %q", ev.Kind)
	}
	time.Sleep(200 * time.Millisecond) // the host is slow; Go's 50 ms attempt deadline passes
	late := []byte(`{"status":200,"headers":{"Content-Type":"application/json"},"body":"e30="}`)
	got := make(chan []byte, 1)
	go func() { got <- e.Resume(ev.Op, late) }()
	select {
	case next := <-got:
		if ev := drive(t, e, s.Handler(), next); !ev.Envelope.OK {
			t.Fatalf("after the late answer the operation should retry and succeed: %+v", ev.Envelope.Error)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Resume blocked: the operation had moved on and nobody read the late answer")
	}
	if e.InFlight() != 0 {
		t.Fatalf("in flight: %d", e.InFlight())
	}
}

// TestBodyCap: every http event states the core's body cap; a host that
// reports it exceeded, or hands over more anyway (as base64 or as an
// oversized answer), gets the same ksef.protocol error as the native
// driver, at once and without a retry.
func TestBodyCap(t *testing.T) {
	_, c, nip, token := setup(t)
	e := step.New()
	in, _ := json.Marshal(map[string]string{"token": token, "nip": nip})
	// cap+1 zero bytes in base64 without encoding them: "AAAA" is three
	// zero bytes, a final "AAA=" two.
	zeros := func() []byte {
		const over = transport.MaxResponseBytes + 1
		return append(bytes.Repeat([]byte{'A'}, (over+2)/3*4-1), '=')
	}
	for _, tc := range []struct {
		name   string
		big    bool
		answer func() []byte
	}{
		{"tooLarge", false, func() []byte {
			return []byte(`{"error":"answer exceeds 67108864 bytes","tooLarge":true,"status":200}`)
		}},
		{"body over cap", true, func() []byte {
			return slices.Concat([]byte(`{"status":200,"body":"`), zeros(), []byte(`"}`))
		}},
		{"answer over size", true, func() []byte {
			return slices.Concat([]byte(`{"status":200,"headers":{"X":"`), zeros(), bytes.Repeat([]byte{'A'}, 2<<20), []byte(`"}}`))
		}},
	} {
		if raceEnabled && tc.big {
			continue
		}
		name, answer := tc.name, tc.answer()
		first := e.Start(c, "auth.token", in)
		var raw struct {
			HTTP struct {
				MaxBodyBytes int64 `json:"maxBodyBytes"`
			} `json:"http"`
		}
		json.Unmarshal(first, &raw)
		if raw.HTTP.MaxBodyBytes != transport.MaxResponseBytes {
			t.Fatalf("http event states maxBodyBytes %d, want %d: %s", raw.HTTP.MaxBodyBytes, transport.MaxResponseBytes, first)
		}
		ev := parse(t, first)
		https := 0
		for ev.Kind != "done" {
			if ev.Kind == "http" {
				https++
			}
			ev = parse(t, e.Resume(ev.Op, answer))
		}
		if err := ev.Envelope.Error; err == nil || err.Code != "ksef.protocol" || https != 1 ||
			err.Message != "POST /auth/challenge: answer exceeds 67108864 bytes (the response body cap)" {
			t.Errorf("%s: %+v after %d http events", name, err, https)
		}
	}
	if e.InFlight() != 0 {
		t.Fatal("leaked operations")
	}
}
