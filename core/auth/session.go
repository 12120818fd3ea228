package auth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/transport"
)

// DefaultLeeway is how long before expiry a token is treated as expired, so
// that a request never leaves with a token that dies in flight.
const DefaultLeeway = 60 * time.Second

// Session holds the tokens of one authenticated client and keeps them fresh:
// the access token is refreshed before it expires, at most one refresh runs
// at a time however many callers need a token, and when the refresh token
// itself has expired or was revoked the stored credential authenticates
// again. Safe for concurrent use.
type Session struct {
	Flow   *Flow
	Leeway time.Duration

	mu       sync.Mutex
	cred     Credential
	tokens   *Tokens
	inflight *renewal
}

type renewal struct {
	done   chan struct{}
	tokens *Tokens
	err    error
}

// Authenticate runs a full authentication with cred and, on success, makes
// cred the credential used for later re-authentication.
func (s *Session) Authenticate(ctx context.Context, cred Credential) (*Tokens, error) {
	t, err := s.Flow.Authenticate(ctx, cred)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cred, s.tokens = cred, t
	s.mu.Unlock()
	return t, nil
}

// Tokens returns a copy of the current tokens, or nil.
func (s *Session) Tokens() *Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		return nil
	}
	t := *s.tokens
	return &t
}

// Forget drops tokens and credential (after revoking the session).
func (s *Session) Forget() {
	s.mu.Lock()
	s.tokens, s.cred = nil, nil
	s.mu.Unlock()
}

func (s *Session) leeway() time.Duration {
	if s.Leeway > 0 {
		return s.Leeway
	}
	return DefaultLeeway
}

// AccessToken returns a valid access token, refreshing (or re-authenticating)
// first when it is about to expire.
func (s *Session) AccessToken(ctx context.Context) (string, error) {
	now := s.Flow.clock(ctx).Now()
	s.mu.Lock()
	t := s.tokens
	s.mu.Unlock()
	if t == nil {
		return "", errs.New(errs.NotAuthenticated, "the client is not authenticated; authenticate with a KSeF token or a certificate first")
	}
	if now.Add(s.leeway()).Before(t.Access.ValidUntil.Time) {
		return t.Access.Token.Reveal(), nil
	}
	t, err := s.renew(ctx, t)
	if err != nil {
		return "", err
	}
	return t.Access.Token.Reveal(), nil
}

// Refresh obtains a new access token now (callers that overlap share one
// refresh).
func (s *Session) Refresh(ctx context.Context) (*Tokens, error) {
	s.mu.Lock()
	t := s.tokens
	s.mu.Unlock()
	if t == nil {
		return nil, errs.New(errs.NotAuthenticated, "nothing to refresh: the client is not authenticated")
	}
	return s.renew(ctx, t)
}

// renew joins a renewal in flight or starts one. seen is the token set the
// caller found stale; if another renewal already replaced it, that result is
// used without a new request.
func (s *Session) renew(ctx context.Context, seen *Tokens) (*Tokens, error) {
	s.mu.Lock()
	if s.tokens != nil && s.tokens != seen {
		t := *s.tokens
		s.mu.Unlock()
		return &t, nil
	}
	r := s.inflight
	leader := r == nil
	if leader {
		r = &renewal{done: make(chan struct{})}
		s.inflight = r
	}
	cred := s.cred
	s.mu.Unlock()

	if !leader {
		if err := transport.Await(ctx, s.Flow.clock(ctx), r.done); err != nil {
			return nil, errs.FromContext(err, "waiting for a token refresh")
		}
		if r.err != nil {
			return nil, r.err
		}
		t := *r.tokens
		return &t, nil
	}

	t, err := s.doRenew(ctx, seen, cred)
	s.mu.Lock()
	r.tokens, r.err = t, err
	if err == nil {
		s.tokens = t
	}
	s.inflight = nil
	s.mu.Unlock()
	close(r.done)
	if err != nil {
		return nil, err
	}
	c := *t
	return &c, nil
}

func (s *Session) doRenew(ctx context.Context, seen *Tokens, cred Credential) (*Tokens, error) {
	now := s.Flow.clock(ctx).Now()
	log := s.Flow.log()
	if now.Add(s.leeway()).Before(seen.Refresh.ValidUntil.Time) {
		resp, err := s.Flow.API.Refresh(ctx, seen.Refresh.Token.Reveal())
		if err == nil {
			t := *seen
			t.Access = *resp.AccessToken
			t.RefreshedAt = now
			log.Info("ksef access token refreshed", "reference", seen.ReferenceNumber, "accessValidUntil", t.Access.ValidUntil.Time)
			return &t, nil
		}
		e := errs.As(err)
		// 21301/21304 (revoked or unknown authentication) and 401 mean the
		// refresh token is dead; anything else (network, 5xx) is reported.
		if !(e.HasException(21301) || e.HasException(21304) || e.Code == errs.Unauthorized) {
			return nil, err
		}
		if cred == nil {
			return nil, err
		}
		log.Info("ksef refresh token no longer accepted; authenticating again", "reference", seen.ReferenceNumber, "code", e.Code)
	} else {
		if cred == nil {
			return nil, errs.New(errs.NotAuthenticated, "the refresh token expired at %s and no credential is stored to authenticate again", seen.Refresh.ValidUntil.Time.Format(time.RFC3339))
		}
		log.Info("ksef refresh token expired; authenticating again", "reference", seen.ReferenceNumber)
	}
	return s.Flow.Authenticate(ctx, cred)
}

// Restore installs tokens obtained elsewhere (e.g. persisted by the caller)
// without a credential for re-authentication.
func (s *Session) Restore(t *Tokens) {
	s.mu.Lock()
	c := *t
	s.tokens = &c
	s.mu.Unlock()
}

// LogValue makes slog print Tokens without the token strings (value
// receiver: a Tokens value and a *Tokens both have it).
func (t Tokens) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("reference", t.ReferenceNumber),
		slog.String("context", t.Context.String()),
		slog.Time("accessValidUntil", t.Access.ValidUntil.Time),
		slog.Time("refreshValidUntil", t.Refresh.ValidUntil.Time),
	)
}

// String describes the tokens without revealing them.
func (t Tokens) String() string {
	return "Tokens{reference " + t.ReferenceNumber + ", context " + t.Context.String() + ", access " + t.Access.String() + ", refresh " + t.Refresh.String() + "}"
}

// GoString is String for %#v.
func (t Tokens) GoString() string { return t.String() }
