//go:build !wasip1 && !js

// Package nethttp is the native transport driver: a transport.Doer over
// net/http with TLS verification always on and proxies taken from the
// environment (HTTPS_PROXY, NO_PROXY). It is kept out of the wasm build,
// where the host performs HTTP instead.
package nethttp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Options configure the driver.
type Options struct {
	// MaxResponseBytes caps response bodies (default
	// transport.MaxResponseBytes, the cap every driver applies).
	MaxResponseBytes int64
	// RootCAs, when set, replaces the system roots (e.g. a corporate proxy CA).
	// Verification itself can never be switched off.
	TLSConfig *tls.Config
	// UserAgent is sent with every request.
	UserAgent string
}

// Doer performs requests with net/http.
type Doer struct {
	client   *http.Client
	maxBytes int64
	ua       string
}

// New returns a driver with its own connection pool.
func New(o Options) *Doer {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyFromEnvironment
	tr.MaxIdleConnsPerHost = 16
	tr.ResponseHeaderTimeout = 0 // the per-attempt context deadline bounds it
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSConfig != nil {
		cfg = o.TLSConfig.Clone()
		if cfg.MinVersion < tls.VersionTLS12 {
			cfg.MinVersion = tls.VersionTLS12
		}
	}
	cfg.InsecureSkipVerify = false
	tr.TLSClientConfig = cfg
	max := o.MaxResponseBytes
	if max <= 0 {
		max = transport.MaxResponseBytes
	}
	return &Doer{
		client: &http.Client{
			Transport: tr,
			// KSeF never redirects; following one could carry a bearer token
			// somewhere unexpected, so a redirect is returned as-is.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		maxBytes: max,
		ua:       o.UserAgent,
	}
}

// Do performs one exchange.
func (d *Doer) Do(ctx context.Context, r *transport.Request) (*transport.Response, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	if r.BodyFunc != nil {
		b, err := r.BodyFunc()
		if err != nil {
			return nil, errs.Wrap(errs.CodeOf(err), err, "%s: opening the request body", r.Route)
		}
		body = b
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "%s: cannot build request", r.Route)
	}
	if r.BodyFunc != nil {
		// A known length: storage endpoints refuse chunked uploads, and the
		// declared part size is checked against it.
		req.ContentLength = r.ContentLength
		req.GetBody = func() (io.ReadCloser, error) { return r.BodyFunc() }
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if d.ua != "" && req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", d.ua)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, classify(err)
	}
	if r.StreamResponse {
		return &transport.Response{Status: resp.StatusCode, Header: transport.Header(resp.Header), Stream: &classified{resp.Body}}, nil
	}
	defer resp.Body.Close()
	// A declared length over the cap fails before a byte of the body is
	// read; an undeclared one is counted while reading. The attempt's
	// context bounds the body read as well (a trickling server).
	if resp.ContentLength > d.maxBytes {
		return nil, transport.TooLarge(r.Route, d.maxBytes, resp.StatusCode)
	}
	data, err := readBody(resp.Body, resp.ContentLength, d.maxBytes)
	if err != nil {
		return nil, classify(err)
	}
	if int64(len(data)) > d.maxBytes {
		return nil, transport.TooLarge(r.Route, d.maxBytes, resp.StatusCode)
	}
	return &transport.Response{Status: resp.StatusCode, Header: transport.Header(resp.Header), Body: data}, nil
}

// readBody reads an undeclared body up to max+1 bytes (one more tells an
// oversized body). A declared one (≤ max, checked by the caller; net/http
// never yields more than it) is read into one buffer of that size instead of
// one that grows by doubling, which for large bodies allocates twice over.
func readBody(body io.Reader, declared, max int64) ([]byte, error) {
	if declared < 0 {
		return io.ReadAll(io.LimitReader(body, max+1))
	}
	buf := make([]byte, declared)
	n, err := io.ReadFull(body, buf)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // declared bytes, none came
	}
	return buf[:n], err
}

// classify keeps context errors recognisable (errors.Is) and labels the rest.
func classify(err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	var ue interface{ Timeout() bool }
	if errors.As(err, &ue) && ue.Timeout() {
		return fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
	}
	return err
}

// classified keeps read errors of a streamed body recognisable (deadline,
// cancel) like the errors of Do.
type classified struct{ io.ReadCloser }

func (c *classified) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = classify(err)
	}
	return n, err
}

// compile-time check
var _ transport.Doer = (*Doer)(nil)
