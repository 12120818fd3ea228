package nethttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 2048)))
	}))
	defer srv.Close()
	_, err := New(Options{MaxResponseBytes: 1024}).Do(context.Background(), &transport.Request{Method: "GET", URL: srv.URL})
	if err == nil {
		t.Fatal("oversized body accepted")
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
