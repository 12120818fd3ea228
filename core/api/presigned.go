package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/env"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Download is a document fetched from KSeF (a UPO, an invoice) with the
// outcome of its integrity check.
type Download struct {
	Body []byte
	// SHA256 is Base64 SHA-256 of Body.
	SHA256 string
	// HashChecked reports that the answer carried x-ms-meta-hash and that it
	// matched. A mismatch is an error; an absent header leaves it false.
	HashChecked bool
}

// checkedDownload compares the body with x-ms-meta-hash, Base64 SHA-256 of
// the stored document (protocol.md §2).
func checkedDownload(route string, h transport.Header, body []byte) (*Download, error) {
	sum := sha256.Sum256(body)
	got := base64.StdEncoding.EncodeToString(sum[:])
	d := &Download{Body: body, SHA256: got}
	want := strings.TrimSpace(h.Get("x-ms-meta-hash"))
	if want == "" {
		return d, nil
	}
	if want != got {
		return nil, errs.New(errs.Protocol, "%s: the document's SHA-256 %s does not match its x-ms-meta-hash %s (damaged or tampered in transit)", route, got, want)
	}
	d.HashChecked = true
	return d, nil
}

// PresignedGet downloads from a pre-signed storage URL KSeF handed out
// (UPO pages, export parts). No Authorization header goes there — the URL
// itself is the credential — and no KSeF error format is asked for: the
// storage answers with its own. A relative URL (seen in some KSeF docs
// examples) is resolved against the API host. Only 200 is success.
func (c *Client) PresignedGet(ctx context.Context, rawURL, route string) (*Download, error) {
	resp, err := c.presignedSend(ctx, rawURL, route, false)
	if err != nil {
		return nil, err
	}
	if resp.Status != 200 {
		e := errs.New(codeForStatus(resp.Status), "%s: the pre-signed URL answered HTTP %d (%s, %d bytes)%s", route, resp.Status, contentType(resp), len(resp.Body), expiredHint(resp))
		e.HTTPStatus = resp.Status
		return nil, e
	}
	return checkedDownload(route, resp.Header, resp.Body)
}

// expiredHint names the usual cause of a storage 403 (an XML body from
// the blob store, ksef-api#249).
func expiredHint(r *transport.Response) string {
	if r.Status == 403 {
		return "; pre-signed URLs expire — ask for the status again to get a fresh one"
	}
	return ""
}

// resolve turns a pre-signed URL into an absolute one on the API host when
// it is relative, and refuses anything but http(s).
func (c *Client) resolve(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return "", errs.New(errs.Protocol, "KSeF handed out a download URL that does not parse")
	}
	if u.IsAbs() {
		// Plain http only on loopback (the simulator), as for base URLs.
		if u.Scheme != "https" && (u.Scheme != "http" || !env.IsLoopback(u.Hostname())) {
			return "", errs.New(errs.Protocol, "KSeF handed out a download URL with scheme %q for %s; only https (or http on loopback) is followed", u.Scheme, u.Hostname())
		}
		return u.String(), nil
	}
	base, err := url.Parse(c.BaseURL)
	if err != nil {
		return "", errs.Wrap(errs.Internal, err, "base URL")
	}
	return base.ResolveReference(u).String(), nil
}

// PresignedUpload sends one body to a pre-signed storage URL (a batch
// part) with exactly the method and headers KSeF named, no Authorization
// header and no KSeF error format; only 201 Created is success — a 200
// is typically a web application firewall's HTML page, a 403 the storage
// refusing an expired URL. It makes one attempt, bounded by timeout: the
// caller retries, and body is opened afresh for every attempt.
func (c *Client) PresignedUpload(ctx context.Context, up PartUploadRequest, body func() (io.ReadCloser, error), size int64, timeout time.Duration) error {
	const route = "PUT {partUploadRequests[].url}"
	method := strings.ToUpper(up.Method)
	if method != "PUT" && method != "POST" {
		return errs.New(errs.Protocol, "%s: KSeF asked for the upload method %q; only PUT and POST are followed", route, up.Method)
	}
	u, err := c.resolve(up.URL)
	if err != nil {
		return err
	}
	h := transport.Header{}
	for k, v := range up.Headers {
		h.Set(k, v)
	}
	if c.UserAgent != "" && h.Get("User-Agent") == "" {
		h.Set("User-Agent", c.UserAgent)
	}
	once := *c.Sender
	once.Policy.MaxAttempts, once.Policy.AttemptTimeout, once.Policy.TotalTimeout = 1, timeout, timeout
	resp, err := once.Send(ctx, &transport.Request{
		Method: method, URL: u, Header: h, Route: route, Idempotent: true, BodyFunc: body, ContentLength: size,
	})
	if err != nil {
		return err
	}
	if resp.Status == 201 {
		return nil
	}
	why := ""
	switch {
	case resp.Status == 200:
		why = "; only 201 Created means the storage kept the part (a 200 with a page usually comes from a web application firewall in front of it)"
	case resp.Status == 403:
		why = "; the storage refuses the pre-signed URL: it expired (a batch's upload time is 20 minutes per part from opening) or was altered"
	}
	// ksef.api whatever the status: a storage 403 is an expired or altered
	// URL, not the client's authentication or permissions.
	e := errs.New(errs.API, "%s: the pre-signed upload URL answered HTTP %d (%s, %d bytes)%s", route, resp.Status, contentType(resp), len(resp.Body), why)
	e.HTTPStatus = resp.Status
	return e
}
