// Package cmdutil is what every ksef command shares: the global flags, a
// Factory that resolves settings and builds the client lazily (only commands
// that talk to KSeF pay for it), the auth state kept between commands, the
// output in JSON or for people, and the exit codes.
package cmdutil

import (
	"context"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/iostreams"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/profile"
)

// Factory hands commands what they need. Nothing is resolved or connected
// until a command asks.
type Factory struct {
	Ctx   context.Context
	IO    *iostreams.IOStreams
	Env   profile.Env
	Flags GlobalFlags
	Ops   *ops.Table

	resolved *ops.ProfileResolveResult
	client   *ksef.Client
	authed   bool
}

// NewFactory returns a factory over the process's (or a test's) streams and
// environment.
func NewFactory(ctx context.Context, io *iostreams.IOStreams, env profile.Env) *Factory {
	return &Factory{Ctx: ctx, IO: io, Env: env, Ops: ops.Default()}
}

// ProfileInput is the input of the profile operations: the global flags
// over the environment over the profile.
func (f *Factory) ProfileInput() (*ops.ProfileInput, error) {
	a, err := f.Flags.Auth()
	if err != nil {
		return nil, err
	}
	g := f.Flags
	return &ops.ProfileInput{
		Profile: g.Profile, Config: absPath(g.Config), Environ: f.Env,
		Environment: g.Environment, BaseURL: g.BaseURL, Nip: g.NIP, ContextType: g.ContextType, Auth: a,
		PollIntervalMs: g.AuthPollInterval.Milliseconds(), PollTimeoutMs: g.AuthTimeout.Milliseconds(),
	}, nil
}

// Resolved runs profile.resolve once.
func (f *Factory) Resolved() (*ops.ProfileResolveResult, error) {
	if f.resolved != nil {
		return f.resolved, nil
	}
	in, err := f.ProfileInput()
	if err != nil {
		return nil, err
	}
	r, err := ops.Invoke[ops.ProfileInput, ops.ProfileResolveResult](f.Ctx, f.Ops, nil, "profile.resolve", in)
	if err != nil {
		return nil, err
	}
	f.resolved = r
	return r, nil
}

// Client builds the client for the resolved environment, not authenticated.
func (f *Factory) Client() (*ksef.Client, error) {
	if f.client != nil {
		return f.client, nil
	}
	r, err := f.Resolved()
	if err != nil {
		return nil, err
	}
	j := r.Client
	j.UserAgent = "ksef-cli/" + ksef.Version
	cfg, err := j.Config()
	if err != nil {
		return nil, err
	}
	if f.client, err = ksef.New(cfg); err != nil {
		return nil, err
	}
	return f.client, nil
}

// AuthedClient returns a client with tokens: those kept by an earlier
// `ksef auth login` for these settings, or else from authenticating now as
// the settings say (and kept for the next command).
func (f *Factory) AuthedClient() (*ksef.Client, error) {
	c, err := f.Client()
	if err != nil || f.authed {
		return c, err
	}
	restored, err := f.restoreAuth(c)
	if err != nil {
		return nil, err
	}
	if !restored {
		if _, err := f.Login(); err != nil {
			return nil, err
		}
	}
	f.authed = true
	return c, nil
}

// Login authenticates as the settings say (operation auth.profile) and
// keeps the tokens for the following commands.
func (f *Factory) Login() (*ksef.AuthInfo, error) {
	c, err := f.Client()
	if err != nil {
		return nil, err
	}
	in, err := f.ProfileInput()
	if err != nil {
		return nil, err
	}
	info, err := ops.Invoke[ops.ProfileInput, ksef.AuthInfo](f.Ctx, f.Ops, c, "auth.profile", in)
	if err != nil {
		return nil, err
	}
	f.authed = true
	return info, f.SaveAuth()
}

// Finish keeps the client's tokens after a command that used them (they
// may have been refreshed).
func (f *Factory) Finish() error {
	if !f.authed || f.client == nil || f.client.Auth() == nil {
		return nil
	}
	return f.SaveAuth()
}

// requireAuth is the error of a command that needs an authentication the
// kept state does not have.
func notLoggedIn() error {
	return errs.New(errs.NotAuthenticated, "not logged in for these settings: run `ksef auth login`")
}
