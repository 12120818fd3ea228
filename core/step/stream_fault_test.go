package step_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/core/step"
	"github.com/ksefkit/ksefkit/core/step/steptest"
	"github.com/ksefkit/ksefkit/core/transport"
)

// manual drives an operation event by event, the way a hostile or broken
// host would.
type manual struct {
	t  *testing.T
	e  *step.Engine
	ev steptest.Event
}

func start(t *testing.T, e *step.Engine, opts step.Options) *manual {
	t.Helper()
	m := &manual{t: t, e: e}
	m.set(e.StartWith(nil, "job", nil, opts))
	return m
}

func (m *manual) set(b []byte) {
	m.t.Helper()
	ev, err := steptest.Parse(b)
	if err != nil {
		m.t.Fatal(err)
	}
	m.ev = ev
}

func (m *manual) answer(a string, data []byte) {
	m.t.Helper()
	m.set(m.e.ResumeData(m.ev.Op, []byte(a), data))
}

func (m *manual) want(kind string) {
	m.t.Helper()
	if m.ev.Kind != kind {
		m.t.Fatalf("event %+v, want %q", m.ev, kind)
	}
}

// finish answers whatever comes with {} until done (closes of what the
// core abandoned) and returns the failure's code and message.
func (m *manual) finish() (string, string) {
	m.t.Helper()
	for i := 0; m.ev.Kind != "done"; i++ {
		if m.ev.Kind != "close" || i > 10 {
			m.t.Fatalf("after a bad answer the core asked for %+v, want only closes", m.ev)
		}
		m.answer(`{}`, nil)
	}
	return failure(m.t, m.ev)
}

func once(url string, body []byte) step.Runner {
	return job(upload(url, body, false))
}

// TestLostOrRepeatedChunk: a host whose offsets disagree with the core's —
// a pull that repeats or skips a chunk, a read or a write answered for
// another offset — fails the exchange with input.invalid, and is told to
// drop it with a close event.
func TestLostOrRepeatedChunk(t *testing.T) {
	body := pattern(3 * step.MaxChunk)
	srv, calls, _ := store(t, 0)
	for _, pull := range []string{`{"pull":true,"offset":0}`, `{"pull":true,"offset":2097152}`, `{"pull":true}`} {
		e := &step.Engine{Table: once(srv.URL, body)}
		m := start(t, e, streams)
		m.want("http")
		m.answer(`{"pull":true,"offset":0}`, nil)
		m.want("body")
		if m.ev.DataLen != step.MaxChunk || *m.ev.Offset != 0 {
			t.Fatalf("first chunk %+v", m.ev)
		}
		m.answer(pull, nil)
		if code, msg := m.finish(); code != "input.invalid" || !strings.Contains(msg, "lost or repeated") {
			t.Fatalf("pull %s: %s %s", pull, code, msg)
		}
	}
	if calls.Load() != 0 {
		t.Fatal("the manual host sent nothing, yet the store was called")
	}

	dl := serve(t, pattern(3*step.MaxChunk))
	for _, tc := range []struct {
		answer string
		data   []byte
		want   string
	}{
		{`{"offset":7,"eof":false}`, []byte("abc"), "lost or repeated"},
		{`{"eof":false}`, []byte("abc"), "lost or repeated"},
		{`{"offset":0,"eof":false}`, nil, "no bytes and no eof"},
		{`{"offset":0}`, make([]byte, step.MaxChunk+1), "at most 1048576 bytes"},
	} {
		e := &step.Engine{Table: job(download(dl.URL, 0))}
		m := start(t, e, streams)
		m.want("http")
		if !m.ev.HTTP.StreamResponse {
			t.Fatalf("no streamResponse: %+v", m.ev.HTTP)
		}
		m.answer(`{"status":200,"headers":{}}`, nil)
		m.want("read")
		if m.ev.Max != step.MaxChunk || *m.ev.Offset != 0 {
			t.Fatalf("read %+v", m.ev)
		}
		m.answer(tc.answer, tc.data)
		if code, msg := m.finish(); code != "input.invalid" || !strings.Contains(msg, tc.want) {
			t.Fatalf("read answered %s: %s %s", tc.answer, code, msg)
		}
	}

	defer func(v bool) { *step.HostFiles = v }(*step.HostFiles)
	*step.HostFiles = true
	e := &step.Engine{Table: job(func(ctx context.Context) (string, error) {
		w, err := hostfs.Create(ctx, "/out/x.bin")
		if err != nil {
			return "", err
		}
		if _, err := w.Write(pattern(step.MaxChunk + 1)); err != nil {
			w.Close()
			return "", err
		}
		return "", w.Close()
	})}
	m := start(t, e, streams)
	m.want("create")
	m.answer(`{}`, nil)
	m.want("write")
	if m.ev.DataLen != step.MaxChunk || !bytes.Equal(e.EventDataOf(t, m.ev.Op), pattern(step.MaxChunk)) {
		t.Fatalf("write %+v", m.ev)
	}
	m.answer(`{"offset":1}`, nil)
	if code, msg := m.finish(); code != "input.invalid" || !strings.Contains(msg, "lost or repeated") {
		t.Fatalf("write: %s %s", code, msg)
	}
}

// garbler passes a reference host's answers on, but replaces the n-th
// with a bad one.
type garbler struct {
	steptest.Engine
	n, i   int
	answer string
	data   []byte
}

func (g *garbler) Resume(op uint64, answer, data []byte) []byte {
	g.i++
	if g.i == g.n {
		answer, data = []byte(g.answer), g.data
	}
	return g.Engine.Resume(op, answer, data)
}

// TestGarbageAnswersAreTypedErrors: whatever event of a streamed
// operation gets a garbled answer — not JSON, the wrong shape, bytes where
// none belong, a failure — the operation ends with a typed error (never
// internal, never a hang), and the engine holds nothing afterwards.
func TestGarbageAnswersAreTypedErrors(t *testing.T) {
	defer func(v bool) { *step.HostFiles = v }(*step.HostFiles)
	*step.HostFiles = true
	dir := t.TempDir()
	up := pattern(2*step.MaxChunk + 1)
	var files func(ctx context.Context) (string, error)
	srv, _, _ := store(t, 0)
	dl := serve(t, pattern(step.MaxChunk+3))
	// Workflows name the file a host failed on as bad input (batch: "cannot
	// open the file: …"); the job does the same.
	run := func(ctx context.Context) (string, error) {
		s, err := files(ctx)
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = errs.Invalid("path", "%s", pe.Err)
		}
		return s, err
	}
	files = func(ctx context.Context) (string, error) {
		if _, err := upload(srv.URL, up, false)(ctx); err != nil {
			return "", err
		}
		if _, err := download(dl.URL, 0)(ctx); err != nil {
			return "", err
		}
		w, err := hostfs.Create(ctx, dir+"/out.bin")
		if err != nil {
			return "", err
		}
		w.Write(up)
		if err := w.Close(); err != nil {
			return "", err
		}
		if _, err := hostfs.List(ctx, dir); err != nil {
			return "", err
		}
		r, _, err := hostfs.Open(ctx, dir+"/out.bin")
		if err != nil {
			return "", err
		}
		defer r.Close()
		n, err := io.Copy(io.Discard, r)
		if err == nil && n != int64(len(up)) {
			return "", io.ErrUnexpectedEOF
		}
		return "ok", err
	}
	// How many answers a clean run takes.
	e := &step.Engine{Table: job(run)}
	noLeaks(t, e)
	g := &garbler{Engine: steptest.Engine{E: e}}
	if ev, err := (&steptest.Host{}).Run(g, e.StartWith(nil, "job", nil, streams)); err != nil || result(t, ev) != "ok" {
		t.Fatalf("clean run: %v %+v", err, ev)
	}
	total := g.i
	if total < 15 {
		t.Fatalf("a clean run took only %d answers", total)
	}
	bad := []struct {
		answer string
		data   []byte
	}{
		{`not json`, nil},
		{`[1,2]`, nil},
		{`{"offset":"x","status":"200"}`, nil},
		{`{}`, []byte{1, 2, 3}},
		{`{"error":"host broke","timeout":true}`, nil},
	}
	for n := 1; n <= total; n++ {
		for _, b := range bad {
			g := &garbler{Engine: steptest.Engine{E: e}, n: n, answer: b.answer, data: b.data}
			ev, err := (&steptest.Host{}).Run(g, e.StartWith(nil, "job", nil, streams))
			if err != nil {
				continue // the reference host noticed the garbage itself and canceled
			}
			if ev.Envelope.OK {
				// Some answers carry nothing the core reads (a sleep, the
				// close of a read stream): {} with bytes is then refused,
				// the rest may pass.
				continue
			}
			switch c := ev.Envelope.Error.Code; c {
			case "input.invalid", "transport", "timeout":
			default:
				t.Errorf("answer %d of %d replaced with %s: %s %s", n, total, b.answer, c, ev.Envelope.Error.Message)
			}
		}
	}
	if e.InFlight() != 0 {
		t.Fatalf("%d operations left in flight", e.InFlight())
	}
}

// TestCancelMidStream: canceling an operation in the middle of an upload
// or a download ends it with canceled at once, and nothing is left.
func TestCancelMidStream(t *testing.T) {
	srv, _, _ := store(t, 0)
	dl := serve(t, pattern(4*step.MaxChunk))
	for name, r := range map[string]step.Runner{"upload": once(srv.URL, pattern(4*step.MaxChunk)), "download": job(download(dl.URL, 0))} {
		e := &step.Engine{Table: r}
		noLeaks(t, e)
		m := start(t, e, streams)
		m.want("http")
		if name == "upload" {
			m.answer(`{"pull":true,"offset":0}`, nil)
			m.want("body")
		} else {
			m.answer(`{"status":200}`, nil)
			m.want("read")
			m.answer(`{"offset":0}`, []byte("some"))
			m.want("read")
		}
		ev, _ := steptest.Parse(e.Cancel(m.ev.Op))
		if c, _ := failure(t, ev); c != "canceled" {
			t.Fatalf("%s: canceled mid-stream: %s", name, c)
		}
		if e.InFlight() != 0 {
			t.Fatalf("%s: in flight after cancel", name)
		}
	}
}

// TestSilentHostMeetsTheDeadline: a host that sits on a read of a streamed
// response past the attempt's deadline does not stall the operation: its
// late answer is dropped, the body is closed, and the operation fails
// with timeout.
func TestSilentHostMeetsTheDeadline(t *testing.T) {
	dl := serve(t, pattern(2*step.MaxChunk))
	e := &step.Engine{Table: job(func(ctx context.Context) (string, error) {
		s := &transport.Sender{Policy: transport.RetryPolicy{AttemptTimeout: 100 * time.Millisecond, MaxAttempts: 1}}
		resp, err := s.Send(ctx, &transport.Request{Method: "GET", URL: dl.URL, Route: "GET /part", StreamResponse: true})
		if err != nil {
			return "", err
		}
		defer resp.Close()
		_, err = io.Copy(io.Discard, resp.Stream)
		return "", err
	})}
	noLeaks(t, e)
	m := start(t, e, streams)
	m.want("http")
	m.answer(`{"status":200}`, nil)
	m.want("read")
	time.Sleep(300 * time.Millisecond)
	began := time.Now()
	m.answer(`{"offset":0}`, []byte("late"))
	if code, msg := m.finish(); code != "timeout" || time.Since(began) > 2*time.Second {
		t.Fatalf("%s %s after %v", code, msg, time.Since(began))
	}
}

// TestProgress: reports reach the host at most every interval while the
// operation runs, and the last one always comes with done.
func TestProgress(t *testing.T) {
	e := &step.Engine{ProgressInterval: 20 * time.Millisecond, Table: job(func(ctx context.Context) (string, error) {
		for i := 1; i <= 50; i++ {
			progress.Report(ctx, progress.Event{Stage: "upload", Done: int64(i), Total: 50})
			time.Sleep(2 * time.Millisecond)
		}
		return "ok", nil
	})}
	noLeaks(t, e)
	var seen []progress.Event
	h := &steptest.Host{Progress: func(p progress.Event) { seen = append(seen, p) }}
	ev, err := h.Run(steptest.Engine{E: e}, e.StartWith(nil, "job", nil, step.Options{Progress: true}))
	if err != nil || result(t, ev) != "ok" {
		t.Fatal(err)
	}
	if len(seen) < 2 || len(seen) > 20 || seen[len(seen)-1].Done != 50 || ev.Progress == nil || ev.Progress.Done != 50 {
		t.Fatalf("%d reports, last %+v, on done %+v", len(seen), seen[len(seen)-1], ev.Progress)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Done < seen[i-1].Done {
			t.Fatalf("reports out of order: %+v", seen)
		}
	}
}

// TestEveryStageShown: the last report of a stage reaches the host even
// when the stage ended within one interval, before done.
func TestEveryStageShown(t *testing.T) {
	e := &step.Engine{ProgressInterval: time.Hour, Table: job(func(ctx context.Context) (string, error) {
		for _, stage := range []string{"pack", "upload", "close"} {
			for i := 1; i <= 5; i++ {
				progress.Report(ctx, progress.Event{Stage: stage, Done: int64(i), Total: 5})
			}
		}
		return "ok", nil
	})}
	noLeaks(t, e)
	var seen []string
	h := &steptest.Host{Progress: func(p progress.Event) { seen = append(seen, p.Stage+"="+strconv.FormatInt(p.Done, 10)) }}
	ev, err := h.Run(steptest.Engine{E: e}, e.StartWith(nil, "job", nil, step.Options{Progress: true}))
	if err != nil || result(t, ev) != "ok" {
		t.Fatal(err)
	}
	// The first report may come alone, before the others are made.
	if got := strings.Join(seen, " "); !strings.HasSuffix(got, "pack=5 upload=5 close=5") {
		t.Fatalf("reports %s", got)
	}
	// Canceling while done waits behind such reports ends it all the same.
	m := start(t, e, step.Options{Progress: true})
	for m.ev.Kind == "progress" && m.ev.Progress.Stage != "upload" {
		m.answer(`{}`, nil)
	}
	if m.ev.Kind == "progress" {
		last, _ := steptest.Parse(e.Cancel(m.ev.Op))
		if last.Kind != "done" || e.InFlight() != 0 {
			t.Fatalf("cancel behind a held done: %+v", last)
		}
	}
}

// TestNativeProgress: with {"native":true} the core does its HTTP itself
// (here a plain GET, so the driver's doer is not in the way) and the host
// sees only progress and done.
func TestNativeProgress(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	e := &step.Engine{ProgressInterval: time.Millisecond, Table: job(func(ctx context.Context) (string, error) {
		d := transport.DoerFrom(ctx, nil)
		if d != nil {
			return "", context.Canceled // the step doer must not be in the context
		}
		resp, err := http.Get(srv.URL)
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		progress.Report(ctx, progress.Event{Stage: "upload", Done: 1, Total: 1})
		time.Sleep(20 * time.Millisecond)
		return "ok", nil
	})}
	noLeaks(t, e)
	h := &steptest.Host{}
	ev, err := h.Run(steptest.Engine{E: e}, e.StartWith(nil, "job", nil, step.Options{Native: true, Progress: true}))
	if err != nil || result(t, ev) != "ok" || hits.Load() != 1 {
		t.Fatal(err, hits.Load())
	}
	for k := range h.Seen {
		if k != "progress" && k != "done" {
			t.Fatalf("native events %v", h.Seen)
		}
	}
	raw, _ := json.Marshal(ev.Progress)
	if ev.Progress == nil || ev.Progress.Done != 1 {
		t.Fatalf("done carries %s", raw)
	}
}

// TestHostSpool: a spool through the host is written in chunks, cut back
// (a part fetched again) by a write stating a lower offset, and read at
// any offset, byte for byte.
func TestHostSpool(t *testing.T) {
	defer func(v bool) { *step.HostFiles = v }(*step.HostFiles)
	*step.HostFiles = true
	first, second := pattern(2*step.MaxChunk+500), pattern(step.MaxChunk+3)
	keep := int64(step.MaxChunk + 7)
	want := append(append([]byte(nil), first[:keep]...), second...)
	e := &step.Engine{Table: job(func(ctx context.Context) (string, error) {
		s, err := hostfs.NewSpool(ctx, "")
		if err != nil {
			return "", err
		}
		defer s.Close()
		s.Write(first)
		if err := s.Truncate(keep); err != nil {
			return "", err
		}
		s.Write(second)
		got := make([]byte, len(want))
		if n, err := s.ReadAt(got, 0); n != len(want) || (err != nil && err != io.EOF) {
			return "", err
		}
		tail := make([]byte, 10)
		if _, err := s.ReadAt(tail, int64(len(want)-10)); err != nil && err != io.EOF {
			return "", err
		}
		return strconv.FormatBool(bytes.Equal(got, want) && bytes.Equal(tail, want[len(want)-10:])), nil
	})}
	noLeaks(t, e)
	h := &steptest.Host{}
	ev, err := h.Run(steptest.Engine{E: e}, e.StartWith(nil, "job", nil, streams))
	if err != nil || result(t, ev) != "true" || h.Seen["spool"] != 1 || h.MaxChunkSeen > step.MaxChunk {
		t.Fatalf("%v %+v, events %v", err, ev, h.Seen)
	}
}
