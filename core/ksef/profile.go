package ksef

import (
	"context"

	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/env"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/profile"
	"github.com/ksefkit/ksefkit/core/xades"
)

// FromProfile creates a client for a profile's environment and
// authenticates it as the profile says. name may be empty: then
// $KSEF_PROFILE, then the file's active profile. Settings come from the
// process environment over the profile (package profile has the precedence
// table); secrets only from the variables the profile names.
func FromProfile(ctx context.Context, name string) (*Client, error) {
	r, err := profile.Resolve(ctx, profile.Sources{Env: profile.OSEnv(), Overrides: profile.Overrides{Profile: name}})
	if err != nil {
		return nil, err
	}
	j, err := ProfileConfig(r)
	if err != nil {
		return nil, err
	}
	cfg, err := j.Config()
	if err != nil {
		return nil, err
	}
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := c.AuthenticateWithProfile(ctx, r); err != nil {
		return nil, err
	}
	return c, nil
}

// ProfileConfig is the client configuration resolved settings describe:
// environment, base URL, polling and request limits.
func ProfileConfig(r *profile.Resolved) (JSONConfig, error) {
	t, err := r.Target()
	if err != nil {
		return JSONConfig{}, err
	}
	j := JSONConfig{
		PollInitialMs: r.PollInitialMs, PollMaxMs: r.PollMaxMs, PollTimeoutMs: r.PollTimeoutMs,
		RequestTimeoutMs: r.RequestTimeoutMs, MaxAttempts: r.MaxAttempts,
	}
	if r.BaseURL != "" {
		j.BaseURL = t.APIBase
	}
	if r.Environment != "custom" {
		j.Environment = r.Environment
	}
	return j, nil
}

// AuthenticateWithProfile authenticates with resolved settings (see
// profile.Resolve). They must point to the client's own environment; the
// client's polling settings apply.
func (c *Client) AuthenticateWithProfile(ctx context.Context, r *profile.Resolved) (*AuthInfo, error) {
	if err := r.CheckEnvironment(c.env); err != nil {
		return nil, err
	}
	if r.Context == nil {
		return nil, errs.Invalid("nip", "no NIP to authenticate in: give --nip, set %s, or select a profile", profile.EnvNIP)
	}
	cred, err := r.Credential(ctx)
	if err != nil {
		return nil, err
	}
	switch cred.Method {
	case profile.AuthToken:
		return c.AuthenticateWithToken(ctx, TokenAuth{Token: cred.Token, Context: *r.Context})
	case profile.AuthTestCertificate:
		return c.AuthenticateWithTestCertificate(ctx, *r.Context)
	}
	cc, err := certs.Load(cred.Certificate, cred.Key, []byte(cred.Password.Reveal()))
	if err != nil {
		return nil, err
	}
	if cc.Signer == nil {
		return nil, errs.Invalid("auth.key", "the certificate file holds no private key")
	}
	s, err := xades.NewSigner(cc.Signer, cc.Certificate)
	if err != nil {
		return nil, err
	}
	return c.Authenticate(ctx, &auth.XAdES{Signer: s, Ctx: *r.Context})
}

// AuthenticateWithTestCertificate generates a self-signed company-seal
// certificate for the context's NIP and authenticates with it (XAdES). Only
// TEST (and the simulator, which stands in for it) accepts such
// certificates; against PRODUCTION it is refused before anything is sent.
func (c *Client) AuthenticateWithTestCertificate(ctx context.Context, ci ids.ContextIdentifier) (*AuthInfo, error) {
	if c.env.APIBase == env.Production.APIBase {
		return nil, errs.Invalid("environment", "test certificates are refused against PRODUCTION: authenticate with a KSeF token or a real certificate there")
	}
	if err := ci.Validate(); err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "context")
	}
	nip := ci.Value
	switch ci.Type {
	case ids.ContextNip:
	case ids.ContextInternalID, ids.ContextNipVatUe:
		nip = ci.Value[:10]
	default:
		return nil, errs.Invalid("context", "a test certificate carries a NIP; a %s context has none", ci.Type)
	}
	tc, err := certs.GenerateTest(certs.TestOptions{Kind: "seal", NIP: nip})
	if err != nil {
		return nil, err
	}
	s, err := xades.NewSigner(tc.Credential.Signer, tc.Credential.Certificate)
	if err != nil {
		return nil, err
	}
	return c.Authenticate(ctx, &auth.XAdES{Signer: s, Ctx: ci})
}
