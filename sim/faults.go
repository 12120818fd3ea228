package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault injection: make chosen calls of chosen operations fail the way the
// real service and the network between do, so clients can prove their
// retries, back-off and key refresh work.
//
// A fault is written as one string (the --fault flag of ksef-sim, the body
// of POST /v2/_sim/faults, ParseFault):
//
//	ROUTE[#WHEN]=KIND[:PARAM=VALUE[,PARAM=VALUE…]]
//
//	ROUTE  "*" (every KSeF operation) or "METHOD /path" with the path
//	       template of the OpenAPI document, without /v2:
//	       "POST /auth/ksef-token", "GET /auth/{referenceNumber}";
//	       "GET /storage" names the pre-signed downloads (UPO URLs) and
//	       "PUT /storage" the batch part uploads, which are not KSeF
//	       operations and which "*" does not include.
//	WHEN   N      the N-th matching call (1-based), and with count=K the K
//	              calls N…N+K-1. Default: 1, the first call.
//	       N+     every call from the N-th on (count=K: at most K of them).
//	       every  the same as 1+.
//	KIND   429          Too Many Requests with Retry-After
//	                    (retry-after=SECONDS, default 1; or retry-after-date=SECONDS
//	                    to send an HTTP-date that many seconds ahead — allowed by
//	                    RFC 9110 although KSeF and its OpenAPI use seconds)
//	       500          legacy ExceptionResponse with exceptionCode 500, like KSeF
//	       502          a proxy's HTML "Bad Gateway" page
//	       503          plain-text "Service Unavailable" (optional retry-after=SECONDS)
//	       drop         close the connection without answering (needs a real
//	                    connection: served through Handler by something
//	                    other than net/http's server, it panics with
//	                    http.ErrAbortHandler like any aborting handler)
//	       slow         wait ms=MILLISECONDS (default 1000) then answer normally;
//	                    a client that gives up cancels the wait
//	       rotate-keys  rotate both public keys first (the publicKeyId the
//	                    client holds is now unknown → 21470), then answer normally
//	       status-550   the authentication started or polled by this call ends
//	                    with status 550 instead of 200
//	       drop-after   handle the request fully (the invoice is received,
//	                    the session closed …), then close the connection
//	                    without the answer: the lost-answer case a retry-safe
//	                    client must resolve by looking before it re-sends
//	       invoice-550  the invoice sent by this call (POST
//	                    /sessions/online/{referenceNumber}/invoices) ends
//	                    with status 550 "cancelled by the system, retry"
//	                    instead of its real outcome; it is not stored, so
//	                    sending it again succeeds
//	       upo-hash     the UPO downloaded by this call (one of the three UPO
//	                    GETs, or GET /storage) carries an x-ms-meta-hash that
//	                    does not match its body
//	       part-tamper  the export part downloaded by this call (GET /storage)
//	                    has one byte changed, and an x-ms-meta-hash of the
//	                    changed bytes: only the status's encryptedPartHash
//	                    tells (a tampered store, not a damaged transfer)
//	       expired      the pre-signed URL of this call (PUT /storage, a
//	                    batch part upload) is answered as expired: 403 with
//	                    the blob store's XML body
//	For part uploads (PUT /storage): 500, 503 or drop make one upload
//	fail (the client retries that part alone), slow delays it.
//	PARAM  count=K for any kind, plus the kind's own parameters above.
//
// Examples:
//
//	POST /auth/ksef-token#1=429:retry-after=2
//	GET /auth/{referenceNumber}#2+=503:count=3
//	*#every=slow:ms=50
//	POST /auth/ksef-token=rotate-keys
//
// Each fault counts the calls of its own route from the moment it is added.
// When several faults hit the same call, slow, rotate-keys and status-550
// apply first, then the first answering kind (429, 5xx, drop) in the order
// the faults were added. drop-after, invoice-550, upo-hash and part-tamper
// mark the call and let it be handled.
//
// Hostile kinds (hostile.go) play a broken or malicious server; each must
// become a typed error within the client's deadline and body cap:
//
//	invalid-json        200 application/json that is not JSON
//	wrong-content-type  the real answer labelled text/plain
//	truncated           Content-Length larger than the body sent, then close
//	huge                mb=N MiB of JSON (default 200), streamed chunked;
//	                    declared=1 sends Content-Length instead
//	trickle             the body bytes=B (default 1) every ms=M (default 100)
//	reset               a TCP RST instead of an answer
//	html-200            200 with an HTML page where JSON belongs
//
//	POST /auth/challenge#every=huge:mb=200
//	POST /auth/challenge=trickle:bytes=2,ms=50

// FaultKind is what a fault does.
type FaultKind string

// The fault kinds.
const (
	FaultTooManyRequests FaultKind = "429"
	FaultInternalError   FaultKind = "500"
	FaultBadGateway      FaultKind = "502"
	FaultUnavailable     FaultKind = "503"
	FaultDrop            FaultKind = "drop"
	FaultSlow            FaultKind = "slow"
	FaultRotateKeys      FaultKind = "rotate-keys"
	FaultStatus550       FaultKind = "status-550"
	FaultDropAfter       FaultKind = "drop-after"
	FaultInvoice550      FaultKind = "invoice-550"
	FaultUPOHash         FaultKind = "upo-hash"
	FaultPartTamper      FaultKind = "part-tamper"
	FaultExpired         FaultKind = "expired"
)

var faultKinds = []FaultKind{
	FaultTooManyRequests, FaultInternalError, FaultBadGateway, FaultUnavailable,
	FaultDrop, FaultSlow, FaultRotateKeys, FaultStatus550,
	FaultDropAfter, FaultInvoice550, FaultUPOHash, FaultPartTamper, FaultExpired,
}

// Fault is one injected failure. The zero values of Call and Count mean the
// defaults described above.
type Fault struct {
	Route string    // "*" or "METHOD /path-template"
	Call  int       // first call hit, 1-based; 0 means 1
	From  bool      // N+: every call from Call on, not only Call
	Count int       // calls hit; 0: 1 for a single call, unlimited with From
	Kind  FaultKind // what happens

	RetryAfter     int           // 429/503: Retry-After in seconds (429 default 1)
	RetryAfterDate bool          // 429: send Retry-After as an HTTP-date
	Delay          time.Duration // slow: how long to wait (default 1 s)

	hostileParams // huge, trickle (hostile.go)
}

// answers reports whether the kind produces the response itself.
func (k FaultKind) answers() bool {
	switch k {
	case FaultTooManyRequests, FaultInternalError, FaultBadGateway, FaultUnavailable, FaultDrop:
		return true
	}
	return k.answersHostile()
}

// String renders the fault in the syntax ParseFault reads.
func (f Fault) String() string {
	var b strings.Builder
	b.WriteString(f.Route)
	call := max(f.Call, 1)
	switch {
	case f.From && call == 1:
		b.WriteString("#every")
	case f.From:
		fmt.Fprintf(&b, "#%d+", call)
	default:
		fmt.Fprintf(&b, "#%d", call)
	}
	b.WriteString("=")
	b.WriteString(string(f.Kind))
	var params []string
	if f.Count > 0 {
		params = append(params, "count="+strconv.Itoa(f.Count))
	}
	switch {
	case f.RetryAfterDate:
		params = append(params, "retry-after-date="+strconv.Itoa(f.RetryAfter))
	case f.RetryAfter > 0:
		params = append(params, "retry-after="+strconv.Itoa(f.RetryAfter))
	}
	if f.Kind == FaultSlow && f.Delay > 0 {
		params = append(params, "ms="+strconv.FormatInt(f.Delay.Milliseconds(), 10))
	}
	params = append(params, f.hostileParamStrings()...)
	if len(params) > 0 {
		b.WriteString(":" + strings.Join(params, ","))
	}
	return b.String()
}

var faultMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// ParseFault reads a fault in the syntax described above. It checks the
// syntax only; AddFault also checks that the route is a KSeF operation.
func ParseFault(spec string) (Fault, error) {
	bad := func(format string, args ...any) (Fault, error) {
		return Fault{}, fmt.Errorf("fault %q: %s", spec, fmt.Sprintf(format, args...))
	}
	lhs, rhs, ok := strings.Cut(spec, "=")
	if !ok {
		return bad(`missing "=KIND" (syntax: ROUTE[#WHEN]=KIND[:PARAM=VALUE,…])`)
	}
	var f Fault
	route, when, hasWhen := strings.Cut(lhs, "#")
	route = strings.TrimSpace(route)
	if route != "*" {
		method, path, ok := strings.Cut(route, " ")
		path = strings.TrimSpace(path)
		switch {
		case !ok:
			return bad(`route must be "*" or "METHOD /path", e.g. "POST /auth/ksef-token"`)
		case !slices.Contains(faultMethods, method):
			return bad("unknown HTTP method %q (want one of %s, upper-case)", method, strings.Join(faultMethods, ", "))
		case !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?"):
			return bad("path %q must start with / and have no spaces or query", path)
		case path == "/v2" || strings.HasPrefix(path, "/v2/"):
			return bad("write the path as in the OpenAPI document, without the /v2 prefix")
		}
		route = method + " " + path
	}
	f.Route = route
	if hasWhen {
		switch when = strings.TrimSpace(when); {
		case when == "every":
			f.Call, f.From = 1, true
		case strings.HasSuffix(when, "+"):
			n, err := positive(strings.TrimSuffix(when, "+"))
			if err != nil {
				return bad("call %q: %v", when, err)
			}
			f.Call, f.From = n, true
		default:
			n, err := positive(when)
			if err != nil {
				return bad(`call %q: want N, N+ or "every": %v`, when, err)
			}
			f.Call = n
		}
	}
	kind, params, _ := strings.Cut(rhs, ":")
	f.Kind = FaultKind(strings.TrimSpace(kind))
	if !slices.Contains(faultKinds, f.Kind) {
		names := make([]string, len(faultKinds))
		for i, k := range faultKinds {
			names[i] = string(k)
		}
		return bad("unknown kind %q (want one of %s)", f.Kind, strings.Join(names, ", "))
	}
	seen := map[string]bool{}
	for p := range strings.SplitSeq(params, ",") {
		if params == "" {
			break
		}
		key, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return bad("parameter %q must be NAME=VALUE", p)
		}
		if seen[key] {
			return bad("parameter %q given twice", key)
		}
		seen[key] = true
		n, err := positive(val)
		if err != nil {
			return bad("parameter %s=%q: %v", key, val, err)
		}
		switch {
		case key == "count":
			f.Count = n
		case key == "retry-after" && (f.Kind == FaultTooManyRequests || f.Kind == FaultUnavailable):
			f.RetryAfter = n
		case key == "retry-after-date" && f.Kind == FaultTooManyRequests:
			f.RetryAfter, f.RetryAfterDate = n, true
		case key == "ms" && f.Kind == FaultSlow:
			f.Delay = time.Duration(n) * time.Millisecond
		case f.setHostileParam(key, n):
		default:
			return bad("parameter %q does not apply to kind %s", key, f.Kind)
		}
	}
	if seen["retry-after"] && seen["retry-after-date"] {
		return bad("retry-after and retry-after-date exclude each other")
	}
	return f, nil
}

func positive(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || strconv.Itoa(n) != s {
		return 0, fmt.Errorf("want a positive whole number")
	}
	return n, nil
}

// activeFault is a fault with its own call counter.
type activeFault struct {
	Fault
	calls int
}

// hits counts a call of the fault's route and reports whether it is hit.
func (a *activeFault) hits() bool {
	a.calls++
	first := max(a.Call, 1)
	if a.calls < first {
		return false
	}
	count := a.Count
	if count == 0 {
		if a.From {
			return true
		}
		count = 1
	}
	return a.calls < first+count
}

// AddFault starts injecting a fault. The route must be "*" or an operation
// of the KSeF OpenAPI document.
func (s *Server) AddFault(f Fault) error {
	if _, err := ParseFault(f.String()); err != nil {
		return err
	}
	if err := s.checkFaultRoute(f); err != nil {
		return err
	}
	s.faultMu.Lock()
	s.faults = append(s.faults, &activeFault{Fault: f})
	s.faultMu.Unlock()
	s.log.Info("fault added", "fault", f.String())
	return nil
}

// checkFaultRoute rejects routes that are not KSeF operations, which would
// otherwise silently never fire.
func (s *Server) checkFaultRoute(f Fault) error {
	if f.Route == "*" || f.Route == storageRoute || f.Route == storageUploadRoute {
		return nil
	}
	method, path, _ := strings.Cut(f.Route, " ")
	if item := s.spec.doc.Paths.Value(path); item == nil || item.GetOperation(method) == nil {
		return fmt.Errorf("fault %q: %s is not an operation of the KSeF API (use the OpenAPI path template, e.g. GET /auth/{referenceNumber})", f.String(), f.Route)
	}
	return nil
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.faultMu.Lock()
	s.faults = nil
	s.faultMu.Unlock()
	s.log.Info("faults cleared")
}

// Faults lists the active faults.
func (s *Server) Faults() []Fault {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, a := range s.faults {
		out = append(out, a.Fault)
	}
	return out
}

// matchFaults counts the call against every fault and returns those it hits.
func (s *Server) matchFaults(route string) []Fault {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	var hit []Fault
	for _, a := range s.faults {
		if (a.Route == "*" && route != storageRoute && route != storageUploadRoute || a.Route == route) && a.hits() {
			hit = append(hit, a.Fault)
		}
	}
	return hit
}

// applyFaults runs the faults that hit this call. It returns true when a
// fault produced the answer (or dropped the connection), so the request
// must not be handled. w is the capturing writer, raw the connection's own
// (needed to drop it).
func (s *Server) applyFaults(w, raw http.ResponseWriter, r *http.Request, route string) bool {
	hit := s.matchFaults(route)
	for _, f := range hit {
		s.log.Warn("fault injected", "fault", f.String(), "method", r.Method, "path", r.URL.Path, "trace", traceOf(r))
		switch f.Kind {
		case FaultSlow:
			d := f.Delay
			if d == 0 {
				d = time.Second
			}
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return true // the client is gone; nobody to answer
			}
		case FaultRotateKeys:
			if err := s.RotateKeys(); err != nil {
				s.unexpected(w, r, "ksef-sim: key rotation failed: "+err.Error())
				return true
			}
		case FaultStatus550:
			reqInfoOf(r.Context()).force550 = true
		case FaultDropAfter:
			reqInfoOf(r.Context()).dropAfter = true
		case FaultInvoice550:
			reqInfoOf(r.Context()).invoice550 = true
		case FaultUPOHash:
			reqInfoOf(r.Context()).badUPOHash = true
		case FaultPartTamper:
			reqInfoOf(r.Context()).tamperPart = true
		case FaultExpired:
			reqInfoOf(r.Context()).expired = true
		default:
			noteHostileDelivery(r, f)
		}
	}
	for _, f := range hit {
		if !f.Kind.answers() {
			continue
		}
		switch f.Kind {
		case FaultDrop:
			drop(raw)
		case FaultTooManyRequests:
			secs := max(f.RetryAfter, 1)
			retryAfter := strconv.Itoa(secs)
			if f.RetryAfterDate {
				retryAfter = s.now().Add(time.Duration(secs) * time.Second).UTC().Format(http.TimeFormat)
				// The OpenAPI document declares Retry-After as an integer;
				// the HTTP-date form is a deliberate, documented deviation.
				reqInfoOf(r.Context()).offSpec = true
			}
			s.tooMany(w, r, retryAfter)
		case FaultInternalError:
			s.unexpected(w, r)
		case FaultBadGateway:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n"))
		case FaultUnavailable:
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("Service Unavailable\n"))
		default:
			s.answerHostile(w, raw, r, f)
		}
		return true
	}
	return false
}

// drop closes the connection without an answer: hijacked and closed on
// HTTP/1.x; otherwise net/http's own abort, which resets the stream.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
