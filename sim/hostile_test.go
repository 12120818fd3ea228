package sim

import (
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseHostileFaults(t *testing.T) {
	for spec, want := range map[string]Fault{
		"POST /auth/challenge=invalid-json":             {Route: "POST /auth/challenge", Kind: FaultInvalidJSON},
		"*#every=huge":                                  {Route: "*", Call: 1, From: true, Kind: FaultHuge},
		"POST /auth/challenge=huge:mb=3,declared=1":     {Route: "POST /auth/challenge", Kind: FaultHuge, hostileParams: hostileParams{HugeMB: 3, HugeDeclared: true}},
		"POST /auth/challenge#2=trickle:bytes=4,ms=250": {Route: "POST /auth/challenge", Call: 2, Kind: FaultTrickle, hostileParams: hostileParams{TrickleBytes: 4, TrickleInterval: 250 * time.Millisecond}},
		"POST /auth/challenge=reset":                    {Route: "POST /auth/challenge", Kind: FaultReset},
	} {
		got, err := ParseFault(spec)
		if err != nil {
			t.Errorf("%q: %v", spec, err)
			continue
		}
		if got != want {
			t.Errorf("%q: got %+v, want %+v", spec, got, want)
		}
		if again, err := ParseFault(got.String()); err != nil || again.String() != got.String() {
			t.Errorf("%q: round trip %q → %+v, %v", spec, got.String(), again, err)
		}
	}
	for spec, wantErr := range map[string]string{
		"POST /auth/challenge=huge:bytes=3":      `"bytes" does not apply to kind huge`,
		"POST /auth/challenge=huge:declared=2":   `"declared" does not apply`,
		"POST /auth/challenge=trickle:mb=1":      `"mb" does not apply to kind trickle`,
		"POST /auth/challenge=reset:ms=1":        `"ms" does not apply to kind reset`,
		"POST /auth/challenge=slow:bytes=1":      `"bytes" does not apply to kind slow`,
		"POST /auth/challenge=html-200:count=0":  "positive whole number",
		"POST /auth/challenge=wrong-content-typ": `unknown kind "wrong-content-typ"`,
	} {
		if _, err := ParseFault(spec); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: got error %v, want it to mention %q", spec, err, wantErr)
		}
	}
}

// TestHostileKinds checks what each kind puts on the wire, with a plain
// net/http client (the client library is what these faults test).
func TestHostileKinds(t *testing.T) {
	s, c := startSim(t, Options{})

	t.Run("invalid-json", func(t *testing.T) {
		defer s.ClearFaults()
		addFault(t, s, "POST /auth/challenge=invalid-json")
		r := c.do("POST", "/auth/challenge", "", nil)
		var v any
		if r.status != 200 || r.header.Get("Content-Type") != "application/json" || json.Unmarshal(r.body, &v) == nil {
			t.Fatalf("%v", r)
		}
	})

	t.Run("wrong-content-type keeps the real answer", func(t *testing.T) {
		defer s.ClearFaults()
		addFault(t, s, "POST /auth/challenge=wrong-content-type")
		r := c.do("POST", "/auth/challenge", "", nil)
		var ch struct{ Challenge string }
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") ||
			json.Unmarshal(r.body, &ch) != nil || ch.Challenge == "" {
			t.Fatalf("%v %v", r, r.header)
		}
	})

	t.Run("html-200", func(t *testing.T) {
		defer s.ClearFaults()
		addFault(t, s, "POST /auth/challenge=html-200")
		r := c.do("POST", "/auth/challenge", "", nil)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "<html>") {
			t.Fatalf("%v", r)
		}
	})

	t.Run("truncated", func(t *testing.T) {
		defer s.ClearFaults()
		addFault(t, s, "POST /auth/challenge=truncated")
		resp, err := c.hc.Post(c.base+"/auth/challenge", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if !errors.Is(err, io.ErrUnexpectedEOF) || resp.ContentLength <= int64(len(body)) || len(body) == 0 {
			t.Fatalf("read %d of %d bytes, err %v", len(body), resp.ContentLength, err)
		}
		c.challenge() // the next call is answered
	})

	t.Run("reset", func(t *testing.T) {
		defer s.ClearFaults()
		addFault(t, s, "POST /auth/challenge=reset")
		_, err := c.try("POST", "/auth/challenge", "", nil)
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("want connection reset, got %v", err)
		}
	})

	t.Run("trickle", func(t *testing.T) {
		defer s.ClearFaults()
		addFault(t, s, "POST /auth/challenge=trickle:bytes=40,ms=30")
		start := time.Now()
		resp, err := c.hc.Post(c.base+"/auth/challenge", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		headers := time.Since(start)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		total := time.Since(start)
		steps := (len(body) + 39) / 40
		if err != nil || headers > 200*time.Millisecond || total < time.Duration(steps)*30*time.Millisecond*8/10 || !json.Valid(body) {
			t.Fatalf("headers after %s, %d bytes after %s (want ≥ %d steps of 30 ms), %v", headers, len(body), total, steps, err)
		}
	})

	t.Run("huge is streamed, not buffered", func(t *testing.T) {
		defer s.ClearFaults()
		addFault(t, s, "POST /auth/challenge#1+=huge:mb=64,count=2")
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		resp, err := c.hc.Post(c.base+"/auth/challenge", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		runtime.ReadMemStats(&after)
		if err != nil || n != 64<<20 || resp.ContentLength != -1 {
			t.Fatalf("%d bytes (Content-Length %d), %v", n, resp.ContentLength, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
			t.Errorf("serving 64 MiB allocated %d MiB", grew>>20)
		}
		// declared=1 announces the size; a client that stops reading ends it.
		s.ClearFaults()
		addFault(t, s, "POST /auth/challenge=huge:mb=64,declared=1")
		resp, err = c.hc.Post(c.base+"/auth/challenge", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("Content-Length") != strconv.Itoa(64<<20) {
			t.Fatalf("Content-Length %q", resp.Header.Get("Content-Length"))
		}
		io.CopyN(io.Discard, resp.Body, 1<<20)
		resp.Body.Close()
		c.challenge()
	})
}
