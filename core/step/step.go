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
// The complete protocol — every event, every answer, the bytes that travel
// beside them, streams, progress and the rules a host must keep — is
// docs/step.md. In short:
//
// Options (StartWith; ksef_start_with in C and wasm, a JSON object):
//
//	{"streams":true}   the host answers streamed bodies and file streams (below)
//	{"progress":true}  the host wants progress reports
//	{"native":true}    libksef.so only: the library performs HTTP, waits and
//	                   reads files itself; the only events are progress and done
//
// Without options (Start, ksef_start) the protocol is the one of the first
// version: http events with whole bodies, sleep, file (wasm), done.
//
// Events (JSON; every event has "op"; any may carry "progress" with the
// latest report, and "dataLen" when bytes travel beside it — fetch them
// with EventData / ksef_event_data before the next resume):
//
//	{"kind":"http","op":7,"req":3,"http":{"method":"POST","url":"…","headers":{…},"body":"<base64>","timeoutMs":60000,"maxBodyBytes":67108864}}
//	    with streams: "bodyLength":N instead of "body" (the host pulls the body),
//	    "streamResponse":true (the host keeps the response body for read events)
//	{"kind":"body","op":7,"req":3,"offset":0,"dataLen":1048576,"eof":false}          + bytes
//	{"kind":"read","op":7,"stream":3,"offset":0,"max":1048576}
//	{"kind":"open","op":7,"stream":4,"path":"/invoices/FV-1.xml"}     (wasm)
//	{"kind":"create","op":7,"stream":5,"path":"/out/export.zip"}      (wasm)
//	{"kind":"write","op":7,"stream":5,"offset":0,"dataLen":65536}    + bytes (wasm)
//	{"kind":"list","op":7,"path":"/invoices"}                         (wasm)
//	{"kind":"spool","op":7,"stream":6}                                (wasm: a scratch file, written, read at any offset)
//	{"kind":"mkdir","op":7,"path":"/out/inbox"}                       (wasm)
//	{"kind":"rename","op":7,"path":"/s/state.json.tmp-1a","to":"/s/state.json"} (wasm)
//	{"kind":"remove","op":7,"path":"/out/export.zip"}                 (wasm)
//	{"kind":"close","op":7,"stream":4}
//	{"kind":"progress","op":7,"progress":{"stage":"upload","done":1,"total":3,"bytes":…,"bytesTotal":…}}
//	{"kind":"sleep","op":7,"ms":250}
//	{"kind":"file","op":7,"path":"/home/me/.config/ksefkit/config.toml"}   (wasm, see files.go)
//	{"kind":"done","op":7,"envelope":{"ok":true,"result":{…}}}
//
// Answers (ResumeData / ksef_resume_data when bytes travel beside them):
//
//	http, body: {"status":200,"headers":{…},"body":"<base64>"}   (no "body" for streamResponse)
//	            {"pull":true,"offset":K}   the next chunk of the request body; K = bytes the host has so far
//	            {"error":"fetch failed: ECONNREFUSED","timeout":false}
//	            {"error":"answer exceeds 67108864 bytes","tooLarge":true,"status":200}
//	read:       {"offset":K,"eof":false} + 1…max bytes, or {"offset":K,"eof":true} + 0…max bytes, or {"error":…,"timeout":…}
//	open:       {"size":N} or {"error":"…","notFound":true}
//	create:     {} or {"error":"…"}
//	write:      {"offset":K} where K = bytes written so far, or {"error":"…"}
//	list:       {"names":["a.xml","b.xml"]} or {"error":"…","notFound":true}
//	spool, mkdir, rename, remove: {} or {"error":"…"}
//	close:      {} or {"error":"…"} (a write stream that could not be flushed)
//	progress, sleep: {}
//	file:       {"data":"<base64>"} or {"error":"ENOENT: no such file","notFound":true}
//
// Offsets make a lost or repeated chunk impossible to miss: the core states
// the offset of every chunk it hands out or asks for, the host states the
// offset it has reached, and the core fails the exchange (telling the host
// to drop it with a close event) when the two disagree.
//
// timeoutMs and maxBodyBytes are the core's policy for this attempt; the
// host enforces both while it works, not after: it stops waiting at
// timeoutMs — over the whole exchange, a streamed body included (answering
// "timeout":true to whatever event of the exchange it holds) — and counts
// a held body as it reads it, aborting the request as soon as it exceeds
// maxBodyBytes (a Content-Length over it fails before reading) and
// answering "tooLarge":true instead of the body — so neither the host nor
// the core ever holds or base64-encodes more than the cap. The core checks
// the cap again on what it is given. A streamed response has no cap: the
// core bounds what it reads.
//
// One operation has one event outstanding at a time, but several of its
// goroutines may need the host at once (parallel readers of a batch's
// documents): their needs queue and reach the host one by one, and each
// answer goes to the goroutine that asked. A host must therefore be ready
// for any event while it is in the middle of an exchange — the file reads
// that make the next chunk of an upload come between the pulls.
package step

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/core/transport"
)

// DefaultParkInterval is the sleep an operation asks for while it waits on
// another operation (e.g. a token refresh in flight).
const DefaultParkInterval = 20 * time.Millisecond

// DefaultProgressInterval is the least time between two progress reports
// the host sees (the last one before done always comes, on done).
const DefaultProgressInterval = 100 * time.Millisecond

// MaxChunk bounds the bytes beside one event or answer: a body chunk, a
// read, a write. Every event states its own bound (dataLen, max).
const MaxChunk = 1 << 20

// Options say what the host of an operation can do (StartWith).
type Options struct {
	// Streams: the host pulls streamed request bodies, keeps streamed
	// response bodies for read events and (wasm) streams files.
	Streams bool `json:"streams,omitempty"`
	// Progress: the host wants progress reports.
	Progress bool `json:"progress,omitempty"`
	// Native: the core performs HTTP, waits and reads files itself (the
	// client's own driver, libksef.so only); the host sees only progress
	// and done — progress for callers of the blocking call.
	Native bool `json:"native,omitempty"`
}

// ParseOptions reads the JSON options of StartWith; empty means none.
// Unknown fields are an error, so a host cannot believe it asked for
// something the core does not know.
func ParseOptions(b []byte) (Options, error) {
	var o Options
	if len(bytes.TrimSpace(b)) == 0 {
		return o, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&o); err != nil {
		return o, errs.Invalid("options", "the step options are not {\"streams\",\"progress\",\"native\"}: %v", err)
	}
	if o.Native && runtime.GOOS == "wasip1" {
		return o, errs.Invalid("options.native", "the wasm module has no HTTP driver of its own: native step operations need libksef.so")
	}
	return o, nil
}

// Runner runs an operation by name and returns its envelope: the
// operation table (ops.Default()), or a test's own.
type Runner interface {
	Call(ctx context.Context, c *ksef.Client, name string, input []byte) []byte
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, c *ksef.Client, name string, input []byte) []byte

// Call calls f.
func (f RunnerFunc) Call(ctx context.Context, c *ksef.Client, name string, input []byte) []byte {
	return f(ctx, c, name, input)
}

// Engine holds the operations in flight. Safe for concurrent use.
type Engine struct {
	Table            Runner
	ParkInterval     time.Duration
	ProgressInterval time.Duration

	mu   sync.Mutex
	next uint64
	ops  map[uint64]*operation
}

type state int

const (
	running state = iota // a thread is running it to its next event
	waiting              // its last event is with the host
)

type operation struct {
	id     uint64
	ctx    context.Context // ends when the operation is canceled or done
	cancel context.CancelFunc
	opts   Options
	calls  chan *call
	prog   *reporter // nil: nobody watches
	ids    atomic.Uint64

	// held is a done event waiting behind the progress reports of stages
	// that ended unseen; only the thread driving the operation touches it.
	held *call

	// Guarded by Engine.mu.
	state   state
	pending *call  // the event the host holds
	data    []byte // the bytes beside it
}

// call is one need of one goroutine: the event and the bytes beside it,
// and where the answer goes.
type call struct {
	ev    event
	data  []byte
	reply chan reply // buffered: handing over an answer never blocks
}

type reply struct {
	answer json.RawMessage
	data   []byte
}

type event struct {
	Kind     string          `json:"kind"`
	Op       uint64          `json:"op"`
	Req      uint64          `json:"req,omitempty"`
	Stream   uint64          `json:"stream,omitempty"`
	HTTP     *httpRequest    `json:"http,omitempty"`
	Ms       *int64          `json:"ms,omitempty"`
	Path     string          `json:"path,omitempty"`
	To       string          `json:"to,omitempty"`
	Offset   *int64          `json:"offset,omitempty"`
	Max      int             `json:"max,omitempty"`
	DataLen  int             `json:"dataLen,omitempty"`
	EOF      bool            `json:"eof,omitempty"`
	Progress *progress.Event `json:"progress,omitempty"`
	Envelope json.RawMessage `json:"envelope,omitempty"`
}

func offset(n int64) *int64 { return &n }

// newID names an exchange or a file stream of the operation.
func (op *operation) newID() uint64 { return op.ids.Add(1) }

// ask hands ev (and the bytes beside it) to the host and waits for the
// answer, or until ctx ends.
func (op *operation) ask(ctx context.Context, ev event, data []byte) (reply, error) {
	ev.Op = op.id
	ev.DataLen = len(data)
	c := &call{ev: ev, data: data, reply: make(chan reply, 1)}
	select {
	case op.calls <- c:
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
	select {
	case r := <-c.reply:
		return r, nil
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
}

// tell is ask for events whose answer carries nothing the core needs
// (close of an abandoned stream): it uses the operation's own context, as
// the caller's may be the one that ended.
func (op *operation) tell(ev event) reply {
	r, _ := op.ask(op.ctx, ev, nil)
	return r
}

// New returns an engine over the default operation table.
func New() *Engine { return &Engine{Table: ops.Default()} }

// Start runs operation name on client c (nil for client-less operations)
// until its first event, which it returns as JSON. It speaks the first
// version of the protocol (no options).
func (e *Engine) Start(c *ksef.Client, name string, input []byte) []byte {
	return e.StartWith(c, name, input, Options{})
}

// StartWith is Start for a host that can do what opts say.
func (e *Engine) StartWith(c *ksef.Client, name string, input []byte, opts Options) []byte {
	e.mu.Lock()
	if e.ops == nil {
		e.ops = map[uint64]*operation{}
	}
	e.next++
	op := &operation{id: e.next, opts: opts, calls: make(chan *call)}
	e.ops[op.id] = op
	e.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	op.ctx, op.cancel = ctx, cancel
	if !opts.Native {
		ctx = transport.WithDoer(ctx, &doer{op: op})
		ctx = transport.WithClock(ctx, &clock{op: op, e: e})
		if hostFiles {
			ctx = hostfs.With(ctx, &files{op: op})
			if opts.Streams {
				ctx = hostfs.WithStreamer(ctx, &streamer{op: op})
			}
		}
	}
	if opts.Progress {
		interval := e.ProgressInterval
		if interval <= 0 {
			interval = DefaultProgressInterval
		}
		op.prog = &reporter{interval: interval, ready: make(chan struct{}, 1)}
		ctx = progress.With(ctx, op.prog.report)
	}
	in := append([]byte(nil), input...) // the caller's buffer may be reused
	go func() {
		env := e.Table.Call(ctx, c, name, in)
		cancel()
		op.calls <- &call{ev: event{Kind: "done", Op: op.id, Envelope: env}}
	}()
	return e.advance(op)
}

// Resume delivers the host's answer to the event operation id is waiting
// on and runs it to its next event.
func (e *Engine) Resume(id uint64, answer []byte) []byte { return e.ResumeData(id, answer, nil) }

// ResumeData is Resume with bytes beside the answer (a read's chunk). The
// engine keeps data: the caller must not reuse it.
func (e *Engine) ResumeData(id uint64, answer, data []byte) []byte {
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
	c := op.pending
	op.state, op.pending, op.data = running, nil, nil
	e.mu.Unlock()
	// The asker may have stopped waiting (its own deadline passed while the
	// host worked); the buffered reply is then dropped with the call, and
	// the operation's next event is what the host gets.
	c.reply <- reply{answer: bytes.Clone(answer), data: data}
	return e.advance(op)
}

// EventData returns the bytes beside the last event of operation id (nil
// when it has none). They are valid until the next Resume or Cancel.
func (e *Engine) EventData(id uint64) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	op := e.ops[id]
	if op == nil {
		return nil, errs.New(errs.InvalidHandle, "no operation %d in flight", id)
	}
	if op.state != waiting {
		return nil, errs.New(errs.InvalidHandle, "operation %d holds no event (it is running)", id)
	}
	return op.data, nil
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
	op.state, op.pending, op.data = running, nil, nil
	e.mu.Unlock()
	op.cancel()
	if c := op.held; c != nil { // it had finished; its last reports go unseen
		op.held = nil
		e.finish(op)
		return marshal(c.ev)
	}
	for {
		c := <-op.calls
		if c.ev.Kind == "done" {
			e.finish(op)
			return marshal(c.ev)
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

// advance waits for the operation's next event: a need of one of its
// goroutines or, when the host watches progress and nothing else comes, a
// progress event of its own once the interval has passed.
func (e *Engine) advance(op *operation) []byte {
	if c := op.held; c != nil {
		op.held = nil
		return e.deliver(op, c)
	}
	if op.prog == nil {
		return e.deliver(op, <-op.calls)
	}
	var timer *time.Timer
	var due <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case c := <-op.calls:
			return e.deliver(op, c)
		case <-op.prog.ready:
		case <-due:
			due = nil
		}
		select {
		case c := <-op.calls: // an event at hand takes the report along
			return e.deliver(op, c)
		default:
		}
		p, wait := op.prog.take(false)
		if p != nil {
			return e.deliver(op, &call{ev: event{Kind: "progress", Op: op.id, Progress: p}, reply: make(chan reply, 1)})
		}
		if wait > 0 && due == nil {
			timer = time.NewTimer(wait)
			due = timer.C
		}
	}
}

// deliver hands an event to the host. The engine, not the operation's
// goroutine, records what the operation now waits for, so the state always
// matches the last event the host saw.
func (e *Engine) deliver(op *operation, c *call) []byte {
	if op.prog != nil && c.ev.Kind == "done" {
		if p := op.prog.ended(); p != nil {
			// The last report of every stage is shown: those still unseen
			// come first, each as a progress event, and done after them.
			op.held = c
			c = &call{ev: event{Kind: "progress", Op: op.id, Progress: p}, reply: make(chan reply, 1)}
		}
	}
	if op.prog != nil && c.ev.Progress == nil {
		c.ev.Progress, _ = op.prog.take(c.ev.Kind == "done")
	}
	if c.ev.Kind == "done" {
		e.finish(op)
		return marshal(c.ev)
	}
	e.mu.Lock()
	op.state, op.pending, op.data = waiting, c, c.data
	e.mu.Unlock()
	return marshal(c.ev)
}

func (e *Engine) finish(op *operation) {
	e.mu.Lock()
	delete(e.ops, op.id)
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

// reporter keeps the latest progress report of an operation until the host
// sees it, and the last report of each stage that ended before the host saw
// it (a bar must not stop at "part 1 of 7" because the upload was quick).
// Workflows never wait for it: report only stores and signals.
type reporter struct {
	interval time.Duration
	ready    chan struct{} // a fresh report (capacity 1)

	mu     sync.Mutex
	stages []progress.Event // last reports of ended stages, unseen, oldest first
	latest progress.Event
	any    bool // a report was made
	fresh  bool // … that the host has not seen
	shown  time.Time
}

// maxStages bounds the unseen reports of ended stages (the oldest go).
const maxStages = 16

func (r *reporter) report(ev progress.Event) {
	r.mu.Lock()
	if r.fresh && r.latest.Stage != ev.Stage {
		if len(r.stages) == maxStages {
			r.stages = slices.Delete(r.stages, 0, 1)
		}
		r.stages = append(r.stages, r.latest)
	}
	r.latest, r.any, r.fresh = ev, true, true
	r.mu.Unlock()
	select {
	case r.ready <- struct{}{}:
	default:
	}
}

// take returns the latest report the host has not seen, if the interval
// since the last one has passed, else how long until it has. With final
// (the done event) it returns the latest report even if the host has seen
// it: done always states where the operation ended.
func (r *reporter) take(final bool) (*progress.Event, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.popStage(); p != nil {
		return p, 0
	}
	if final && r.any {
		r.fresh = false
		ev := r.latest
		return &ev, 0
	}
	if !r.fresh {
		return nil, 0
	}
	now := time.Now()
	if wait := r.interval - now.Sub(r.shown); wait > 0 {
		return nil, wait
	}
	r.fresh, r.shown = false, now
	ev := r.latest
	return &ev, 0
}

// ended returns the oldest unseen report of an ended stage, if any.
func (r *reporter) ended() *progress.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.popStage()
}

func (r *reporter) popStage() *progress.Event {
	if len(r.stages) == 0 {
		return nil
	}
	ev := r.stages[0]
	r.stages = slices.Delete(r.stages, 0, 1)
	r.shown = time.Now()
	return &ev
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
	_, err := c.op.ask(ctx, event{Kind: "sleep", Ms: &ms}, nil)
	return err
}

// ParkInterval makes transport.Await poll instead of blocking.
func (c *clock) ParkInterval() time.Duration {
	if c.e.ParkInterval > 0 {
		return c.e.ParkInterval
	}
	return DefaultParkInterval
}

// b64 is the encoding of held bodies and whole files in JSON.
var b64 = base64.StdEncoding
