package sim

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Hostile faults: the answers a broken or malicious server, a proxy, a
// captive portal or a flaky link give instead of KSeF's. A client must turn
// each into a typed error within its deadline and within its body cap; the
// hostile-server suites of every binding assert exactly that (time and peak
// memory). Kinds (syntax in faults.go):
//
//	invalid-json        200, Content-Type application/json, a body that is not JSON
//	wrong-content-type  the real answer, labelled text/plain
//	truncated           the real answer's headers with a Content-Length larger
//	                    than what follows: half the body, then the connection
//	                    is closed
//	huge                a 200 JSON answer of mb=N MiB (default 200), streamed
//	                    chunked and never buffered; declared=1 announces the
//	                    size in Content-Length instead
//	trickle             the real answer's headers at once, then its body one
//	                    piece at a time: bytes=B (default 1) every ms=M
//	                    (default 100) — slower than any deadline
//	reset               read the request, then reset the connection (RST)
//	html-200            200 with a captive portal's HTML page where JSON belongs
//
// The kinds that answer before the operation runs (invalid-json, huge,
// reset, html-200) never reach the handler; the others (wrong-content-type,
// truncated, trickle) let it run and spoil only the delivery of its answer.

// The hostile fault kinds.
const (
	FaultInvalidJSON      FaultKind = "invalid-json"
	FaultWrongContentType FaultKind = "wrong-content-type"
	FaultTruncated        FaultKind = "truncated"
	FaultHuge             FaultKind = "huge"
	FaultTrickle          FaultKind = "trickle"
	FaultReset            FaultKind = "reset"
	FaultHTML200          FaultKind = "html-200"
)

var hostileKinds = []FaultKind{
	FaultInvalidJSON, FaultWrongContentType, FaultTruncated, FaultHuge, FaultTrickle, FaultReset, FaultHTML200,
}

func init() { faultKinds = append(faultKinds, hostileKinds...) }

// HostileFaultKinds lists the hostile kinds, so that client suites can
// check they cover every one.
func HostileFaultKinds() []FaultKind { return slices.Clone(hostileKinds) }

// Defaults of the hostile kinds' parameters.
const (
	defaultHugeMB          = 200
	defaultTrickleBytes    = 1
	defaultTrickleInterval = 100 * time.Millisecond
)

// hostileParams are the parameters of the hostile kinds, embedded in Fault.
type hostileParams struct {
	HugeMB          int           // huge: mb=N, size of the body in MiB (default 200)
	HugeDeclared    bool          // huge: declared=1 sends Content-Length instead of chunks
	TrickleBytes    int           // trickle: bytes=B sent per step (default 1)
	TrickleInterval time.Duration // trickle: ms=M between steps (default 100 ms)
}

// setHostileParam takes a parameter of a hostile kind; false means it does
// not apply to f's kind.
func (f *Fault) setHostileParam(key string, n int) bool {
	switch {
	case f.Kind == FaultHuge && key == "mb":
		f.HugeMB = n
	case f.Kind == FaultHuge && key == "declared" && n == 1:
		f.HugeDeclared = true
	case f.Kind == FaultTrickle && key == "bytes":
		f.TrickleBytes = n
	case f.Kind == FaultTrickle && key == "ms":
		f.TrickleInterval = time.Duration(n) * time.Millisecond
	default:
		return false
	}
	return true
}

// hostileParamStrings renders the parameters set, in ParseFault's syntax.
func (f Fault) hostileParamStrings() []string {
	var p []string
	if f.HugeMB > 0 {
		p = append(p, "mb="+strconv.Itoa(f.HugeMB))
	}
	if f.HugeDeclared {
		p = append(p, "declared=1")
	}
	if f.TrickleBytes > 0 {
		p = append(p, "bytes="+strconv.Itoa(f.TrickleBytes))
	}
	if f.TrickleInterval > 0 {
		p = append(p, "ms="+strconv.FormatInt(f.TrickleInterval.Milliseconds(), 10))
	}
	return p
}

// answersHostile reports whether a hostile kind answers before the handler runs.
func (k FaultKind) answersHostile() bool {
	switch k {
	case FaultInvalidJSON, FaultHuge, FaultReset, FaultHTML200:
		return true
	}
	return false
}

// noteHostileDelivery remembers a kind that spoils the delivery of the
// handler's answer (send applies it).
func noteHostileDelivery(r *http.Request, f Fault) {
	switch f.Kind {
	case FaultWrongContentType, FaultTruncated, FaultTrickle:
		info := reqInfoOf(r.Context())
		info.delivery = &f
		info.offSpec = true
	}
}

// answerHostile produces the answer of a kind that answers by itself: into
// w (the capture, small answers) or straight onto raw (the connection:
// huge bodies, resets), leaving w empty.
func (s *Server) answerHostile(w, raw http.ResponseWriter, r *http.Request, f Fault) {
	switch f.Kind {
	case FaultInvalidJSON:
		reqInfoOf(r.Context()).offSpec = true
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"referenceNumber": "20250101-AU-`)) // cut off mid-string
	case FaultHTML200:
		reqInfoOf(r.Context()).offSpec = true
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("<!DOCTYPE html>\n<html><head><title>Sign in to the network</title></head>" +
			"<body><h1>Welcome</h1><p>Please accept the terms of use to continue.</p>" +
			"<form method=\"post\"><button>Accept</button></form></body></html>\n"))
	case FaultHuge:
		s.streamHuge(raw, r, f)
	case FaultReset:
		reset(raw)
	}
}

// streamHuge writes a JSON answer of f.HugeMB MiB from one reused chunk, so
// the simulator's memory does not grow with it; it stops when the client
// goes away.
func (s *Server) streamHuge(w http.ResponseWriter, r *http.Request, f Fault) {
	mb := f.HugeMB
	if mb == 0 {
		mb = defaultHugeMB
	}
	size := int64(mb) << 20
	const head, tail = `{"challenge":"`, `"}`
	w.Header().Set("Content-Type", "application/json")
	if f.HugeDeclared {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	}
	w.WriteHeader(http.StatusOK)
	chunk := bytes.Repeat([]byte{'A'}, 64<<10)
	left := size - int64(len(head)+len(tail))
	if _, err := w.Write([]byte(head)); err != nil {
		return
	}
	for left > 0 {
		n := min(left, int64(len(chunk)))
		if _, err := w.Write(chunk[:n]); err != nil {
			return // the client gave up, as it should
		}
		left -= n
	}
	w.Write([]byte(tail))
}

// deliverHostile writes the handler's answer the way f spoils it.
func (s *Server) deliverHostile(w http.ResponseWriter, r *http.Request, status int, header http.Header, body []byte, f Fault) {
	h := w.Header()
	for k, v := range header {
		h[k] = v
	}
	switch f.Kind {
	case FaultWrongContentType:
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		w.Write(body)
	case FaultTruncated:
		truncate(w, status, h, body)
	case FaultTrickle:
		step, every := f.TrickleBytes, f.TrickleInterval
		if step == 0 {
			step = defaultTrickleBytes
		}
		if every == 0 {
			every = defaultTrickleInterval
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		flush(w)
		t := time.NewTicker(every)
		defer t.Stop()
		for len(body) > 0 {
			select {
			case <-t.C:
			case <-r.Context().Done():
				return // the client gave up, as it should
			}
			n := min(step, len(body))
			if _, err := w.Write(body[:n]); err != nil {
				return
			}
			flush(w)
			body = body[n:]
		}
	}
}

func flush(w http.ResponseWriter) {
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
}

// truncate announces twice the body's length, sends half of it and closes
// the connection.
func truncate(w http.ResponseWriter, status int, h http.Header, body []byte) {
	h.Set("Content-Length", strconv.Itoa(2*len(body)+2))
	hj, ok := w.(http.Hijacker)
	if !ok {
		w.WriteHeader(status)
		w.Write(body[:len(body)/2])
		flush(w)
		panic(http.ErrAbortHandler) // net/http closes the stream
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	writeHead(buf.Writer, status, h)
	buf.Write(body[:len(body)/2])
	buf.Flush()
}

func writeHead(b *bufio.Writer, status int, h http.Header) {
	fmt.Fprintf(b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	h.Write(b)
	b.WriteString("\r\n")
}

// reset aborts the connection with a TCP RST (SO_LINGER 0), which the
// client sees as "connection reset by peer" — unlike drop's orderly close.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}
