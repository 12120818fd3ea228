package profile

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"time"

	"github.com/ksefkit/ksefkit/core/env"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/secret"
)

// Overrides are the settings given explicitly — the ksef command's flags,
// a binding's arguments. Zero values leave a setting to the next layer.
type Overrides struct {
	Profile string
	Config  string
	// Environment is a name (test, demo, production and their aliases) or
	// a base URL; BaseURL is a base URL.
	Environment, BaseURL string
	NIP, ContextType     string
	// Auth, when set, replaces the profile's method (type, paths and
	// variable names).
	Auth                      *Auth
	PollInterval, PollTimeout time.Duration
}

// Sources are what a resolution reads.
type Sources struct {
	Env       Env
	Overrides Overrides
	// File, when set, is the configuration to use instead of reading the
	// file Overrides.Config / the environment point to.
	File *File
}

// Resolved is the outcome of a resolution: everything needed to create a
// client and authenticate, except the secrets (Credential reads those).
type Resolved struct {
	Profile     string                 `json:"profile,omitempty" doc:"the profile used; empty when none was selected"`
	ConfigPath  string                 `json:"configPath" doc:"the configuration file consulted"`
	ConfigFound bool                   `json:"configFound" doc:"whether that file exists"`
	Environment string                 `json:"environment,omitempty" doc:"test, demo or production; custom for a bare base URL; empty when no layer names one"`
	BaseURL     string                 `json:"baseUrl,omitempty" doc:"API base including /v2, when not the environment's own"`
	Context     *ids.ContextIdentifier `json:"context,omitempty" doc:"the context, when a NIP is known"`
	Auth        *Auth                  `json:"auth,omitempty" doc:"the authentication method with its paths and variable names — never a secret"`
	// Polling and requests, zero where no layer set them (defaults apply).
	PollInitialMs    int64 `json:"pollInitialMs,omitempty"`
	PollMaxMs        int64 `json:"pollMaxMs,omitempty"`
	PollTimeoutMs    int64 `json:"pollTimeoutMs,omitempty"`
	RequestTimeoutMs int64 `json:"requestTimeoutMs,omitempty"`
	MaxAttempts      int   `json:"maxAttempts,omitempty"`
	// Sources tells for each setting which layer decided it: "flag", the
	// variable's name, or "profile NAME".
	Sources map[string]string `json:"sources" doc:"for profile, config, environment, nip, contextType, auth, poll: flag, the variable's name, profile NAME, or default"`

	env Env
}

// Resolve applies the precedence flags > environment > profile (see the
// package documentation). Settings no layer has stay empty; invalid ones
// (an unknown profile, a bad NIP, an environment that is neither a name nor
// a URL) are errors. It reads the configuration file through hostfs.
func Resolve(ctx context.Context, src Sources) (*Resolved, error) {
	e, o := src.Env, src.Overrides
	if e == nil {
		e = Env{}
	}
	r := &Resolved{env: e, Sources: map[string]string{}}
	var err error
	if o.Config != "" {
		r.ConfigPath, r.Sources["config"] = e.expandHome(o.Config), "flag"
	} else {
		if r.ConfigPath, err = DefaultPath(e); err != nil {
			return nil, err
		}
		r.Sources["config"] = "default"
		if _, from := e.lookup(EnvConfig); from != "" {
			r.Sources["config"] = from
		}
	}
	f := src.File
	if f == nil {
		if f, r.ConfigFound, err = Load(ctx, r.ConfigPath); err != nil {
			return nil, err
		}
	} else {
		r.ConfigFound = true
	}

	name, from := f.Select(o.Profile, e)
	var p *Profile
	if name != "" {
		if p, err = f.Get(name); err != nil {
			return nil, err
		}
		if err := p.Validate(name); err != nil {
			return nil, err
		}
		r.Profile, r.Sources["profile"] = name, from
	}
	inProfile := "profile " + name

	// Environment and base URL: one setting, from the first layer naming either.
	envName, envFrom := e.lookup(EnvEnvironment)
	baseURL, baseFrom := e.lookup(EnvBaseURL)
	switch {
	case o.Environment != "" || o.BaseURL != "":
		err = r.setEnvironment(o.Environment, o.BaseURL, "flag")
	case envFrom != "" || baseFrom != "":
		err = r.setEnvironment(envName, baseURL, firstNonEmpty(envFrom, baseFrom))
	case p != nil:
		var base string
		if p.Ksefkit != nil {
			base = p.Ksefkit.BaseURL
		}
		err = r.setEnvironment(p.Environment, base, inProfile)
	}
	if err != nil {
		return nil, err
	}

	nip, nipFrom := o.NIP, "flag"
	if nip == "" {
		nip, nipFrom = e.lookup(EnvNIP)
	}
	ctype, ctFrom := o.ContextType, "flag"
	if ctype == "" {
		ctype, ctFrom = e.lookup(EnvContextType)
	}
	if p != nil {
		if nip == "" {
			nip, nipFrom = p.NIP, inProfile
		}
		if ctype == "" && p.Auth.ContextType != "" {
			ctype, ctFrom = p.Auth.ContextType, inProfile
		}
	}
	if nip != "" {
		ci := ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}
		if ctype != "" {
			if ci.Type, err = ids.ParseContextType(ctype); err != nil {
				return nil, errs.Invalid("contextType", "context type (%s, from %s): use nip, internal_id, nip_vat_ue or peppol_id", errs.Shape(ctype), ctFrom)
			}
			r.Sources["contextType"] = ctFrom
		}
		if err := ci.Validate(); err != nil {
			return nil, errs.Invalid("nip", "%v (from %s)", err, nipFrom)
		}
		r.Context, r.Sources["nip"] = &ci, nipFrom
	}

	// The authentication method.
	var a *Auth
	switch _, tokFrom := e.lookup(EnvToken); {
	case o.Auth != nil:
		c := *o.Auth
		a, r.Sources["auth"] = &c, "flag"
		if err := a.validate("auth", "the --auth flags"); err != nil {
			return nil, err
		}
	case tokFrom != "":
		a, r.Sources["auth"] = &Auth{Type: AuthToken}, tokFrom
	case p != nil:
		c := p.Auth
		a, r.Sources["auth"] = &c, inProfile
	}
	if a != nil {
		a.ContextType = ""
		a.Cert, a.Key, a.P12 = e.expandHome(a.Cert), e.expandHome(a.Key), e.expandHome(a.P12)
		r.Auth = a
	}

	r.setPolling(o, p, inProfile)
	return r, nil
}

// Select names the profile to use: explicit (a flag, an argument), else
// $KSEF_PROFILE (or $KSEF2_PROFILE), else the file's active_profile; from
// tells which. Both are empty when none is selected.
func (f *File) Select(explicit string, e Env) (name, from string) {
	switch {
	case explicit != "":
		return explicit, "flag"
	case e != nil:
		if v, from := e.lookup(EnvProfile); v != "" {
			return v, from
		}
	}
	if f.ActiveProfile != "" {
		return f.ActiveProfile, "active_profile"
	}
	return "", ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// setEnvironment records an environment given as a name, a URL in place of
// the name, and/or a base URL.
func (r *Resolved) setEnvironment(name, baseURL, from string) error {
	if isURL(name) {
		if baseURL != "" && baseURL != name {
			return errs.Invalid("environment", "two base URLs (from %s): %s and %s", from, errs.Shape(name), errs.Shape(baseURL))
		}
		name, baseURL = "", name
	}
	if name != "" {
		n, ok := EnvironmentName(name)
		if !ok {
			return errs.Invalid("environment", "environment (%s, from %s) is not test, demo, production or a base URL", errs.Shape(name), from)
		}
		name = n
	}
	if baseURL != "" {
		if !isURL(baseURL) {
			return errs.Invalid("baseUrl", "base URL (%s, from %s) is not an http(s) URL", errs.Shape(baseURL), from)
		}
		if name == "" {
			name = "custom"
		}
	}
	r.Environment, r.BaseURL, r.Sources["environment"] = name, baseURL, from
	return nil
}

// setPolling takes each polling and request setting from the flags, else
// the profile. ksef2's poll_interval is a fixed delay, so it is also the
// longest wait unless [ksefkit] poll_max says otherwise; its timeout is
// max_poll_attempts × poll_interval (or the legacy auth_timeout).
func (r *Resolved) setPolling(o Overrides, p *Profile, inProfile string) {
	ms := func(seconds float64) int64 { return int64(math.Round(seconds * 1000)) }
	from := ""
	if p != nil {
		s := p.Ksefkit
		if s == nil {
			s = &Settings{}
		}
		interval := p.PollInterval
		r.PollInitialMs, r.PollMaxMs = ms(interval), ms(interval)
		if s.PollMax != 0 {
			r.PollMaxMs = ms(s.PollMax)
		}
		switch {
		case s.PollTimeout != 0:
			r.PollTimeoutMs = ms(s.PollTimeout)
		case p.MaxPollAttempts != 0:
			if interval == 0 {
				interval = 1 // ksef2's default interval
			}
			r.PollTimeoutMs = ms(float64(p.MaxPollAttempts) * interval)
		case p.AuthTimeout != 0:
			r.PollTimeoutMs = ms(p.AuthTimeout)
		}
		r.RequestTimeoutMs, r.MaxAttempts = ms(s.RequestTimeout), s.MaxAttempts
		if r.PollInitialMs != 0 || r.PollMaxMs != 0 || r.PollTimeoutMs != 0 {
			from = inProfile
		}
	}
	if o.PollInterval != 0 {
		r.PollInitialMs, r.PollMaxMs, from = o.PollInterval.Milliseconds(), o.PollInterval.Milliseconds(), "flag"
	}
	if o.PollTimeout != 0 {
		r.PollTimeoutMs, from = o.PollTimeout.Milliseconds(), "flag"
	}
	if from != "" {
		r.Sources["poll"] = from
	}
}

// describe names the profile (or its absence) in messages.
func (r *Resolved) describe() string {
	if r.Profile == "" {
		return "no profile selected"
	}
	return "profile " + quote(r.Profile)
}

// Target returns the environment the settings point to.
func (r *Resolved) Target() (env.Environment, error) {
	if r.Environment == "" {
		return env.Environment{}, errs.Invalid("environment", "no environment: give --env test|demo|production|URL, set %s, or select a profile (%s)", EnvEnvironment, r.describe())
	}
	name := r.Environment
	if name == "custom" {
		name = ""
	}
	return env.Resolve(name, r.BaseURL)
}

// CheckEnvironment reports an error when the settings point elsewhere than
// e, the environment of the client that is to authenticate with them.
func (r *Resolved) CheckEnvironment(e env.Environment) error {
	t, err := r.Target()
	if err != nil {
		return err
	}
	if t.APIBase != e.APIBase {
		return errs.Invalid("environment", "%s is for %s (%s), but the client talks to %s (%s)", r.describe(), t.Name, t.APIBase, e.Name, e.APIBase)
	}
	return nil
}

// Credential is what authenticating needs besides the context: the secret
// of the method and the files it names, read just now.
type Credential struct {
	Method string
	// Token is the KSeF token (method token).
	Token secret.String
	// Certificate is the PEM certificate file (xades_pem) or the PKCS#12
	// file (xades_p12); Key the PEM key file (xades_pem).
	Certificate, Key []byte
	// Password of the key or PKCS#12 file; empty when none is named.
	Password secret.String
}

// Credential reads the secrets (from the environment) and the files (through
// hostfs) of the resolved method. A variable that is named but unset is an
// error naming the variable; its value, like every secret, never appears
// in an error.
func (r *Resolved) Credential(ctx context.Context) (*Credential, error) {
	if r.Auth == nil {
		return nil, errs.Invalid("auth", "no authentication method (%s): give --token-env VAR, --test-cert, --cert and --key, or --p12; or set %s", r.describe(), EnvToken)
	}
	a := r.Auth
	c := &Credential{Method: a.Type}
	var err error
	switch a.Type {
	case AuthToken:
		c.Token, err = r.secret(EnvToken, a.TokenEnv, "token_env", "the KSeF token", true)
	case AuthTestCertificate:
	case AuthXadesPEM:
		if c.Certificate, err = r.read(ctx, a.Cert, "cert"); err == nil {
			if c.Key, err = r.read(ctx, a.Key, "key"); err == nil {
				c.Password, err = r.secret(EnvKeyPassword, a.KeyPasswordEnv, "key_password_env", "the key's password", false)
			}
		}
	case AuthXadesP12:
		if c.Certificate, err = r.read(ctx, a.P12, "p12"); err == nil {
			c.Password, err = r.secret(EnvP12Password, a.P12PasswordEnv, "p12_password_env", "the PKCS#12 password", false)
		}
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// secret reads a secret: ksefkit's variable (or its KSEF2_ twin) wins;
// otherwise the variable the profile names, which must then be set.
func (r *Resolved) secret(ours, named, key, what string, required bool) (secret.String, error) {
	if v, _ := r.env.lookup(ours); v != "" {
		return secret.NewString(v), nil
	}
	if named != "" {
		if v := r.env[named]; v != "" {
			return secret.NewString(v), nil
		}
		return secret.String{}, errs.Invalid("auth."+key, "%s: %s is read from the environment variable %s, which is not set", r.describe(), what, named)
	}
	if required {
		return secret.String{}, errs.Invalid("auth."+key, "%s: no variable holds %s: set %s, or name one with auth.%s", r.describe(), what, ours, key)
	}
	return secret.String{}, nil
}

func (r *Resolved) read(ctx context.Context, path, key string) ([]byte, error) {
	b, err := hostfs.ReadFile(ctx, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, errs.Invalid("auth."+key, "%s: auth.%s %s does not exist", r.describe(), key, path)
	case err != nil:
		return nil, errs.Wrap(errs.InputInvalid, err, "%s: cannot read auth.%s", r.describe(), key)
	}
	return b, nil
}
