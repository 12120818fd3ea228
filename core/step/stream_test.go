package step_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/step"
	"github.com/ksefkit/ksefkit/core/step/steptest"
	"github.com/ksefkit/ksefkit/core/transport"
)

var streams = step.Options{Streams: true}

// job is an operation of the test's own: it runs fn with the step
// driver's context and answers fn's result (a string) or error.
func job(fn func(ctx context.Context) (string, error)) step.Runner {
	return step.RunnerFunc(func(ctx context.Context, _ *ksef.Client, _ string, _ []byte) []byte {
		s, err := fn(ctx)
		if err != nil {
			return ops.ErrorEnvelope(err)
		}
		return ops.Marshal(ops.Envelope{OK: true, Result: s})
	})
}

func result(t *testing.T, ev steptest.Event) string {
	t.Helper()
	if !ev.Envelope.OK {
		t.Fatalf("operation failed: %+v", ev.Envelope.Error)
	}
	var s string
	json.Unmarshal(ev.Envelope.Result, &s)
	return s
}

func failure(t *testing.T, ev steptest.Event) (code, message string) {
	t.Helper()
	if ev.Kind != "done" || ev.Envelope.OK || ev.Envelope.Error == nil {
		t.Fatalf("want a failed done event, got %+v", ev)
	}
	return ev.Envelope.Error.Code, ev.Envelope.Error.Message
}

// noLeaks checks that the engine holds no operation and that the
// goroutines of the test's operations are gone.
func noLeaks(t *testing.T, e *step.Engine) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		// Kept-alive connections of the reference host's client are not
		// the engine's goroutines.
		http.DefaultClient.CloseIdleConnections()
		if n := e.InFlight(); n != 0 {
			t.Errorf("%d operations in flight", n)
		}
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > base {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines before, %d after:\n%s", base, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// pattern is n deterministic bytes.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>11)
	}
	return b
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// store is an upload target: it records what arrived and answers 201.
func store(t *testing.T, fail int) (*httptest.Server, *atomic.Int32, func() []byte) {
	var got atomic.Value
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		b, err := io.ReadAll(r.Body)
		if err != nil || r.ContentLength != int64(len(b)) {
			http.Error(w, "short body", 400)
			return
		}
		if int(n) <= fail {
			w.WriteHeader(503)
			return
		}
		got.Store(b)
		w.WriteHeader(201)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls, func() []byte { b, _ := got.Load().([]byte); return b }
}

func upload(url string, body []byte, retry bool) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		s := &transport.Sender{Policy: transport.RetryPolicy{BaseDelay: time.Millisecond, AttemptTimeout: 10 * time.Second}}
		opens := 0
		resp, err := s.Send(ctx, &transport.Request{Method: "PUT", URL: url, Route: "PUT /part", Idempotent: retry, ContentLength: int64(len(body)),
			BodyFunc: func() (io.ReadCloser, error) { opens++; return io.NopCloser(bytes.NewReader(body)), nil }})
		if err != nil {
			return "", err
		}
		return strconv.Itoa(resp.Status) + " after " + strconv.Itoa(opens) + " opens", nil
	}
}

// TestStreamedUpload: a body announced by its length is pulled by the
// host chunk by chunk (at most MaxChunk each) while its request is in
// flight, and a retry opens it again from the start.
func TestStreamedUpload(t *testing.T) {
	body := pattern(3*step.MaxChunk + 12345)
	srv, calls, got := store(t, 1)
	e := &step.Engine{Table: job(upload(srv.URL, body, true))}
	noLeaks(t, e)
	h := &steptest.Host{}
	ev, err := h.Run(steptest.Engine{E: e}, e.StartWith(nil, "upload", nil, streams))
	if err != nil {
		t.Fatal(err)
	}
	if r := result(t, ev); r != "201 after 2 opens" {
		t.Fatalf("result %q", r)
	}
	if !bytes.Equal(got(), body) || calls.Load() != 2 {
		t.Fatalf("the store got %d bytes in %d calls, want %d in 2", len(got()), calls.Load(), len(body))
	}
	// Two attempts of four chunks each; the 503 came after the whole body.
	if h.Seen["body"] != 8 || h.Seen["http"] != 2 || h.MaxChunkSeen != step.MaxChunk {
		t.Fatalf("events %v, largest chunk %d", h.Seen, h.MaxChunkSeen)
	}
}

// TestStreamsNeedTheOption: a host that did not say it streams is told so,
// and nothing is sent.
func TestStreamsNeedTheOption(t *testing.T) {
	srv, calls, _ := store(t, 0)
	e := &step.Engine{Table: job(upload(srv.URL, pattern(10), false))}
	noLeaks(t, e)
	ev, err := (&steptest.Host{}).Run(steptest.Engine{E: e}, e.Start(nil, "upload", nil))
	if err != nil {
		t.Fatal(err)
	}
	if code, msg := failure(t, ev); code != "transport" || !strings.Contains(msg, `{"streams":true}`) || calls.Load() != 0 {
		t.Fatalf("%s: %s (%d calls)", code, msg, calls.Load())
	}
	bad := parse(t, e.StartWith(nil, "upload", nil, step.Options{}))
	e.Cancel(bad.Op)
	if _, err := step.ParseOptions([]byte(`{"stream":true}`)); errs.CodeOf(err) != errs.InputInvalid {
		t.Fatalf("a misspelt option: %v", err)
	}
}

// download reads a streamed response: all of it, or only limit bytes
// before closing it.
func download(url string, limit int64) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		s := &transport.Sender{Policy: transport.RetryPolicy{AttemptTimeout: 10 * time.Second}}
		resp, err := s.Send(ctx, &transport.Request{Method: "GET", URL: url, Route: "GET /part", Idempotent: true, StreamResponse: true})
		if err != nil {
			return "", err
		}
		defer resp.Close()
		var r io.Reader = resp.Stream
		if limit > 0 {
			r = io.LimitReader(r, limit)
		}
		h := sha256.New()
		n, err := io.Copy(h, r) // 32 KiB reads: the core reads ahead in MaxChunk pieces
		if err != nil {
			return "", err
		}
		return strconv.Itoa(resp.Status) + " " + strconv.FormatInt(n, 10) + " " + hex.EncodeToString(h.Sum(nil)), nil
	}
}

func serve(t *testing.T, body []byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestStreamedDownload: a streamed response's body stays with the host and
// reaches the core in read events of at most MaxChunk bytes; closing it
// early tells the host to drop it.
func TestStreamedDownload(t *testing.T) {
	body := pattern(5*step.MaxChunk + 777)
	srv := serve(t, body)
	for _, limit := range []int64{0, step.MaxChunk + 5} {
		e := &step.Engine{Table: job(download(srv.URL, limit))}
		noLeaks(t, e)
		h := &steptest.Host{}
		ev, err := h.Run(steptest.Engine{E: e}, e.StartWith(nil, "download", nil, streams))
		if err != nil {
			t.Fatal(err)
		}
		want, reads := body, 6
		if limit > 0 {
			want, reads = body[:limit], 2
		}
		if r := result(t, ev); r != "200 "+strconv.Itoa(len(want))+" "+sum(want) {
			t.Fatalf("limit %d: %s", limit, r)
		}
		if h.Seen["read"] != reads || h.Seen["close"] != 1 || h.MaxChunkSeen != step.MaxChunk {
			t.Fatalf("limit %d: events %v, largest chunk %d", limit, h.Seen, h.MaxChunkSeen)
		}
	}
}

// TestHostFileStreams: under the wasm module's rules every hostfs stream
// goes through the host — list, open and read in chunks, create and write
// in chunks — and lands byte for byte.
func TestHostFileStreams(t *testing.T) {
	defer func(v bool) { *step.HostFiles = v }(*step.HostFiles)
	*step.HostFiles = true
	dir := t.TempDir()
	big := pattern(2*step.MaxChunk + 99)
	os.WriteFile(filepath.Join(dir, "b.xml"), big, 0o600)
	os.WriteFile(filepath.Join(dir, "a.xml"), []byte("<a/>"), 0o600)
	os.Mkdir(filepath.Join(dir, "sub"), 0o700)
	out := filepath.Join(dir, "sub", "copy.bin")
	e := &step.Engine{Table: job(func(ctx context.Context) (string, error) {
		names, err := hostfs.List(ctx, dir)
		if err != nil {
			return "", err
		}
		w, err := hostfs.Create(ctx, out)
		if err != nil {
			return "", err
		}
		var sizes []string
		for _, n := range names {
			r, size, err := hostfs.Open(ctx, n)
			if err != nil {
				return "", err
			}
			k, err := io.Copy(w, r)
			r.Close()
			if err != nil {
				return "", err
			}
			sizes = append(sizes, filepath.Base(n)+"="+strconv.FormatInt(size, 10)+"/"+strconv.FormatInt(k, 10))
		}
		if err := w.Close(); err != nil {
			return "", err
		}
		_, _, err = hostfs.Open(ctx, filepath.Join(dir, "none.xml"))
		return strings.Join(sizes, " ") + " missing:" + strconv.FormatBool(os.IsNotExist(err)) + " local:" + strconv.FormatBool(hostfs.IsLocal(ctx)), nil
	})}
	noLeaks(t, e)
	h := &steptest.Host{}
	ev, err := h.Run(steptest.Engine{E: e}, e.StartWith(nil, "files", nil, streams))
	if err != nil {
		t.Fatal(err)
	}
	want := "a.xml=4/4 b.xml=" + strconv.Itoa(len(big)) + "/" + strconv.Itoa(len(big)) + " missing:true local:false"
	if r := result(t, ev); r != want {
		t.Fatalf("%s, want %s", r, want)
	}
	copied, _ := os.ReadFile(out)
	if !bytes.Equal(copied, append([]byte("<a/>"), big...)) {
		t.Fatalf("the copy has %d bytes", len(copied))
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Fatalf("created with mode %v", st.Mode())
	}
	// a.xml: one read; b.xml: three reads of at most MaxChunk (a file ends
	// at the size its open stated, so no read asks only for eof).
	// The copy: three writes (two full chunks, the rest at Close).
	if h.Seen["list"] != 1 || h.Seen["open"] != 3 || h.Seen["read"] != 4 || h.Seen["write"] != 3 || h.Seen["close"] != 3 || h.MaxChunkSeen != step.MaxChunk {
		t.Fatalf("events %v, largest chunk %d", h.Seen, h.MaxChunkSeen)
	}
	// Without the streams option the module's hosts answer whole files only.
	e.Table = job(func(ctx context.Context) (string, error) {
		_, _, err := hostfs.Open(ctx, out)
		return "", err
	})
	ev, err = (&steptest.Host{}).Run(steptest.Engine{E: e}, e.Start(nil, "files", nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, msg := failure(t, ev); !strings.Contains(msg, "does not stream files") {
		t.Fatalf("open without streams: %s", msg)
	}
}
