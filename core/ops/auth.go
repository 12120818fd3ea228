package ops

import (
	"context"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ippolicy"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/secret"
)

// ContextInput names the context either by a bare NIP or by type and value.
type ContextInput struct {
	Nip     string                 `json:"nip,omitempty" doc:"shortcut for context {type: Nip, value: nip}"`
	Context *ids.ContextIdentifier `json:"context,omitempty" doc:"{type: Nip|InternalId|NipVatUe|PeppolId, value}"`
}

// Resolve returns the context identifier, validated.
func (c ContextInput) Resolve() (ids.ContextIdentifier, error) {
	switch {
	case c.Nip != "" && c.Context != nil:
		return ids.ContextIdentifier{}, errs.Invalid("context", "give either nip or context, not both")
	case c.Nip != "":
		ci := ids.ContextIdentifier{Type: ids.ContextNip, Value: c.Nip}
		if err := ci.Validate(); err != nil {
			return ci, errs.Wrap(errs.InputInvalid, err, "nip")
		}
		return ci, nil
	case c.Context != nil:
		ci := *c.Context
		if t, err := ids.ParseContextType(string(ci.Type)); err == nil {
			ci.Type = t
		}
		if err := ci.Validate(); err != nil {
			return ci, errs.Wrap(errs.InputInvalid, err, "context")
		}
		return ci, nil
	default:
		return ids.ContextIdentifier{}, errs.Invalid("nip", "a context is required: nip or context {type, value}")
	}
}

// TokenAuthInput is the input of "auth.token".
type TokenAuthInput struct {
	Token secret.String `json:"token" doc:"the KSeF token exactly as issued"`
	ContextInput
	AuthorizationPolicy *ippolicy.Policy `json:"authorizationPolicy,omitempty" doc:"optional {allowedIps: {ip4Addresses, ip4Ranges, ip4Masks}}"`
}

// SessionsListInput is the input of "auth.sessions.list".
type SessionsListInput struct {
	PageSize          int    `json:"pageSize,omitempty" doc:"10–100; server default when 0"`
	ContinuationToken string `json:"continuationToken,omitempty" doc:"from the previous page"`
	All               bool   `json:"all,omitempty" doc:"follow continuation tokens and return every session"`
}

// SessionsListResult answers "auth.sessions.list".
type SessionsListResult struct {
	Items             []api.AuthSession `json:"items"`
	ContinuationToken string            `json:"continuationToken,omitempty" doc:"empty on the last page"`
}

// RevokeInput is the input of "auth.sessions.revoke".
type RevokeInput struct {
	ReferenceNumber string `json:"referenceNumber,omitempty" doc:"session to revoke; empty revokes the current one (the client then forgets its tokens)"`
}

// RevokeResult answers "auth.sessions.revoke".
type RevokeResult struct {
	Revoked string `json:"revoked" doc:"the reference number revoked"`
	Current bool   `json:"current" doc:"true when the client's own session was revoked"`
}

// AuthStatusResult answers "auth.info".
type AuthStatusResult struct {
	Authenticated bool           `json:"authenticated"`
	Auth          *ksef.AuthInfo `json:"auth,omitempty"`
}

func init() {
	register("auth.token", "Authenticate with a KSeF token: challenge, RSA-OAEP encrypted token, status polling, redeem. The client keeps the tokens (never returned) and the credential for re-authentication.", true, true,
		func(ctx context.Context, c *ksef.Client, in *TokenAuthInput) (*ksef.AuthInfo, error) {
			ci, err := in.ContextInput.Resolve()
			if err != nil {
				return nil, err
			}
			return c.AuthenticateWithToken(ctx, ksef.TokenAuth{Token: in.Token, Context: ci, Policy: in.AuthorizationPolicy})
		})
	register("auth.refresh", "Obtain a new access token now with the refresh token (re-authenticates with the stored credential when the refresh token is no longer valid).", true, true,
		func(ctx context.Context, c *ksef.Client, _ *Empty) (*ksef.AuthInfo, error) {
			return c.Refresh(ctx)
		})
	register("auth.info", "The client's current authentication (reference number, context, token validity), without any network call and without the tokens.", true, false,
		func(ctx context.Context, c *ksef.Client, _ *Empty) (*AuthStatusResult, error) {
			a := c.Auth()
			return &AuthStatusResult{Authenticated: a != nil, Auth: a}, nil
		})
	register("auth.sessions.list", "List the context's authentication sessions (GET /auth/sessions), one page or all.", true, true,
		func(ctx context.Context, c *ksef.Client, in *SessionsListInput) (*SessionsListResult, error) {
			if in.All {
				if in.ContinuationToken != "" {
					return nil, errs.Invalid("all", "all and continuationToken exclude each other")
				}
				items, err := c.AllAuthSessions(ctx)
				if err != nil {
					return nil, err
				}
				return &SessionsListResult{Items: items}, nil
			}
			p, err := c.AuthSessions(ctx, in.PageSize, in.ContinuationToken)
			if err != nil {
				return nil, err
			}
			return &SessionsListResult{Items: p.Items, ContinuationToken: p.ContinuationToken}, nil
		})
	register("auth.sessions.revoke", "Revoke an authentication session by reference number, or the current one.", true, true,
		func(ctx context.Context, c *ksef.Client, in *RevokeInput) (*RevokeResult, error) {
			cur := c.Auth()
			if cur == nil {
				return nil, errs.New(errs.NotAuthenticated, "the client is not authenticated")
			}
			isCurrent := in.ReferenceNumber == "" || in.ReferenceNumber == cur.ReferenceNumber
			if err := c.RevokeSession(ctx, in.ReferenceNumber); err != nil {
				return nil, err
			}
			ref := in.ReferenceNumber
			if isCurrent {
				ref = cur.ReferenceNumber
			}
			return &RevokeResult{Revoked: ref, Current: isCurrent}, nil
		})
}
