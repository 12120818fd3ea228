// Package sim is a stateful stand-in for the KSeF API v2 (Poland's national
// e-invoicing system) that runs on loopback, with real cryptography.
//
// It serves the authentication part of the API under /v2 exactly like
// https://api-test.ksef.mf.gov.pl/v2: its own RSA-2048 keys for both key
// usages, KSeF tokens decrypted with RSA-OAEP and checked against the
// challenge, XAdES-signed AuthTokenRequests verified in full with the
// identity taken from the certificate, the asynchronous authentication
// status, one-shot redeem, refresh, authentication sessions with
// revocation, IP authorization policies, and the /testdata helpers that
// authentication depends on. README.md has the complete reference.
// Every request it receives and every response it sends is validated
// against the official OpenAPI document embedded in the package; mismatches
// are logged, recorded (SpecViolations) and, in strict mode, answered with
// KSeF's 400/21405 (request) or a 500 (response).
//
// Faults — 429 with Retry-After, 5xx, dropped connections, slow answers,
// key rotation, authentication status 550 — can be injected per operation
// and per call (see Fault and ParseFault).
//
// Endpoints under /v2/_sim/ are NOT part of KSeF: they control the
// simulator (issue KSeF tokens, configure faults, inspect state) and are
// neither validated nor subject to faults.
//
// Typical use in a Go test:
//
//	srv, err := sim.New(sim.Options{})
//	…
//	if err := srv.Start("127.0.0.1:0"); err != nil { … }
//	defer srv.Close()
//	tok, _ := srv.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
//	// point the client at srv.URL() and authenticate with tok.Token
package sim

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Warsaw on machines without a zoneinfo database
)

// NoAuthDelay as Options.AuthDelay makes the first status poll terminal.
const NoAuthDelay = -1

// Options configure a Server. The zero value is a strict simulator with
// KSeF's lifetimes.
type Options struct {
	// Clock returns the current time (default time.Now). Tests can move it
	// forward to expire challenges and tokens.
	Clock func() time.Time
	// Logger receives the simulator's log (default: discarded). Token values
	// are never logged, only reference numbers.
	Logger *slog.Logger

	AccessTokenTTL  time.Duration // default 15 min
	RefreshTokenTTL time.Duration // default 7 days
	AuthTokenTTL    time.Duration // authenticationToken, default 45 min
	ChallengeTTL    time.Duration // default 10 min

	// AuthDelay is how many polls of GET /auth/{ref} answer 100 ("in
	// progress") before the terminal status. 0 means the default, 1;
	// NoAuthDelay means none.
	AuthDelay int

	// TokenActivationDelay is how long a token generated with POST /tokens
	// stays Pending before it becomes Active. 0 means the default, 100 ms;
	// a negative value makes tokens active at once.
	TokenActivationDelay time.Duration

	// NoStrict only logs and records spec violations instead of answering
	// them (400/21405 for requests, 500 for responses).
	NoStrict bool

	// Faults to inject from the start (see Fault).
	Faults []Fault

	// ProcessingDelay is how long after it arrives an invoice's outcome
	// (200 or its failure code) shows: 100 for the first half, 150 for
	// the second. 0 means the default, 200 ms, so clients really poll;
	// negative means none (the first status read is terminal).
	ProcessingDelay time.Duration
	// PermanentStorageDelay is how long after acceptance an invoice gets
	// its permanentStorageDate (default 1 s; negative: at once).
	PermanentStorageDelay time.Duration
	// SessionInvoiceLimit caps the invoices of one online session
	// (21155); 0 means KSeF's 10 000.
	SessionInvoiceLimit int
	// UPOPageSize is how many documents one page of a session's UPO holds;
	// 0 means KSeF's 10 000 (also the most the UPO schema allows).
	UPOPageSize int
	// DownloadURLTTL is how long a pre-signed download URL works (default
	// 1 h). Every status call issues fresh ones.
	DownloadURLTTL time.Duration
	// TLS serves the pre-signed download URLs over https, from a second
	// listener with a certificate of the simulator's own CA
	// (CACertificatePEM); it needs Start.
	TLS bool
	// PartUploadTime is a batch session's upload time per declared part,
	// counted from its opening (default KSeF's 20 minutes): the upload
	// URLs expire then, and a close after it is 21208.
	PartUploadTime time.Duration
	// SpoolDir is where uploaded batch parts and their decrypted archives
	// wait for processing (a directory made in it, removed by Close;
	// default the system's temporary directory).
	SpoolDir string
	// SkipXSD decides invoices without their XSD validation (every other
	// check stays): for load and memory tests of many invoices.
	SkipXSD bool

	// Receiving invoices (invoices.go, exports.go, ratelimits.go).
	//
	// QueryLimit is how many records of one filter set the metadata query
	// can page to before isTruncated (KSeF: 10 000; set it low to test
	// the narrowing). HWMLag is how far the permanent-storage high-water
	// mark trails the clock (default 500 ms).
	QueryLimit int
	HWMLag     time.Duration
	// Exports: at most ExportInvoiceLimit invoices (KSeF: 10 000) or
	// ExportSizeLimit bytes of compressed invoices (KSeF: 1 GB) per
	// package, split into parts of ExportPartSize bytes before encryption
	// (KSeF: 50 MB); status 100 for ExportDelay (default 200 ms; negative:
	// none); downloadable for ExportPackageTTL (default 24 h), then status
	// 210; at most MaxExports in progress per context (KSeF: 10; 21182).
	ExportInvoiceLimit int
	ExportSizeLimit    int64
	ExportPartSize     int
	ExportDelay        time.Duration
	ExportPackageTTL   time.Duration
	MaxExports         int
	// RateLimits enforces the request limits of the OpenAPI document's
	// x-rate-limits per group and context (per IP for the public
	// endpoints), as sliding windows of a second, a minute and an hour,
	// answering 429 with Retry-After; off by default. RateLimitOverrides
	// replaces the limits of some groups (also in GET /rate-limits).
	RateLimits         bool
	RateLimitOverrides map[string]RateLimit
}

// Server is one simulated KSeF API with its own keys and state. All methods
// are safe for concurrent use.
type Server struct {
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	spec   *apiSpec
	mux    *http.ServeMux // KSeF operations, patterns "METHOD /v2/path"
	simMux *http.ServeMux // /v2/_sim control endpoints
	jwtKey []byte

	// mangle, when set by a test, rewrites a response before it is
	// validated, to prove that response violations are caught.
	mangle func(status int, h http.Header, body []byte) (int, []byte)

	keyMu            sync.RWMutex
	tokenKey, symKey *keyPair

	seal       *mfSeal // signs UPOs
	ca         *simCA  // with Options.TLS
	storageKey []byte  // signs pre-signed URLs

	mu          sync.Mutex // guards the state below
	challenges  map[string]*challenge
	ops         map[string]*authOp
	tokens      map[string]*ksefToken
	persons     map[string]*person     // by NIP
	subjects    map[string]*subjectRec // by NIP
	grants      map[string]map[Identity]map[string]bool
	blocked     map[string]bool // by context "Type:Value"
	attachments map[string]bool // by NIP
	sessions    map[string]*onlineSession
	store       *invoiceStore
	exports     map[string]*export
	limits      *rateCounter

	background sync.WaitGroup // batch processing
	stopping   chan struct{}  // closed by Close: background work ends
	stopOnce   sync.Once
	spoolMu    sync.Mutex
	spool      string // the directory of batch parts, once made

	faultMu sync.Mutex
	faults  []*activeFault

	violMu     sync.Mutex
	violations []string

	connMu sync.Mutex
	fresh  map[net.Conn]struct{} // connections without a request yet

	srvMu   sync.Mutex
	httpSrv *http.Server
	tlsSrv  *http.Server
	url     string
	tlsURL  string
}

// New creates a simulator with fresh keys and empty state. It does not
// listen; use Start, or mount Handler in a server of your own.
func New(opts Options) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	setDefault(&opts.AccessTokenTTL, 15*time.Minute)
	setDefault(&opts.RefreshTokenTTL, 7*24*time.Hour)
	setDefault(&opts.AuthTokenTTL, 45*time.Minute)
	setDefault(&opts.ChallengeTTL, 10*time.Minute)
	switch {
	case opts.TokenActivationDelay == 0:
		opts.TokenActivationDelay = 100 * time.Millisecond
	case opts.TokenActivationDelay < 0:
		opts.TokenActivationDelay = 0
	}
	switch {
	case opts.AuthDelay == 0:
		opts.AuthDelay = 1
	case opts.AuthDelay < 0:
		opts.AuthDelay = 0
	}
	setDelay(&opts.ProcessingDelay, 200*time.Millisecond)
	setDelay(&opts.PermanentStorageDelay, time.Second)
	setDefault(&opts.DownloadURLTTL, time.Hour)
	setDefault(&opts.PartUploadTime, partUploadTime)
	if opts.SessionInvoiceLimit <= 0 {
		opts.SessionInvoiceLimit = defaultInvoiceLimit
	}
	if err := receivingDefaults(&opts); err != nil {
		return nil, err
	}
	switch {
	case opts.UPOPageSize == 0:
		opts.UPOPageSize = 10_000
	case opts.UPOPageSize < 0 || opts.UPOPageSize > 10_000:
		return nil, fmt.Errorf("sim: UPOPageSize %d: must be 1 to 10 000 (the UPO schema's limit)", opts.UPOPageSize)
	}
	spec, err := loadSpec()
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:        opts,
		log:         opts.Logger,
		now:         opts.Clock,
		spec:        spec,
		jwtKey:      make([]byte, 32),
		challenges:  map[string]*challenge{},
		ops:         map[string]*authOp{},
		tokens:      map[string]*ksefToken{},
		persons:     map[string]*person{},
		subjects:    map[string]*subjectRec{},
		grants:      map[string]map[Identity]map[string]bool{},
		blocked:     map[string]bool{},
		attachments: map[string]bool{},
		sessions:    map[string]*onlineSession{},
		store:       newInvoiceStore(),
		exports:     map[string]*export{},
		limits:      newRateCounter(),
		storageKey:  randBytes(32),
		stopping:    make(chan struct{}),
	}
	rand.Read(s.jwtKey)
	if s.tokenKey, s.symKey, err = newKeySet(s.now()); err != nil {
		return nil, err
	}
	if s.seal, err = newMFSeal(s.now()); err != nil {
		return nil, err
	}
	if opts.TLS {
		if s.ca, err = newSimCA(s.now()); err != nil {
			return nil, fmt.Errorf("sim: TLS certificate authority: %w", err)
		}
	}
	if _, err := loadSchemas(); err != nil {
		return nil, err
	}
	if err := s.routes(); err != nil {
		return nil, err
	}
	for _, f := range opts.Faults {
		if err := s.AddFault(f); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// setDelay fills in a zero delay; a negative one means none.
func setDelay(d *time.Duration, v time.Duration) {
	switch {
	case *d == 0:
		*d = v
	case *d < 0:
		*d = 0
	}
}

// routes registers the simulated KSeF operations (checked against the
// OpenAPI document, so a typo cannot silently bypass validation) and the
// simulator's own control endpoints.
func (s *Server) routes() error {
	api := []struct {
		method, path string
		h            http.HandlerFunc
	}{
		{"GET", "/security/public-key-certificates", s.handlePublicKeys},
		{"POST", "/auth/challenge", s.handleChallenge},
		{"POST", "/auth/ksef-token", s.handleKSeFToken},
		{"POST", "/auth/xades-signature", s.handleXAdES},
		{"GET", "/auth/{referenceNumber}", s.handleAuthStatus},
		{"POST", "/auth/token/redeem", s.handleRedeem},
		{"POST", "/auth/token/refresh", s.handleRefresh},
		{"GET", "/auth/sessions", s.handleSessionList},
		{"DELETE", "/auth/sessions/current", s.handleRevokeCurrent},
		{"DELETE", "/auth/sessions/{referenceNumber}", s.handleRevokeSession},
		{"POST", "/tokens", s.handleGenerateToken},
		{"GET", "/tokens", s.handleTokenList},
		{"GET", "/tokens/{referenceNumber}", s.handleTokenStatus},
		{"DELETE", "/tokens/{referenceNumber}", s.handleRevokeToken},
		{"GET", "/limits/context", s.handleContextLimits},
		{"GET", "/limits/subject", s.handleSubjectLimits},
		{"GET", "/rate-limits", s.handleRateLimits},
		{"POST", "/testdata/subject", s.handleSubjectCreate},
		{"POST", "/testdata/subject/remove", s.handleSubjectRemove},
		{"POST", "/testdata/person", s.handlePersonCreate},
		{"POST", "/testdata/person/remove", s.handlePersonRemove},
		{"POST", "/testdata/permissions", s.handlePermissionsGrant},
		{"POST", "/testdata/permissions/revoke", s.handlePermissionsRevoke},
		{"POST", "/testdata/context/block", s.handleContextBlock(true)},
		{"POST", "/testdata/context/unblock", s.handleContextBlock(false)},
		{"POST", "/testdata/attachment", s.handleAttachment(true)},
		{"POST", "/testdata/attachment/revoke", s.handleAttachment(false)},
		{"POST", "/sessions/online", s.handleOpenOnline},
		{"POST", "/sessions/online/{referenceNumber}/invoices", s.handleSendInvoice},
		{"POST", "/sessions/online/{referenceNumber}/close", s.handleCloseOnline},
		{"POST", "/sessions/batch", s.handleOpenBatch},
		{"POST", "/sessions/batch/{referenceNumber}/close", s.handleCloseBatch},
		{"GET", "/sessions", s.handleSessions},
		{"GET", "/sessions/{referenceNumber}", s.handleSessionStatus},
		{"GET", "/sessions/{referenceNumber}/invoices", s.handleSessionInvoices(false)},
		{"GET", "/sessions/{referenceNumber}/invoices/failed", s.handleSessionInvoices(true)},
		{"GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}", s.handleInvoiceStatus},
		{"GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo", s.handleInvoiceUPO(false)},
		{"GET", "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo", s.handleInvoiceUPO(true)},
		{"GET", "/sessions/{referenceNumber}/upo/{upoReferenceNumber}", s.handleSessionUPO},
		{"GET", "/invoices/ksef/{ksefNumber}", s.handleInvoiceDownload},
		{"POST", "/invoices/query/metadata", s.handleQueryMetadata},
		{"POST", "/invoices/exports", s.handleStartExport},
		{"GET", "/invoices/exports/{referenceNumber}", s.handleExportStatus},
	}
	s.mux = http.NewServeMux()
	for _, a := range api {
		if item := s.spec.doc.Paths.Value(a.path); item == nil || item.GetOperation(a.method) == nil {
			return fmt.Errorf("sim: %s %s is not in the OpenAPI document", a.method, a.path)
		}
		s.mux.HandleFunc(a.method+" /v2"+a.path, a.h)
	}
	s.simMux = http.NewServeMux()
	s.simRoutes(s.simMux)
	return nil
}

// Handler serves the simulator: KSeF paths under /v2 (base URL
// "http://host:port/v2", like the real API) and control paths under /v2/_sim.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Start listens on addr, which must be a loopback address ("127.0.0.1:0",
// "[::1]:8080", "localhost:0" — never all interfaces), and serves in the
// background. It returns once the listener is ready; URL then tells where.
func (s *Server) Start(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sim: address %q: %w", addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("sim: refusing to listen on %q: the simulator serves loopback addresses only (127.0.0.1, ::1, localhost)", addr)
	}
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.httpSrv != nil {
		return errors.New("sim: server already started")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	s.httpSrv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ConnState:         s.trackConn,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.url = "http://" + ln.Addr().String() + "/v2"
	var tlsLn net.Listener
	if s.ca != nil {
		// Port 0: the https listener always takes a free port of its own.
		tlsLn, err = tls.Listen("tcp", net.JoinHostPort(host, "0"), &tls.Config{
			Certificates: []tls.Certificate{s.ca.leaf}, MinVersion: tls.VersionTLS12,
		})
		if err != nil {
			ln.Close()
			s.httpSrv = nil
			return fmt.Errorf("sim: https listener: %w", err)
		}
		s.tlsSrv = &http.Server{
			Handler:           s.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ConnState:         s.trackConn,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		}
		s.tlsURL = "https://" + tlsLn.Addr().String()
		go s.serve(s.tlsSrv, tlsLn)
	}
	go s.serve(s.httpSrv, ln)
	s.log.Info("listening", "url", s.url, "tls", s.tlsURL)
	return nil
}

func (s *Server) serve(srv *http.Server, ln net.Listener) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("serve", "err", err)
	}
}

// URL is the base URL of the running server, including /v2
// ("http://127.0.0.1:PORT/v2"), or "" before Start.
func (s *Server) URL() string {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	return s.url
}

// Shutdown stops a started server gracefully: it stops accepting and waits
// for requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.srvMu.Lock()
	srv, tlsSrv := s.httpSrv, s.tlsSrv
	s.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	// A connection a client dialled but never sent a request on (its
	// request was cancelled while the dial went on) would hold Shutdown
	// for five seconds; nothing is lost by closing it.
	s.connMu.Lock()
	for c := range s.fresh {
		c.Close()
	}
	s.connMu.Unlock()
	var tlsErr error
	if tlsSrv != nil {
		tlsErr = tlsSrv.Shutdown(ctx)
	}
	return errors.Join(srv.Shutdown(ctx), tlsErr)
}

// trackConn keeps the connections that have not carried a request yet.
func (s *Server) trackConn(c net.Conn, st http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if st == http.StateNew {
		if s.fresh == nil {
			s.fresh = map[net.Conn]struct{}{}
		}
		s.fresh[c] = struct{}{}
	} else {
		delete(s.fresh, c)
	}
}

// Close shuts a started server down, giving requests in flight up to five
// seconds. It is a no-op for a server that was never started.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.Shutdown(ctx)
	s.srvMu.Lock()
	if s.httpSrv != nil {
		s.httpSrv.Close()
	}
	if s.tlsSrv != nil {
		s.tlsSrv.Close()
	}
	s.srvMu.Unlock()
	s.closeBatches()
	if errors.Is(err, context.DeadlineExceeded) {
		return nil // the remaining connections were closed forcibly
	}
	return err
}
