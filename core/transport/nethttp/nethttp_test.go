package nethttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/transport"
)

func TestTLSVerificationIsAlwaysOn(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, err := New(Options{}).Do(context.Background(), &transport.Request{Method: "GET", URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a self-signed server certificate must be rejected, got %v", err)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			t.Error("redirect followed (could carry the bearer token away)")
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	resp, err := New(Options{}).Do(context.Background(), &transport.Request{Method: "GET", URL: srv.URL,
		Header: transport.Header{"Authorization": {"Bearer x"}}})
	if err != nil || resp.Status != http.StatusFound {
		t.Fatalf("%v %v", resp, err)
	}
}

func TestBodyCap(t *testing.T) {
	for _, declared := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if declared {
				// Announce a large body and send none of it: a client that
				// reads instead of refusing waits until the deadline.
				w.Header().Set("Content-Length", "1048576")
				w.WriteHeader(200)
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				return
			}
			chunk := []byte(strings.Repeat("x", 1024))
			for range 1024 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		_, err := New(Options{MaxResponseBytes: 4096}).Do(ctx, &transport.Request{Method: "GET", URL: srv.URL, Route: "GET /x"})
		took := time.Since(start)
		cancel()
		srv.Close()
		if e := errs.As(err); e == nil || e.Code != errs.Protocol || e.HTTPStatus != 200 ||
			e.Message != "GET /x: answer exceeds 4096 bytes (the response body cap)" {
			t.Fatalf("declared %v: %v", declared, err)
		}
		if took > time.Second {
			t.Errorf("declared %v: refused after %s (a declared length over the cap must fail before reading)", declared, took)
		}
	}
	// Exactly at the cap is fine, declared or not.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("declared") == "" {
			w.(http.Flusher).Flush() // chunked
		}
		w.Write([]byte(strings.Repeat("x", 4096)))
	}))
	defer srv.Close()
	for _, u := range []string{srv.URL, srv.URL + "?declared=1"} {
		resp, err := New(Options{MaxResponseBytes: 4096}).Do(context.Background(), &transport.Request{Method: "GET", URL: u})
		if err != nil || len(resp.Body) != 4096 {
			t.Fatalf("%s: %v", u, err)
		}
	}
}

// The default cap is the core's one, and reading up to it allocates about
// the body once (declared) — not the doubling growth of an unsized buffer.
func TestDefaultCapAndDeclaredBodyAllocatesOnce(t *testing.T) {
	const size = 32 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		chunk := make([]byte, 64<<10)
		for i := 0; i < size/len(chunk); i++ {
			w.Write(chunk)
		}
	}))
	defer srv.Close()
	d := New(Options{})
	if d.maxBytes != transport.MaxResponseBytes {
		t.Fatalf("default cap %d, want transport.MaxResponseBytes", d.maxBytes)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	resp, err := d.Do(context.Background(), &transport.Request{Method: "GET", URL: srv.URL})
	runtime.ReadMemStats(&after)
	if err != nil || len(resp.Body) != size {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > size+size/2 {
		t.Errorf("reading a %d MiB body allocated %d MiB", size>>20, got>>20)
	}
}

// The attempt's deadline also bounds the body: a server that sends its
// headers and then a byte now and then is cut off in time.
func TestDeadlineCoversTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		for range 1000 {
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			select {
			case <-time.After(50 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := New(Options{}).Do(ctx, &transport.Request{Method: "GET", URL: srv.URL})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("after %s: %v", time.Since(start), err)
	}
}

func TestCanceledContextIsRecognisable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(Options{}).Do(ctx, &transport.Request{Method: "GET", URL: srv.URL})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want an error matching context.Canceled (so the retry layer can tell the caller gave up), got %v", err)
	}
}
