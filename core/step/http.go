package step

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/transport"
)

type httpRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body,omitempty"`
	// BodyLength announces a streamed request body of exactly this many
	// bytes, which the host pulls chunk by chunk (body events).
	BodyLength *int64 `json:"bodyLength,omitempty"`
	// StreamResponse: answer status and headers only and keep the body for
	// read events on stream req.
	StreamResponse bool  `json:"streamResponse,omitempty"`
	TimeoutMs      int64 `json:"timeoutMs,omitempty"`
	// MaxBodyBytes is the cap of a held response body (transport.MaxResponseBytes).
	MaxBodyBytes int64 `json:"maxBodyBytes"`
}

// HTTPAnswer is the host's answer to an http event, or to a body event of
// its exchange.
type HTTPAnswer struct {
	Status  int             `json:"status"`
	Headers json.RawMessage `json:"headers,omitempty"`
	Body    string          `json:"body,omitempty"`
	Error   string          `json:"error,omitempty"`
	Timeout bool            `json:"timeout,omitempty"`
	// TooLarge: the body exceeded the event's maxBodyBytes and was not read.
	TooLarge bool `json:"tooLarge,omitempty"`
	// Pull asks for the next chunk of a streamed request body; Offset is
	// how many bytes of it the host has received so far.
	Pull   bool   `json:"pull,omitempty"`
	Offset *int64 `json:"offset,omitempty"`
}

// maxAnswerBytes bounds the JSON of an http answer: the base64 of a body at
// the cap plus room for the headers. Anything longer is refused unparsed.
var maxAnswerBytes = b64.EncodedLen(transport.MaxResponseBytes) + 1<<20

// doer turns each request into an http event and waits for the answer.
type doer struct{ op *operation }

// Serial tells workflows that could send in parallel (online sends, part
// uploads) that this driver carries one request at a time: an operation's
// events reach the host one by one (docs/step.md, "Concurrency").
func (d *doer) Serial() bool { return true }

func (d *doer) Do(ctx context.Context, r *transport.Request) (*transport.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if (r.BodyFunc != nil || r.StreamResponse) && !d.op.opts.Streams {
		return nil, errs.New(errs.Transport, "%s: the body streams, and this host did not start the operation with {\"streams\":true}; use ksef_start_with, or the blocking call (ksef_call) with file paths", r.Route)
	}
	h := make(map[string]string, len(r.Header))
	for k, v := range r.Header {
		h[k] = strings.Join(v, ", ")
	}
	const limit = transport.MaxResponseBytes
	req := &httpRequest{Method: r.Method, URL: r.URL, Headers: h, TimeoutMs: r.Timeout.Milliseconds(), MaxBodyBytes: limit, StreamResponse: r.StreamResponse}
	switch {
	case r.BodyFunc != nil:
		if r.ContentLength < 0 {
			return nil, errs.New(errs.Internal, "%s: a streamed body needs its exact length", r.Route)
		}
		req.BodyLength = offset(r.ContentLength)
	case len(r.Body) > 0:
		req.Body = b64.EncodeToString(r.Body)
	}
	// open from the start: the host may begin the request (or keep its
	// response) before the core sees its answer.
	x := &exchange{op: d.op, r: r, id: d.op.newID(), open: r.BodyFunc != nil || r.StreamResponse}
	a, err := d.op.ask(ctx, event{Kind: "http", Req: x.id, HTTP: req}, nil)
	if err != nil {
		x.abandon()
		return nil, err
	}
	resp, err := x.finish(ctx, a)
	if err != nil {
		x.abandon()
		return nil, err
	}
	return resp, nil
}

// exchange is one http event and what follows it: the pulls of a streamed
// request body, the reads of a streamed response.
type exchange struct {
	op *operation
	r  *transport.Request
	id uint64

	body io.ReadCloser // the streamed request body, once the host pulled
	buf  []byte
	sent int64
	// open: the host may still hold something of the exchange (a request
	// in flight, a response body), so abandoning it needs a close event.
	open bool
}

// finish reads the host's answers until the final one: pulls are served
// with the next chunk of the body, the final answer becomes the response.
func (x *exchange) finish(ctx context.Context, a reply) (*transport.Response, error) {
	defer func() {
		if x.body != nil {
			x.body.Close()
		}
	}()
	route := x.r.Route
	for {
		if len(a.answer) > maxAnswerBytes {
			return nil, transport.TooLarge(route, transport.MaxResponseBytes, 0)
		}
		var ans HTTPAnswer
		if err := json.Unmarshal(a.answer, &ans); err != nil {
			return nil, errs.Wrap(errs.InputInvalid, err, "host answer to an http event")
		}
		if len(a.data) > 0 {
			return nil, errs.New(errs.InputInvalid, "%s: the host answered an http event with %d bytes beside the JSON; none belong there", route, len(a.data))
		}
		if !ans.Pull {
			return x.response(ctx, &ans)
		}
		chunk, eof, err := x.next(&ans)
		if err != nil {
			return nil, err
		}
		at := x.sent
		x.sent += int64(len(chunk))
		if a, err = x.op.ask(ctx, event{Kind: "body", Req: x.id, Offset: offset(at), EOF: eof}, chunk); err != nil {
			return nil, err
		}
	}
}

// next reads the chunk of the request body the host pulled: at most
// MaxChunk bytes from where the host says it is, which must be where the
// core is. The last chunk is marked eof once the body is known to end
// exactly at ContentLength.
func (x *exchange) next(a *HTTPAnswer) ([]byte, bool, error) {
	route, n := x.r.Route, x.r.ContentLength
	switch {
	case x.r.BodyFunc == nil:
		return nil, false, errs.New(errs.InputInvalid, "%s: the host pulled a body from a request that has none to stream", route)
	case a.Offset == nil || *a.Offset != x.sent:
		got := "no offset"
		if a.Offset != nil {
			got = "offset " + strconv.FormatInt(*a.Offset, 10)
		}
		return nil, false, errs.New(errs.InputInvalid, "%s: the host pulled the body at %s, but the core has handed out %d bytes (a chunk lost or repeated)", route, got, x.sent)
	case x.body != nil && x.sent == n:
		return nil, false, errs.New(errs.InputInvalid, "%s: the host pulled past the end of the body (%d bytes)", route, n)
	}
	if x.body == nil {
		b, err := x.r.BodyFunc()
		if err != nil {
			return nil, false, errs.Wrap(errs.CodeOf(err), err, "%s: opening the body", route)
		}
		x.body = b
		x.buf = make([]byte, min(int64(MaxChunk), n))
	}
	want := min(int64(len(x.buf)), n-x.sent)
	got, err := io.ReadFull(x.body, x.buf[:want])
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, false, errs.New(errs.Internal, "%s: the body ended after %d of the %d bytes announced", route, x.sent+int64(got), n)
		}
		return nil, false, errs.Wrap(errs.CodeOf(err), err, "%s: reading the body", route)
	}
	eof := x.sent+int64(got) == n
	if eof {
		var one [1]byte
		switch k, err := x.body.Read(one[:]); {
		case k > 0:
			return nil, false, errs.New(errs.Internal, "%s: the body is longer than the %d bytes announced", route, n)
		case err != nil && err != io.EOF:
			return nil, false, errs.Wrap(errs.CodeOf(err), err, "%s: reading the body", route)
		}
	}
	return x.buf[:got], eof, nil
}

// response turns the final answer into a Response (or the error it
// reports).
func (x *exchange) response(ctx context.Context, a *HTTPAnswer) (*transport.Response, error) {
	route := x.r.Route
	const limit = transport.MaxResponseBytes
	if a.TooLarge {
		x.open = false
		return nil, transport.TooLarge(route, limit, a.Status)
	}
	if a.Error != "" {
		x.open = false // the host failed the request: it holds nothing of it
		if a.Timeout {
			return nil, errs.New(errs.Timeout, "%s: host reported a timeout: %s", route, a.Error)
		}
		return nil, errs.New(errs.Transport, "%s: host reported: %s", route, a.Error)
	}
	if a.Status < 100 || a.Status > 999 {
		return nil, errs.New(errs.InputInvalid, "host answer to an http event has no valid status (%d)", a.Status)
	}
	hdr, err := parseHeaders(a.Headers)
	if err != nil {
		return nil, err
	}
	if x.r.StreamResponse {
		if a.Body != "" {
			return nil, errs.New(errs.InputInvalid, "%s: the host answered a streamResponse event with the body in the JSON; keep it for read events", route)
		}
		// The host keeps the body as stream x.id until the core closes it.
		return &transport.Response{Status: a.Status, Header: hdr, Stream: newHostReader(ctx, x.op, x.id, -1, bodyFailure(route))}, nil
	}
	x.open = false                             // a held answer: nothing of the exchange stays with the host
	if b64.DecodedLen(len(a.Body)) > limit+2 { // +2: padding
		return nil, transport.TooLarge(route, limit, a.Status)
	}
	body, err := b64.DecodeString(a.Body)
	if err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "host answer body is not base64")
	}
	if len(body) > limit {
		return nil, transport.TooLarge(route, limit, a.Status)
	}
	return &transport.Response{Status: a.Status, Header: hdr, Body: body}, nil
}

// abandon tells the host to drop what it may still hold of a streamed
// exchange the core gives up on (a failed body, a bad answer, a deadline).
func (x *exchange) abandon() {
	if x.open {
		x.open = false
		x.op.tell(event{Kind: "close", Stream: x.id})
	}
}

// parseHeaders accepts {"k":"v"} and {"k":["v1","v2"]}.
func parseHeaders(raw json.RawMessage) (transport.Header, error) {
	h := transport.Header{}
	if len(raw) == 0 || string(raw) == "null" {
		return h, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "host answer headers")
	}
	for k, v := range m {
		var s string
		if json.Unmarshal(v, &s) == nil {
			h.Add(k, s)
			continue
		}
		var l []string
		if err := json.Unmarshal(v, &l); err != nil {
			return nil, errs.New(errs.InputInvalid, "host answer header %q is neither a string nor a list of strings", k)
		}
		for _, s := range l {
			h.Add(k, s)
		}
	}
	return h, nil
}
