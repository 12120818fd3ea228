package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/secret"
)

// SavedTokens is an authentication as a service persists it across
// restarts (the refresh token lives up to 7 days; re-authenticating on every
// start wastes rate limits). It contains secrets: store it like a password.
//
// Its JSON is its purpose (auth.tokens.export is the one operation whose
// result holds secrets), so it marshals the tokens; every printed form —
// fmt's verbs, String, GoString, slog — shows them redacted.
type SavedTokens struct {
	ReferenceNumber string                `json:"referenceNumber"`
	Context         ids.ContextIdentifier `json:"context"`
	Method          string                `json:"method,omitempty"`
	AccessToken     savedToken            `json:"accessToken" doc:"{token, validUntil}"`
	RefreshToken    savedToken            `json:"refreshToken" doc:"{token, validUntil}"`
	AuthenticatedAt time.Time             `json:"authenticatedAt,omitzero"`
}

// savedToken is api.TokenInfo as exported: the token stays a secret.String
// (it never prints) and is revealed in MarshalJSON only, on purpose.
type savedToken struct {
	Token      secret.String `json:"token" secret:"exported"`
	ValidUntil time.Time     `json:"validUntil"`
}

// MarshalJSON writes the token itself: this is the export the caller asked for.
func (t savedToken) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Token      string    `json:"token"`
		ValidUntil time.Time `json:"validUntil"`
	}{t.Token.Reveal(), t.ValidUntil})
}

func (s SavedTokens) String() string {
	return fmt.Sprintf("SavedTokens{reference %s, context %s, refresh valid until %s, tokens %s}",
		s.ReferenceNumber, s.Context, s.RefreshToken.ValidUntil.Format(time.RFC3339), secret.Redacted)
}
func (s SavedTokens) GoString() string           { return s.String() }
func (s SavedTokens) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }
func (s SavedTokens) LogValue() slog.Value       { return slog.StringValue(s.String()) }

func init() {
	register("auth.tokens.export", "The client's current tokens, for a service that persists them across restarts (SECRET: store like a password). The credential used to authenticate is not exported.", true, false,
		func(_ context.Context, c *ksef.Client, _ *Empty) (*SavedTokens, error) {
			t := c.Tokens()
			if t == nil {
				return nil, errs.New(errs.NotAuthenticated, "the client is not authenticated: nothing to export")
			}
			return &SavedTokens{
				ReferenceNumber: t.ReferenceNumber, Context: t.Context, Method: t.Method, AuthenticatedAt: t.AuthenticatedAt,
				AccessToken:  savedToken{Token: t.Access.Token, ValidUntil: t.Access.ValidUntil.Time},
				RefreshToken: savedToken{Token: t.Refresh.Token, ValidUntil: t.Refresh.ValidUntil.Time},
			}, nil
		})
	register("auth.tokens.restore", "Install tokens saved by auth.tokens.export. The client refreshes them as usual; when the refresh token expires it cannot authenticate again by itself (no credential was saved) — authenticate anew then.", true, false,
		func(_ context.Context, c *ksef.Client, in *SavedTokens) (*ksef.AuthInfo, error) {
			if in.ReferenceNumber == "" {
				return nil, errs.Invalid("referenceNumber", "referenceNumber is required")
			}
			if err := in.Context.Validate(); err != nil {
				return nil, errs.Wrap(errs.InputInvalid, err, "context")
			}
			if in.AccessToken.Token.IsZero() || in.RefreshToken.Token.IsZero() {
				return nil, errs.Invalid("refreshToken", "accessToken.token and refreshToken.token are required")
			}
			if !in.RefreshToken.ValidUntil.After(time.Now()) {
				return nil, errs.Invalid("refreshToken", "the refresh token expired at %s: authenticate again", in.RefreshToken.ValidUntil.Format(time.RFC3339))
			}
			c.RestoreTokens(&auth.Tokens{
				ReferenceNumber: in.ReferenceNumber, Context: in.Context, Method: in.Method, AuthenticatedAt: in.AuthenticatedAt,
				Access:  api.TokenInfo{Token: in.AccessToken.Token, ValidUntil: api.Time{Time: in.AccessToken.ValidUntil}},
				Refresh: api.TokenInfo{Token: in.RefreshToken.Token, ValidUntil: api.Time{Time: in.RefreshToken.ValidUntil}},
			})
			return c.Auth(), nil
		})
}
