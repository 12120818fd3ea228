// Package ksef is the public Go API of ksefkit: a Client bound to one KSeF
// environment that authenticates (KSeF token or XAdES signature), keeps its
// tokens fresh and calls the API. Everything the C library, the wasm module
// and the Python and Node packages offer is built on this package through
// the operation table (package ops).
package ksef

import (
	"context"
	"log/slog"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/batch"
	"github.com/ksefkit/ksefkit/core/env"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/export"
	"github.com/ksefkit/ksefkit/core/hwm"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ippolicy"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/pubkeys"
	"github.com/ksefkit/ksefkit/core/ratelimit"
	"github.com/ksefkit/ksefkit/core/receive"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Version of ksefkit.
const Version = "0.1.0"

// APIVersion is the KSeF API version the client was built against.
const APIVersion = "2.6.0"

// Config configures a Client. Only Environment (or BaseURL) is required.
type Config struct {
	// Environment is "test", "demo" or "prod".
	Environment string
	// BaseURL overrides the API base (the simulator, a proxy), including /v2.
	BaseURL string
	// Doer performs HTTP; nil means the native net/http driver (on wasm the
	// host's driver is carried by the context instead).
	Doer transport.Doer
	// Clock tells time and waits; nil means the system clock.
	Clock transport.Clock
	// Retry bounds retries of single requests.
	Retry transport.RetryPolicy
	// Poll bounds status polling: authentication, and the wait for a new
	// KSeF token to become active (unset fields take each wait's defaults).
	Poll auth.PollPolicy
	// SessionPoll bounds waiting for invoices and sessions to be processed
	// (default online.DefaultPoll: up to 10 minutes).
	SessionPoll poll.Policy
	// ReceivePoll bounds waiting for an export's package (default
	// export.DefaultPoll: up to 15 minutes) and for a just-accepted invoice
	// to become downloadable (receive.DefaultPoll: up to 2 minutes).
	ReceivePoll poll.Policy
	// TempDir holds the spool of an export being read (default os.TempDir()).
	TempDir string
	// NoRateLimiter turns the client-side rate limiter off: downloads,
	// queries and exports then go out as fast as asked and rely on KSeF's
	// 429s alone.
	NoRateLimiter bool
	// RefreshLeeway is how long before expiry tokens are renewed (default 60 s).
	RefreshLeeway time.Duration
	// Logger receives retries, refreshes and system warnings; never secrets.
	Logger *slog.Logger
	// UserAgent is sent with every request.
	UserAgent string
}

// Client is safe for concurrent use.
type Client struct {
	env     env.Environment
	api     *api.Client
	keys    *pubkeys.Store
	flow    *auth.Flow
	session *auth.Session
	online  *online.Sessions
	limiter *ratelimit.Limiter
	receive *receive.Receiver
	exports *export.Exports
	syncer  *hwm.Syncer
	batches *batch.Batches
	logger  *slog.Logger
}

// New builds a client. It performs no network call.
func New(cfg Config) (*Client, error) {
	e, err := env.Resolve(cfg.Environment, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkUserAgent(cfg.UserAgent); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	clock := cfg.Clock
	if clock == nil {
		clock = transport.SystemClock{}
	}
	doer := cfg.Doer
	if doer == nil {
		doer = defaultDoer(cfg.UserAgent)
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "ksefkit/" + Version
	}
	a := &api.Client{
		BaseURL:   e.APIBase,
		Sender:    &transport.Sender{Doer: doer, Clock: clock, Policy: cfg.Retry, Logger: logger},
		Logger:    logger,
		UserAgent: ua,
	}
	keys := &pubkeys.Store{Fetch: a.PublicKeyCertificates, Now: clock.Now}
	flow := &auth.Flow{API: a, Keys: keys, Clock: clock, Poll: cfg.Poll, Logger: logger}
	c := &Client{
		env: e, api: a, keys: keys, flow: flow, logger: logger,
		session: &auth.Session{Flow: flow, Leeway: cfg.RefreshLeeway},
	}
	c.online = online.New(online.Config{
		API: a, Keys: keys, AccessToken: c.AccessToken, Context: c.authContext, Clock: clock,
		Poll: cfg.SessionPoll, QRBase: e.QRBase, Logger: logger,
	})
	c.limiter = ratelimit.New(ratelimit.Config{
		Key: func() string { return c.authContext().String() }, Loader: c.rateLimits, Logger: logger, Disabled: cfg.NoRateLimiter,
	})
	c.receive = receive.New(receive.Config{API: a, AccessToken: c.AccessToken, Clock: clock, Limiter: c.limiter, Poll: cfg.ReceivePoll, Logger: logger})
	c.exports = export.New(export.Config{
		API: a, Keys: keys, AccessToken: c.AccessToken, Clock: clock, Limiter: c.limiter, Poll: cfg.ReceivePoll,
		TempDir: cfg.TempDir, Logger: logger,
	})
	c.syncer = hwm.New(hwm.Config{Exports: c.exports, Clock: clock, Context: func() string { return c.authContext().String() }, Logger: logger})
	c.batches = batch.New(batch.Config{
		API: a, Keys: keys, AccessToken: c.AccessToken, Context: c.authContext, Clock: clock, Sessions: c.online, Logger: logger,
	})
	return c, nil
}

// Sync brings the invoices KSeF holds for the context into fn — once, and
// on later runs only what is new — with the state in store (hwm.FileStore
// for a file). The state moves only after fn took a window's documents.
func (c *Client) Sync(ctx context.Context, store hwm.Store, o hwm.Options, fn func(hwm.Document) error) (*hwm.Report, error) {
	return c.syncer.Run(ctx, store, o, fn)
}

// Syncer gives the window-by-window form of Sync (package hwm).
func (c *Client) Syncer() *hwm.Syncer { return c.syncer }

// Invoices downloads invoices and queries their metadata (package receive).
func (c *Client) Invoices() *receive.Receiver { return c.receive }

// Exports starts, resumes and downloads invoice exports (package export).
func (c *Client) Exports() *export.Exports { return c.exports }

// RateLimiter is the client-side limiter the receiving workflows wait on.
func (c *Client) RateLimiter() *ratelimit.Limiter { return c.limiter }

// rateLimits loads the context's effective limits (GET /rate-limits).
func (c *Client) rateLimits(ctx context.Context) (map[string]ratelimit.Limits, error) {
	tok, err := c.AccessToken(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.api.RateLimits(ctx, tok)
	if err != nil {
		return nil, err
	}
	return ratelimit.FromAPI(r), nil
}

// Batches gives the client's batch sessions: begin, upload, close, wait,
// export and resume their states (package batch).
func (c *Client) Batches() *batch.Batches { return c.batches }

// SendBatch sends documents in one batch session and waits for every
// document's KSeF number (or typed failure) and the session UPO.
func (c *Client) SendBatch(ctx context.Context, src batch.Source, o batch.Options) (*batch.Report, error) {
	return c.batches.Send(ctx, src, o)
}

// Online gives the client's online sessions: open, send, close, wait,
// statuses and UPOs (package online). Several may be open at once.
func (c *Client) Online() *online.Sessions { return c.online }

// OpenOnlineSession opens an online session (FA (3) unless o says otherwise).
func (c *Client) OpenOnlineSession(ctx context.Context, o online.OpenOptions) (*online.Session, error) {
	return c.online.Open(ctx, o)
}

// SendInvoices sends documents through one online session and waits for
// every invoice's KSeF number (or typed failure) and the session UPO.
func (c *Client) SendInvoices(ctx context.Context, docs []online.Document, o online.SendAllOptions) (*online.Report, error) {
	return c.online.SendAll(ctx, docs, o)
}

func (c *Client) authContext() ids.ContextIdentifier {
	if t := c.session.Tokens(); t != nil {
		return t.Context
	}
	return ids.ContextIdentifier{}
}

// checkUserAgent refuses what cannot be an HTTP header value (RFC 9110
// field-value: visible characters, spaces and tabs): a CRLF would otherwise
// surface on the first request as a transport error, retried until the
// deadline, or be refused differently by each host's HTTP library.
func checkUserAgent(ua string) error {
	for i := 0; i < len(ua); i++ {
		if c := ua[i]; c < ' ' && c != '\t' || c == 0x7f {
			return errs.Invalid("userAgent", "userAgent contains a control character or line break (%s); it must be one line of visible text", errs.Shape(ua))
		}
	}
	if len(ua) > 512 {
		return errs.Invalid("userAgent", "userAgent is %d bytes long; at most 512", len(ua))
	}
	return nil
}

// Environment returns the environment the client talks to.
func (c *Client) Environment() env.Environment { return c.env }

// API gives the wire-level client for endpoints the typed API does not cover yet.
func (c *Client) API() *api.Client { return c.api }

// Keys gives the KSeF public key store.
func (c *Client) Keys() *pubkeys.Store { return c.keys }

// AuthInfo describes the current authentication without any token.
type AuthInfo struct {
	ReferenceNumber        string                `json:"referenceNumber"`
	Context                ids.ContextIdentifier `json:"context"`
	Method                 string                `json:"method"`
	AccessTokenValidUntil  time.Time             `json:"accessTokenValidUntil"`
	RefreshTokenValidUntil time.Time             `json:"refreshTokenValidUntil"`
	AuthenticatedAt        time.Time             `json:"authenticatedAt"`
	RefreshedAt            *time.Time            `json:"refreshedAt,omitempty"`
}

func infoOf(t *auth.Tokens) *AuthInfo {
	if t == nil {
		return nil
	}
	i := &AuthInfo{
		ReferenceNumber: t.ReferenceNumber, Context: t.Context, Method: t.Method,
		AccessTokenValidUntil: t.Access.ValidUntil.Time, RefreshTokenValidUntil: t.Refresh.ValidUntil.Time,
		AuthenticatedAt: t.AuthenticatedAt,
	}
	if !t.RefreshedAt.IsZero() {
		r := t.RefreshedAt
		i.RefreshedAt = &r
	}
	return i
}

// TokenAuth is a KSeF-token authentication request:
//
//	ksef.TokenAuth{Token: secret.NewString(token), Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}}
type TokenAuth struct {
	// Token as KSeF issued it. A secret.String, so that a TokenAuth (or
	// anything holding one) printed with any verb, logged or marshalled
	// shows [redacted].
	Token secret.String
	// Context to act in; for a NIP context ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}.
	Context ids.ContextIdentifier
	// Policy optionally restricts the access token to some IPv4 addresses.
	Policy *ippolicy.Policy
}

// AuthenticateWithToken authenticates with a KSeF token. The token is kept
// to authenticate again when the refresh token expires.
func (c *Client) AuthenticateWithToken(ctx context.Context, a TokenAuth) (*AuthInfo, error) {
	return c.Authenticate(ctx, &auth.KSeFToken{Token: a.Token, Ctx: a.Context, Policy: a.Policy})
}

// Authenticate runs the flow for any credential (KSeF token, XAdES).
func (c *Client) Authenticate(ctx context.Context, cred auth.Credential) (*AuthInfo, error) {
	t, err := c.session.Authenticate(ctx, cred)
	if err != nil {
		return nil, err
	}
	return infoOf(t), nil
}

// Auth returns the current authentication, or nil.
func (c *Client) Auth() *AuthInfo { return infoOf(c.session.Tokens()) }

// Tokens returns the current tokens (secrets!) for callers that must persist
// them or use them elsewhere; nil when not authenticated.
func (c *Client) Tokens() *auth.Tokens { return c.session.Tokens() }

// RestoreTokens installs previously obtained tokens. Without a credential,
// the client cannot authenticate again when the refresh token expires.
func (c *Client) RestoreTokens(t *auth.Tokens) { c.session.Restore(t) }

// Refresh obtains a new access token now.
func (c *Client) Refresh(ctx context.Context) (*AuthInfo, error) {
	t, err := c.session.Refresh(ctx)
	if err != nil {
		return nil, err
	}
	return infoOf(t), nil
}

// AccessToken returns a valid access token, renewing it when needed.
func (c *Client) AccessToken(ctx context.Context) (string, error) { return c.session.AccessToken(ctx) }

// AuthSessions returns one page of the context's authentication sessions
// (pageSize 10–100, 0 for the server default).
func (c *Client) AuthSessions(ctx context.Context, pageSize int, continuationToken string) (*api.AuthSessionsPage, error) {
	if pageSize != 0 && (pageSize < 10 || pageSize > 100) {
		return nil, errs.Invalid("pageSize", "pageSize must be between 10 and 100, got %d", pageSize)
	}
	tok, err := c.AccessToken(ctx)
	if err != nil {
		return nil, err
	}
	return c.api.AuthSessions(ctx, tok, pageSize, continuationToken)
}

// MaxPages bounds AllAuthSessions against a server that never ends paging.
const MaxPages = 1000

// AllAuthSessions follows continuation tokens to the last page.
func (c *Client) AllAuthSessions(ctx context.Context) ([]api.AuthSession, error) {
	var all []api.AuthSession
	cont := ""
	for page := 0; page < MaxPages; page++ {
		p, err := c.AuthSessions(ctx, 100, cont)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.ContinuationToken == "" {
			return all, nil
		}
		if p.ContinuationToken == cont {
			return nil, errs.New(errs.Protocol, "GET /auth/sessions returned the same continuation token twice")
		}
		cont = p.ContinuationToken
	}
	return nil, errs.New(errs.Protocol, "GET /auth/sessions did not finish within %d pages", MaxPages)
}

// RevokeSession revokes the authentication session with the given reference
// number; "" revokes the current one, after which the client forgets its
// tokens and credential (already issued access tokens stay valid on the
// server until they expire).
func (c *Client) RevokeSession(ctx context.Context, referenceNumber string) error {
	t := c.session.Tokens()
	if t == nil {
		return errs.New(errs.NotAuthenticated, "the client is not authenticated")
	}
	if referenceNumber == "" || referenceNumber == t.ReferenceNumber {
		tok, err := c.AccessToken(ctx)
		if err != nil {
			return err
		}
		if err := c.api.RevokeCurrentSession(ctx, tok); err != nil {
			return err
		}
		c.session.Forget()
		return nil
	}
	tok, err := c.AccessToken(ctx)
	if err != nil {
		return err
	}
	return c.api.RevokeSession(ctx, tok, referenceNumber)
}
