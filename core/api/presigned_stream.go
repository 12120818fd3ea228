package api

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/transport"
)

// PresignedStream is a download from a pre-signed URL whose body is too
// large to hold (an export part, up to 50 MB): unread, for the caller to
// stream and close within the attempt's timeout.
type PresignedStream struct {
	Body io.ReadCloser
	// Size is the Content-Length, or -1 when the storage did not say.
	Size int64
	// MetaHash is the x-ms-meta-hash header (Base64 SHA-256 of the body),
	// "" when absent. It cannot be checked before the body is read: the
	// caller, who hashes what it reads anyway, compares it at the end.
	MetaHash string
}

// PresignedGetStream is PresignedGet for large bodies: same rules (no
// bearer token, https or loopback http only, a relative URL resolved
// against the API host, only 200 is success) but the body comes unread.
func (c *Client) PresignedGetStream(ctx context.Context, rawURL, route string) (*PresignedStream, error) {
	resp, err := c.presignedSend(ctx, rawURL, route, true)
	if err != nil {
		return nil, err
	}
	if resp.Status != 200 {
		// An error body is small; read a bounded amount for the message.
		if resp.Stream != nil {
			resp.Body, _ = io.ReadAll(io.LimitReader(resp.Stream, 64<<10))
			resp.Close()
		}
		e := errs.New(codeForStatus(resp.Status), "%s: the pre-signed URL answered HTTP %d (%s, %d bytes)%s", route, resp.Status, contentType(resp), len(resp.Body), expiredHint(resp))
		e.HTTPStatus = resp.Status
		return nil, e
	}
	body := resp.Stream
	if body == nil { // a Doer that read the body anyway
		body = io.NopCloser(strings.NewReader(string(resp.Body)))
	}
	size := int64(-1)
	if n, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		size = n
	}
	return &PresignedStream{Body: body, Size: size, MetaHash: strings.TrimSpace(resp.Header.Get("x-ms-meta-hash"))}, nil
}

// presignedSend sends a GET to a pre-signed URL: resolved, no bearer token,
// no KSeF error format, retried as an idempotent request.
func (c *Client) presignedSend(ctx context.Context, rawURL, route string, stream bool) (*transport.Response, error) {
	u, err := c.resolve(rawURL)
	if err != nil {
		return nil, err
	}
	h := transport.Header{}
	if c.UserAgent != "" {
		h.Set("User-Agent", c.UserAgent)
	}
	return c.Sender.Send(ctx, &transport.Request{Method: "GET", URL: u, Header: h, Route: route, Idempotent: true, StreamResponse: stream})
}
