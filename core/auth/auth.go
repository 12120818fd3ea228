// Package auth runs KSeF authentication: challenge → method-specific proof
// (an encrypted KSeF token, or a XAdES-signed AuthTokenRequest) → status
// polling → one redeem → access and refresh tokens; and keeps those tokens
// fresh (Session). The method-specific part is a Credential; everything
// around it is shared, so token and certificate authentication poll, redeem
// and refresh through the same code.
package auth

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/pubkeys"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Credential is one way of proving identity. Implementations: KSeFToken
// (this package) and the XAdES credential.
type Credential interface {
	// Method names the method for results and logs ("ksef-token", "xades").
	Method() string
	// Context is the context the authentication acts in.
	Context() ids.ContextIdentifier
	// Validate checks the credential locally, before any network call.
	Validate() error
	// Start turns a fresh challenge into an accepted authentication request.
	Start(ctx context.Context, f *Flow, ch *api.ChallengeResponse) (*api.AuthInitResponse, error)
}

// Tokens is the outcome of an authentication.
type Tokens struct {
	ReferenceNumber string
	Context         ids.ContextIdentifier
	Method          string
	Access          api.TokenInfo
	Refresh         api.TokenInfo
	AuthenticatedAt time.Time
	RefreshedAt     time.Time
}

// PollPolicy shapes status polling. DEMO and PRODUCTION may keep a
// certificate authentication at status 100 for a long time while the CA's
// OCSP/CRL answers arrive, hence the generous default timeout.
type PollPolicy = poll.Policy

// DefaultPoll is the authentication default: 250 ms growing to 2 s, 3 min.
var DefaultPoll = poll.Policy{Initial: 250 * time.Millisecond, Max: 2 * time.Second, Timeout: 3 * time.Minute}

// Flow runs authentications against one API.
type Flow struct {
	API    *api.Client
	Keys   *pubkeys.Store
	Clock  transport.Clock
	Poll   PollPolicy
	Logger *slog.Logger
}

func (f *Flow) clock(ctx context.Context) transport.Clock {
	c := transport.ClockFrom(ctx, f.Clock)
	if c == nil {
		return transport.SystemClock{}
	}
	return c
}

func (f *Flow) log() *slog.Logger {
	if f.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return f.Logger
}

// Authenticate runs the whole flow for cred and returns redeemed tokens.
//
// Two failures are retried once with a fresh challenge: exception 21470 (the
// publicKeyId we used was withdrawn — reload the keys) and status 550 (KSeF
// cancelled the operation and asks for a retry). Redeem is never repeated:
// it is one-shot on the server, and a second attempt could only fail.
func (f *Flow) Authenticate(ctx context.Context, cred Credential) (*Tokens, error) {
	if err := cred.Validate(); err != nil {
		return nil, err
	}
	retried21470, retried550 := false, false
	for {
		ch, err := f.API.Challenge(ctx)
		if err != nil {
			return nil, err
		}
		init, err := cred.Start(ctx, f, ch)
		if err != nil {
			if e := errs.As(err); e.HasException(21470) && !retried21470 && f.Keys != nil {
				retried21470 = true
				f.log().Info("ksef public key withdrawn (21470); reloading keys and retrying", "method", cred.Method())
				f.Keys.Invalidate()
				continue
			}
			return nil, err
		}
		st, err := f.poll(ctx, init)
		if err != nil {
			return nil, err
		}
		if st.Status.Code == 550 && !retried550 {
			retried550 = true
			f.log().Info("ksef cancelled the authentication (550); retrying once", "reference", init.ReferenceNumber)
			continue
		}
		if st.Status.Code != 200 {
			return nil, statusError(init.ReferenceNumber, st.Status)
		}
		tok, err := f.API.Redeem(ctx, init.AuthenticationToken.Token.Reveal())
		if err != nil {
			e := errs.As(err)
			if e.ReferenceNumber == "" {
				e.ReferenceNumber = init.ReferenceNumber
			}
			return nil, e
		}
		now := f.clock(ctx).Now()
		f.log().Info("ksef authenticated", "method", cred.Method(), "context", cred.Context().String(),
			"reference", init.ReferenceNumber, "accessValidUntil", tok.AccessToken.ValidUntil.Time, "refreshValidUntil", tok.RefreshToken.ValidUntil.Time)
		return &Tokens{
			ReferenceNumber: init.ReferenceNumber, Context: cred.Context(), Method: cred.Method(),
			Access: *tok.AccessToken, Refresh: *tok.RefreshToken, AuthenticatedAt: now,
		}, nil
	}
}

// poll asks for the status until it leaves 100/150, with growing waits,
// until the poll timeout.
func (f *Flow) poll(ctx context.Context, init *api.AuthInitResponse) (*api.AuthStatusResponse, error) {
	pending := poll.Pending{What: "authentication " + init.ReferenceNumber + " (KSeF may still be verifying the certificate)", ReferenceNumber: init.ReferenceNumber}
	return poll.Until(ctx, f.clock(ctx), f.Poll.WithDefaults(DefaultPoll), pending,
		func(ctx context.Context) (*api.AuthStatusResponse, bool, error) {
			st, err := f.API.AuthStatus(ctx, init.ReferenceNumber, init.AuthenticationToken.Token.Reveal())
			if err != nil {
				e := errs.As(err)
				if e.ReferenceNumber == "" {
					e.ReferenceNumber = init.ReferenceNumber
				}
				return nil, false, e
			}
			return st, st.Status.Code != 100 && st.Status.Code != 150, nil
		},
		func(st *api.AuthStatusResponse) (int, string) {
			if st == nil {
				return 0, ""
			}
			return st.Status.Code, st.Status.Description
		})
}

// statusMeaning explains the terminal authentication statuses (protocol.md §4.5).
var statusMeaning = map[int]string{
	415: "the subject has no permissions in this context",
	425: "the authentication was revoked",
	450: "the KSeF token was rejected (invalid, revoked, inactive, or not valid for this context)",
	460: "the certificate was rejected (invalid, untrusted chain, revoked or suspended)",
	470: "the identity belongs to a deceased person",
	480: "authentication is blocked for this context (suspected security incident; contact the Ministry of Finance)",
	500: "KSeF reported an unknown error",
	550: "KSeF cancelled the operation twice",
}

func statusError(ref string, st api.StatusInfo) *errs.Error {
	meaning := statusMeaning[st.Code]
	if meaning == "" {
		meaning = "authentication failed"
	}
	e := errs.New(errs.AuthFailed, "authentication %s failed with status %d: %s", ref, st.Code, meaning)
	if st.Description != "" {
		e.Message += fmt.Sprintf(" (KSeF: %s)", st.Description)
	}
	e.ReferenceNumber = ref
	e.Status, e.StatusDescription, e.StatusDetails = st.Code, st.Description, st.Details
	return e
}
