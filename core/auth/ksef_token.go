package auth

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"unicode"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ippolicy"
	"github.com/ksefkit/ksefkit/core/pubkeys"
	"github.com/ksefkit/ksefkit/core/secret"
)

// KSeFToken authenticates with a KSeF token (POST /auth/ksef-token).
type KSeFToken struct {
	// Token is the whole token string as KSeF issued it (it contains '|'
	// separators itself). Secret: it prints, logs and marshals as
	// [redacted].
	Token  secret.String
	Ctx    ids.ContextIdentifier
	Policy *ippolicy.Policy
}

// Method implements Credential.
func (k *KSeFToken) Method() string { return "ksef-token" }

// Context implements Credential.
func (k *KSeFToken) Context() ids.ContextIdentifier { return k.Ctx }

// String never shows the token (value receiver: %v of a KSeFToken value
// and of a pointer are alike).
func (k KSeFToken) String() string {
	return "KSeFToken{context " + k.Ctx.String() + ", token " + secret.Redacted + "}"
}

// GoString never shows the token either (%#v).
func (k KSeFToken) GoString() string { return k.String() }

// Validate checks the context, the policy and the token's shape.
func (k *KSeFToken) Validate() error {
	if err := k.Ctx.Validate(); err != nil {
		return errs.Wrap(errs.InputInvalid, err, "context")
	}
	if err := k.Policy.Validate(); err != nil {
		return err
	}
	t := k.Token.Reveal()
	if t == "" {
		return errs.Invalid("token", "KSeF token is empty")
	}
	if strings.TrimSpace(t) != t {
		return errs.Invalid("token", "KSeF token has leading or trailing whitespace (copy-paste damage?)")
	}
	if len(t) > 1024 {
		return errs.Invalid("token", "KSeF token is %d characters long; real tokens are at most 160", len(t))
	}
	for _, r := range t {
		if r > unicode.MaxASCII || unicode.IsControl(r) || unicode.IsSpace(r) {
			return errs.Invalid("token", "KSeF token contains a character that never occurs in real tokens (non-ASCII, space or control)")
		}
	}
	return nil
}

// Start encrypts "token|timestampMs" with the current KsefTokenEncryption key.
func (k *KSeFToken) Start(ctx context.Context, f *Flow, ch *api.ChallengeResponse) (*api.AuthInitResponse, error) {
	if f.Keys == nil {
		return nil, errs.New(errs.Internal, "no public key store configured")
	}
	key, err := f.Keys.Get(ctx, pubkeys.KsefTokenEncryption)
	if err != nil {
		return nil, err
	}
	// timestampMs, not the string timestamp: converting the 7-digit
	// fractional timestamp yourself invites rounding bugs (ksef-api#306).
	plain := []byte(k.Token.Reveal() + "|" + strconv.FormatInt(ch.TimestampMs, 10))
	enc, err := key.EncryptOAEP(plain)
	clear(plain)
	if err != nil {
		return nil, err
	}
	req := &api.KsefTokenRequest{
		Challenge:         ch.Challenge,
		ContextIdentifier: k.Ctx,
		EncryptedToken:    base64.StdEncoding.EncodeToString(enc),
		PublicKeyID:       key.ID,
	}
	if !k.Policy.Empty() {
		req.AuthorizationPolicy = k.Policy
	}
	return f.API.KsefToken(ctx, req)
}
