// Package step is the step/resume driver: it runs an operation in a
// goroutine until the operation needs the outside world, and hands that need
// to the host as an event instead of doing it itself.
//
//	ev := e.Start(client, "auth.token", input)   // {"kind":"http",…} | {"kind":"sleep",…} | {"kind":"done",…}
//	for ev.kind != "done" {
//	    answer := host performs the HTTP request (fetch) or waits ev.ms
//	    ev = e.Resume(ev.op, answer)
//	}
//
// The wasm module uses it because a wasip1 guest has no sockets and must
// not block (the host only runs between export calls); libksef.so offers it
// to C hosts with their own event loop. Core code does not know: the
// driver's Doer and Clock travel in the operation's context.
//
// Events (JSON):
//
//	{"kind":"http","op":7,"http":{"method":"POST","url":"…","headers":{"Content-Type":"application/json"},"body":"<base64>","timeoutMs":60000,"maxBodyBytes":67108864}}
//	{"kind":"sleep","op":7,"ms":250}
//	{"kind":"file","op":7,"path":"/home/me/.config/ksefkit/config.toml"}   (wasm only, see files.go)
//	{"kind":"done","op":7,"envelope":{"ok":true,"result":{…}}}
//
// Answers to Resume:
//
//	http:  {"status":200,"headers":{"Content-Type":"application/json"},"body":"<base64>"}
//	       or {"error":"fetch failed: ECONNREFUSED","timeout":false}
//	       or {"error":"answer exceeds 67108864 bytes","tooLarge":true,"status":200}
//	sleep: {}
//	file:  {"data":"<base64>"} or {"error":"ENOENT: no such file","notFound":true}
//
// timeoutMs and maxBodyBytes are the core's policy for this attempt; the
// host enforces both while it works, not after: it stops waiting at
// timeoutMs, including while the body is still arriving (answering
// "timeout":true), and counts the body as it reads it, aborting the request
// as soon as it exceeds maxBodyBytes (a Content-Length over it fails before
// reading) and answering "tooLarge":true instead of the body — so neither
// the host nor the core ever holds or base64-encodes more than the cap.
// The core checks the cap again on what it is given.
package step

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/transport"
)

// DefaultParkInterval is the sleep an operation asks for while it waits on
// another operation (e.g. a token refresh in flight).
const DefaultParkInterval = 20 * time.Millisecond

// Engine holds the operations in flight. Safe for concurrent use.
type Engine struct {
	Table        *ops.Table
	ParkInterval time.Duration

	mu   sync.Mutex
	next uint64
	ops  map[uint64]*operation
}

type state int

const (
	running state = iota
	waitingHTTP
	waitingSleep
	waitingFile
)

type operation struct {
	id      uint64
	cancel  context.CancelFunc
	events  chan event
	answers chan json.RawMessage
	state   state
}

type event struct {
	Kind     string          `json:"kind"`
	Op       uint64          `json:"op"`
	HTTP     *httpRequest    `json:"http,omitempty"`
	Ms       *int64          `json:"ms,omitempty"`
	Path     string          `json:"path,omitempty"`
	Envelope json.RawMessage `json:"envelope,omitempty"`
}

type httpRequest struct {
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      string            `json:"body,omitempty"`
	TimeoutMs int64             `json:"timeoutMs,omitempty"`
	// MaxBodyBytes is the response body cap (transport.MaxResponseBytes).
	MaxBodyBytes int64 `json:"maxBodyBytes"`
}

// HTTPAnswer is the host's answer to an http event.
type HTTPAnswer struct {
	Status  int             `json:"status"`
	Headers json.RawMessage `json:"headers,omitempty"`
	Body    string          `json:"body,omitempty"`
	Error   string          `json:"error,omitempty"`
	Timeout bool            `json:"timeout,omitempty"`
	// TooLarge: the body exceeded the event's maxBodyBytes and was not read.
	TooLarge bool `json:"tooLarge,omitempty"`
}

// maxAnswerBytes bounds the JSON of an http answer: the base64 of a body at
// the cap plus room for the headers. Anything longer is refused unparsed.
var maxAnswerBytes = base64.StdEncoding.EncodedLen(transport.MaxResponseBytes) + 1<<20

// New returns an engine over the default operation table.
func New() *Engine { return &Engine{Table: ops.Default()} }

// Start runs operation name on client c (nil for client-less operations)
// until its first event, which it returns as JSON.
func (e *Engine) Start(c *ksef.Client, name string, input []byte) []byte {
	e.mu.Lock()
	if e.ops == nil {
		e.ops = map[uint64]*operation{}
	}
	e.next++
	op := &operation{id: e.next, events: make(chan event), answers: make(chan json.RawMessage)}
	e.ops[op.id] = op
	e.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	op.cancel = cancel
	ctx = transport.WithDoer(ctx, &doer{op: op, e: e})
	ctx = transport.WithClock(ctx, &clock{op: op, e: e})
	if hostFiles {
		ctx = hostfs.With(ctx, &files{op: op})
	}
	in := append([]byte(nil), input...) // the caller's buffer may be reused
	go func() {
		env := e.Table.Call(ctx, c, name, in)
		cancel()
		op.events <- event{Kind: "done", Op: op.id, Envelope: env}
	}()
	return e.wait(op)
}

// Resume delivers the host's answer to the event operation id is waiting
// on and runs it to its next event.
func (e *Engine) Resume(id uint64, answer []byte) []byte {
	e.mu.Lock()
	op := e.ops[id]
	if op == nil {
		e.mu.Unlock()
		return doneError(id, errs.New(errs.InvalidHandle, "no operation %d in flight (finished, canceled or never started)", id))
	}
	if op.state == running {
		e.mu.Unlock()
		return doneError(id, errs.New(errs.InvalidHandle, "operation %d is not waiting for an answer (resumed twice?)", id))
	}
	op.state = running
	e.mu.Unlock()
	// The operation may have stopped waiting for this answer: its own
	// per-attempt deadline can pass while the host is still fetching. It
	// then moves on (retries, fails, finishes) and is blocked handing out
	// its next event, not reading answers. Take that event instead of
	// blocking forever; the late answer belongs to a request nobody wants.
	select {
	case op.answers <- append(json.RawMessage(nil), answer...):
		return e.wait(op)
	case ev := <-op.events:
		return e.deliver(op, ev)
	}
}

// Cancel unwinds operation id and returns its final event (a "canceled"
// error, or its result if it had just finished). If another thread is
// driving the operation at that moment, Cancel only requests cancellation
// and returns {"kind":"canceling"}; the driving call then returns "done".
func (e *Engine) Cancel(id uint64) []byte {
	e.mu.Lock()
	op := e.ops[id]
	if op == nil {
		e.mu.Unlock()
		return doneError(id, errs.New(errs.InvalidHandle, "no operation %d in flight", id))
	}
	if op.state == running {
		// Another thread is driving the operation right now: request the
		// cancellation; that thread receives the final "done" event.
		e.mu.Unlock()
		op.cancel()
		b, _ := json.Marshal(event{Kind: "canceling", Op: id})
		return b
	}
	op.state = running
	e.mu.Unlock()
	op.cancel()
	for {
		ev := <-op.events
		if ev.Kind == "done" {
			e.finish(op)
			return marshal(ev)
		}
		// The operation is unwinding; anything it still asks for is refused
		// by its canceled context, so keep draining until it is done.
	}
}

// InFlight reports how many operations are started and not finished.
func (e *Engine) InFlight() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.ops)
}

func (e *Engine) wait(op *operation) []byte { return e.deliver(op, <-op.events) }

// deliver hands an event to the host. The engine, not the operation's
// goroutine, records what the operation now waits for, so the state always
// matches the last event the host saw.
func (e *Engine) deliver(op *operation, ev event) []byte {
	switch ev.Kind {
	case "done":
		e.finish(op)
	case "http":
		e.setState(op, waitingHTTP)
	case "sleep":
		e.setState(op, waitingSleep)
	case "file":
		e.setState(op, waitingFile)
	}
	return marshal(ev)
}

func (e *Engine) finish(op *operation) {
	e.mu.Lock()
	delete(e.ops, op.id)
	e.mu.Unlock()
}

func (e *Engine) setState(op *operation, s state) {
	e.mu.Lock()
	op.state = s
	e.mu.Unlock()
}

func marshal(ev event) []byte {
	b, err := json.Marshal(ev)
	if err != nil {
		return doneError(ev.Op, errs.Wrap(errs.Internal, err, "encoding event"))
	}
	return b
}

func doneError(id uint64, err error) []byte {
	b, _ := json.Marshal(event{Kind: "done", Op: id, Envelope: ops.ErrorEnvelope(err)})
	return b
}

// doer turns each request into an http event and waits for the answer.
type doer struct {
	op *operation
	e  *Engine
}

// Serial tells workflows that could send in parallel (online sends, part
// uploads) that this driver carries one request at a time: an operation's
// events reach the host one by one.
func (d *doer) Serial() bool { return true }

func (d *doer) Do(ctx context.Context, r *transport.Request) (*transport.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.BodyFunc != nil || r.StreamResponse {
		return nil, errs.New(errs.Transport, "%s: streamed bodies do not cross the step/resume boundary yet; use the blocking call (ksef_call) with file paths", r.Route)
	}
	h := make(map[string]string, len(r.Header))
	for k, v := range r.Header {
		h[k] = strings.Join(v, ", ")
	}
	const limit = transport.MaxResponseBytes
	req := &httpRequest{Method: r.Method, URL: r.URL, Headers: h, TimeoutMs: r.Timeout.Milliseconds(), MaxBodyBytes: limit}
	if len(r.Body) > 0 {
		req.Body = base64.StdEncoding.EncodeToString(r.Body)
	}
	d.op.events <- event{Kind: "http", Op: d.op.id, HTTP: req}
	var raw json.RawMessage
	select {
	case raw = <-d.op.answers:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if len(raw) > maxAnswerBytes {
		return nil, transport.TooLarge(r.Route, limit, 0)
	}
	var a HTTPAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "host answer to an http event")
	}
	if a.TooLarge {
		return nil, transport.TooLarge(r.Route, limit, a.Status)
	}
	if a.Error != "" {
		if a.Timeout {
			return nil, errs.New(errs.Timeout, "%s: host reported a timeout: %s", r.Route, a.Error)
		}
		return nil, errs.New(errs.Transport, "%s: host reported: %s", r.Route, a.Error)
	}
	if a.Status < 100 || a.Status > 999 {
		return nil, errs.New(errs.InputInvalid, "host answer to an http event has no valid status (%d)", a.Status)
	}
	hdr, err := parseHeaders(a.Headers)
	if err != nil {
		return nil, err
	}
	if base64.StdEncoding.DecodedLen(len(a.Body)) > limit+2 { // +2: padding
		return nil, transport.TooLarge(r.Route, limit, a.Status)
	}
	body, err := base64.StdEncoding.DecodeString(a.Body)
	if err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "host answer body is not base64")
	}
	if len(body) > limit {
		return nil, transport.TooLarge(r.Route, limit, a.Status)
	}
	return &transport.Response{Status: a.Status, Header: hdr, Body: body}, nil
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

// clock tells real time and turns waits into sleep events.
type clock struct {
	op *operation
	e  *Engine
}

func (c *clock) Now() time.Time { return time.Now() }

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ms := d.Milliseconds()
	if ms <= 0 {
		return nil
	}
	c.op.events <- event{Kind: "sleep", Op: c.op.id, Ms: &ms}
	select {
	case <-c.op.answers:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ParkInterval makes transport.Await poll instead of blocking.
func (c *clock) ParkInterval() time.Duration {
	if c.e.ParkInterval > 0 {
		return c.e.ParkInterval
	}
	return DefaultParkInterval
}
