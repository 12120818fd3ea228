package nethttp_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/core/transport/nethttp"
)

// A streamed upload is reopened for every attempt and declares its length;
// a streamed download stays readable after Send returns and is bounded by
// the attempt's deadline.
func TestStreamedBodies(t *testing.T) {
	payload := bytes.Repeat([]byte("part"), 1<<18) // 1 MiB
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case "PUT":
			got, _ := io.ReadAll(r.Body)
			if r.ContentLength != int64(len(payload)) || !bytes.Equal(got, payload) {
				t.Errorf("attempt %d: got %d bytes (Content-Length %d)", attempts.Load(), len(got), r.ContentLength)
			}
			if attempts.Add(1) == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusCreated)
		case "GET":
			w.Write(payload)
			if r.URL.Query().Get("slow") != "" {
				w.(http.Flusher).Flush()
				time.Sleep(500 * time.Millisecond)
			}
		}
	}))
	defer srv.Close()
	s := &transport.Sender{Doer: nethttp.New(nethttp.Options{}), Policy: transport.RetryPolicy{BaseDelay: time.Millisecond}}
	opens := 0
	resp, err := s.Send(context.Background(), &transport.Request{
		Method: "PUT", URL: srv.URL, Route: "PUT part", Idempotent: true, ContentLength: int64(len(payload)),
		BodyFunc: func() (io.ReadCloser, error) { opens++; return io.NopCloser(bytes.NewReader(payload)), nil },
	})
	if err != nil || resp.Status != 201 || opens != 2 {
		t.Fatalf("upload: %v status %v after %d opens", err, resp, opens)
	}

	resp, err = s.Send(context.Background(), &transport.Request{Method: "GET", URL: srv.URL, Route: "GET part", Idempotent: true, StreamResponse: true})
	if err != nil || resp.Stream == nil || resp.Body != nil {
		t.Fatalf("download: %v %+v", err, resp)
	}
	got, err := io.ReadAll(resp.Stream)
	resp.Close()
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("streamed body: %d bytes, %v", len(got), err)
	}

	slow := &transport.Sender{Doer: nethttp.New(nethttp.Options{}), Policy: transport.RetryPolicy{AttemptTimeout: 200 * time.Millisecond}}
	resp, err = slow.Send(context.Background(), &transport.Request{Method: "GET", URL: srv.URL + "?slow=1", Route: "GET slow", Idempotent: true, StreamResponse: true})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	if _, err := io.ReadAll(resp.Stream); err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("a body read past the attempt deadline must fail with it: %v", err)
	}
}
