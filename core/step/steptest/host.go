// Package steptest is a host of the step/resume protocol written in Go
// (docs/step.md): it performs http events with net/http — streamed request
// bodies pulled chunk by chunk, streamed responses read on demand — answers
// sleeps, whole-file reads and file streams from the local filesystem, and
// hands progress reports to a callback. It drives anything that speaks the
// protocol: the engine itself, the bridge, ksef.wasm under wazero. Tests
// use it as the reference host the Node and Python hosts are held to; it
// holds at most one chunk of any body or file at a time.
package steptest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/ksefkit/ksefkit/core/progress"
)

// Core is what a host drives: resume with an answer (and bytes beside
// it), fetch the bytes beside the last event, cancel.
type Core interface {
	Resume(op uint64, answer, data []byte) []byte
	EventData(op uint64) []byte
	Cancel(op uint64) []byte
}

// Envelope is a done event's envelope.
type Envelope struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		HTTPStatus int    `json:"httpStatus"`
	} `json:"error"`
}

// HTTPRequest is an http event's request.
type HTTPRequest struct {
	Method         string            `json:"method"`
	URL            string            `json:"url"`
	Headers        map[string]string `json:"headers"`
	Body           string            `json:"body"`
	BodyLength     *int64            `json:"bodyLength"`
	StreamResponse bool              `json:"streamResponse"`
	TimeoutMs      int64             `json:"timeoutMs"`
	MaxBodyBytes   int64             `json:"maxBodyBytes"`
}

// Event is any event of the protocol.
type Event struct {
	Kind     string          `json:"kind"`
	Op       uint64          `json:"op"`
	Req      uint64          `json:"req"`
	Stream   uint64          `json:"stream"`
	HTTP     *HTTPRequest    `json:"http"`
	Ms       *int64          `json:"ms"`
	Path     string          `json:"path"`
	To       string          `json:"to"`
	Offset   *int64          `json:"offset"`
	Max      int             `json:"max"`
	DataLen  int             `json:"dataLen"`
	EOF      bool            `json:"eof"`
	Progress *progress.Event `json:"progress"`
	Envelope Envelope        `json:"envelope"`
}

// Parse decodes an event.
func Parse(b []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return ev, fmt.Errorf("event %.200s: %w", b, err)
	}
	return ev, nil
}

// Host answers events. The zero value performs HTTP with
// http.DefaultClient and ignores progress.
type Host struct {
	HTTP *http.Client
	// Progress receives every report (events' progress fields and progress
	// events), in order.
	Progress func(progress.Event)
	// Seen counts the events by kind.
	Seen map[string]int
	// MaxChunkSeen is the most bytes beside one event or answer.
	MaxChunkSeen int

	streams map[uint64]stream
}

type stream interface{ io.Closer }

// response is a response body kept for read events.
type response struct {
	body   io.ReadCloser
	cancel context.CancelFunc
	off    int64
}

func (r *response) Close() error { r.cancel(); return r.body.Close() }

// writer is a file created for write events; a spool (an unlinked
// temporary file) is one that may be cut back by a write at a lower
// offset and read at any offset.
type writer struct {
	f     *os.File
	n     int64
	spool bool
}

func (w *writer) Close() error { return w.f.Close() }

// Run drives the operation whose first event is first to its done event.
func (h *Host) Run(c Core, first []byte) (Event, error) {
	if h.Seen == nil {
		h.Seen = map[string]int{}
	}
	if h.streams == nil {
		h.streams = map[uint64]stream{}
	}
	defer h.release()
	ev, err := Parse(first)
	for err == nil && ev.Kind != "done" {
		var next []byte
		if next, err = h.handle(c, ev); err == nil {
			ev, err = Parse(next)
		}
	}
	if err != nil {
		if ev.Kind != "done" && ev.Op != 0 {
			c.Cancel(ev.Op)
		}
		return ev, err
	}
	h.seen(ev)
	return ev, nil
}

// release drops every stream the operation left open (done ends them all).
func (h *Host) release() {
	for id, s := range h.streams {
		s.Close()
		delete(h.streams, id)
	}
}

func (h *Host) seen(ev Event) {
	h.Seen[ev.Kind]++
	if ev.Progress != nil && h.Progress != nil {
		h.Progress(*ev.Progress)
	}
	h.MaxChunkSeen = max(h.MaxChunkSeen, ev.DataLen)
}

func answer(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func failed(err error) map[string]any {
	return map[string]any{"error": err.Error(), "notFound": errors.Is(err, fs.ErrNotExist)}
}

// handle answers one event and returns the next.
func (h *Host) handle(c Core, ev Event) ([]byte, error) {
	h.seen(ev)
	op := ev.Op
	switch ev.Kind {
	case "http":
		return h.http(c, ev)
	case "sleep":
		time.Sleep(time.Duration(*ev.Ms) * time.Millisecond)
		return c.Resume(op, []byte(`{}`), nil), nil
	case "progress":
		return c.Resume(op, []byte(`{}`), nil), nil
	case "file":
		b, err := os.ReadFile(ev.Path)
		if err != nil {
			return c.Resume(op, answer(failed(err)), nil), nil
		}
		return c.Resume(op, answer(map[string]string{"data": base64.StdEncoding.EncodeToString(b)}), nil), nil
	case "open":
		f, err := os.Open(ev.Path)
		var st os.FileInfo
		if err == nil {
			if st, err = f.Stat(); err == nil && !st.Mode().IsRegular() {
				err = fmt.Errorf("%s is not a regular file", ev.Path)
			}
			if err != nil {
				f.Close()
			}
		}
		if err != nil {
			return c.Resume(op, answer(failed(err)), nil), nil
		}
		h.streams[ev.Stream] = f
		return c.Resume(op, answer(map[string]int64{"size": st.Size()}), nil), nil
	case "create":
		f, err := os.OpenFile(ev.Path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return c.Resume(op, answer(failed(err)), nil), nil
		}
		h.streams[ev.Stream] = &writer{f: f}
		return c.Resume(op, []byte(`{}`), nil), nil
	case "read":
		return h.read(c, ev)
	case "write":
		w, ok := h.streams[ev.Stream].(*writer)
		if !ok {
			return c.Resume(op, answer(map[string]string{"error": "no such write stream"}), nil), nil
		}
		data := c.EventData(op)
		if w.spool && ev.Offset != nil && *ev.Offset < w.n {
			if err := w.f.Truncate(*ev.Offset); err != nil {
				return c.Resume(op, answer(failed(err)), nil), nil
			}
			w.n = *ev.Offset
			w.f.Seek(w.n, io.SeekStart)
		}
		if len(data) != ev.DataLen || ev.Offset == nil || *ev.Offset != w.n {
			return nil, fmt.Errorf("write event at %v with %d bytes (dataLen %d), the file has %d", ev.Offset, len(data), ev.DataLen, w.n)
		}
		if _, err := w.f.Write(data); err != nil {
			return c.Resume(op, answer(failed(err)), nil), nil
		}
		w.n += int64(len(data))
		return c.Resume(op, answer(map[string]int64{"offset": w.n}), nil), nil
	case "close":
		var err error
		if s, ok := h.streams[ev.Stream]; ok {
			delete(h.streams, ev.Stream)
			err = s.Close()
		}
		if err != nil {
			return c.Resume(op, answer(failed(err)), nil), nil
		}
		return c.Resume(op, []byte(`{}`), nil), nil
	case "spool":
		f, err := os.CreateTemp("", "steptest-spool-*")
		if err != nil {
			return c.Resume(op, answer(failed(err)), nil), nil
		}
		os.Remove(f.Name())
		h.streams[ev.Stream] = &writer{f: f, spool: true}
		return c.Resume(op, []byte(`{}`), nil), nil
	case "mkdir", "rename", "remove":
		var err error
		switch ev.Kind {
		case "mkdir":
			err = os.MkdirAll(ev.Path, 0o700)
		case "rename":
			err = os.Rename(ev.Path, ev.To)
		default:
			err = os.Remove(ev.Path)
		}
		if err != nil {
			return c.Resume(op, answer(failed(err)), nil), nil
		}
		return c.Resume(op, []byte(`{}`), nil), nil
	case "list":
		entries, err := os.ReadDir(ev.Path)
		if err != nil {
			return c.Resume(op, answer(failed(err)), nil), nil
		}
		names := []string{}
		for _, e := range entries {
			if e.Type().IsRegular() {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		return c.Resume(op, answer(map[string][]string{"names": names}), nil), nil
	}
	return nil, fmt.Errorf("unexpected event %q", ev.Kind)
}

// read answers a read event from a file (at the offset asked) or from a
// response body (which must be where the core says it is).
func (h *Host) read(c Core, ev Event) ([]byte, error) {
	op := ev.Op
	if ev.Max <= 0 || ev.Offset == nil {
		return nil, fmt.Errorf("read event without max or offset: %+v", ev)
	}
	buf := make([]byte, ev.Max)
	var n int
	var err error
	switch s := h.streams[ev.Stream].(type) {
	case *os.File:
		n, err = s.ReadAt(buf, *ev.Offset)
	case *writer:
		if !s.spool {
			return c.Resume(op, answer(map[string]string{"error": "a created file is not read"}), nil), nil
		}
		n, err = s.f.ReadAt(buf, *ev.Offset)
	case *response:
		if *ev.Offset != s.off {
			return nil, fmt.Errorf("read of a response at %d, the host is at %d", *ev.Offset, s.off)
		}
		n, err = io.ReadFull(s.body, buf)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		s.off += int64(n)
	default:
		return c.Resume(op, answer(map[string]string{"error": "no such read stream"}), nil), nil
	}
	eof := errors.Is(err, io.EOF)
	if err != nil && !eof {
		return c.Resume(op, answer(map[string]any{"error": err.Error(), "timeout": errors.Is(err, context.DeadlineExceeded)}), nil), nil
	}
	h.MaxChunkSeen = max(h.MaxChunkSeen, n)
	return c.Resume(op, answer(map[string]any{"offset": *ev.Offset, "eof": eof}), buf[:n]), nil
}

// http performs an http event; for a streamed body it pulls the chunks
// while the request is in flight, serving whatever else the operation asks
// for in between.
func (h *Host) http(c Core, ev Event) ([]byte, error) {
	r, op := ev.HTTP, ev.Op
	timeout := time.Duration(r.TimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	kept := false
	defer func() {
		if !kept {
			cancel()
		}
	}()
	var body io.Reader
	var pw *io.PipeWriter
	switch {
	case r.BodyLength != nil:
		var pr *io.PipeReader
		pr, pw = io.Pipe()
		body = pr
	case r.Body != "":
		b, err := base64.StdEncoding.DecodeString(r.Body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, err
	}
	if r.BodyLength != nil {
		req.ContentLength = *r.BodyLength
		if *r.BodyLength == 0 {
			req.Body = http.NoBody
		}
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	client := h.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	type result struct {
		res *http.Response
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := client.Do(req)
		done <- result{res, err}
	}()

	// The event to answer with the response: the http event, or the last
	// body event.
	pending := ev
	if pw != nil {
		var sent int64
		for sent < *r.BodyLength {
			next := c.Resume(op, answer(map[string]any{"pull": true, "offset": sent}), nil)
			var e Event
			for {
				if e, err = Parse(next); err != nil {
					pw.CloseWithError(err)
					<-done
					return nil, err
				}
				if e.Kind == "body" && e.Req == ev.Req {
					break
				}
				if e.Kind == "done" || (e.Kind == "close" && e.Stream == ev.Req) {
					// The core gave up on the exchange: abort it.
					cancel()
					pw.CloseWithError(errors.New("aborted by the core"))
					if res := <-done; res.err == nil {
						res.res.Body.Close()
					}
					if e.Kind == "done" {
						return next, nil
					}
					h.seen(e)
					return c.Resume(op, []byte(`{}`), nil), nil
				}
				if next, err = h.handle(c, e); err != nil {
					pw.CloseWithError(err)
					<-done
					return nil, err
				}
			}
			h.seen(e)
			data := c.EventData(op)
			if len(data) != e.DataLen || e.Offset == nil || *e.Offset != sent {
				pw.CloseWithError(errors.New("bad chunk"))
				<-done
				return nil, fmt.Errorf("body event at %v with %d bytes (dataLen %d), the host has %d", e.Offset, len(data), e.DataLen, sent)
			}
			pending = e
			if _, err := pw.Write(data); err != nil {
				break // the request ended before its body (answered early, or failed)
			}
			sent += int64(len(data))
			if e.EOF {
				break
			}
		}
		pw.Close()
	}
	res := <-done
	if res.err != nil {
		return c.Resume(pending.Op, answer(map[string]any{"error": res.err.Error(), "timeout": ctx.Err() != nil}), nil), nil
	}
	if r.StreamResponse {
		h.streams[ev.Req] = &response{body: res.res.Body, cancel: cancel}
		kept = true
		return c.Resume(pending.Op, answer(map[string]any{"status": res.res.StatusCode, "headers": res.res.Header}), nil), nil
	}
	defer res.res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.res.Body, r.MaxBodyBytes+1))
	switch {
	case err != nil:
		return c.Resume(pending.Op, answer(map[string]any{"error": err.Error(), "timeout": ctx.Err() != nil}), nil), nil
	case int64(len(b)) > r.MaxBodyBytes:
		return c.Resume(pending.Op, answer(map[string]any{"error": "answer exceeds the cap", "tooLarge": true, "status": res.res.StatusCode}), nil), nil
	}
	return c.Resume(pending.Op, answer(map[string]any{"status": res.res.StatusCode, "headers": res.res.Header, "body": base64.StdEncoding.EncodeToString(b)}), nil), nil
}
