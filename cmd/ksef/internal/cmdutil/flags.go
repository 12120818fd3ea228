package cmdutil

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/profile"
)

// GlobalFlags are the flags every command takes, spelt as ksef2-cli spells
// them. They are the top layer of the resolution (flags > environment >
// profile); `profile create` saves them into a profile.
type GlobalFlags struct {
	JSON bool

	Profile, Config      string
	Environment, BaseURL string
	NIP, ContextType     string

	TokenEnv         string
	TestCert         bool
	Cert, Key        string
	KeyPasswordEnv   string
	P12              string
	P12PasswordEnv   string
	AuthPollInterval time.Duration
	AuthTimeout      time.Duration
}

// Register defines the flags on fs (the root command's persistent flags).
func (g *GlobalFlags) Register(fs *pflag.FlagSet) {
	fs.BoolVar(&g.JSON, "json", false, "print the result as JSON (the operation's result, see docs/ops.md); errors as JSON on stderr")
	fs.StringVar(&g.Profile, "profile", "", "`NAME` of the profile to use (default $KSEF_PROFILE, then the active profile)")
	fs.StringVar(&g.Config, "config", "", "configuration `file` (default $KSEF_CONFIG, then ~/.config/ksefkit/config.toml)")
	fs.StringVarP(&g.Environment, "env", "e", "", "KSeF `environment`: test, demo, production, or a base URL (the simulator)")
	fs.StringVar(&g.BaseURL, "base-url", "", "API base `URL` including /v2 (the simulator, a proxy)")
	fs.StringVar(&g.NIP, "nip", "", "context `NIP` (the taxpayer you act for)")
	fs.StringVar(&g.ContextType, "context-type", "", "context `type`: nip (default), internal_id, nip_vat_ue, peppol_id")
	fs.StringVar(&g.TokenEnv, "token-env", "", "authenticate with the KSeF token held by this environment `VARIABLE`")
	fs.BoolVar(&g.TestCert, "test-cert", false, "authenticate with a generated test certificate (TEST, simulator)")
	fs.StringVar(&g.Cert, "cert", "", "PEM certificate `file` (XAdES); with --key")
	fs.StringVar(&g.Key, "key", "", "PEM private key `file`")
	fs.StringVar(&g.KeyPasswordEnv, "key-password-env", "", "environment `VARIABLE` holding the key's password")
	fs.StringVar(&g.P12, "p12", "", "PKCS#12/PFX `file` (XAdES)")
	fs.StringVar(&g.P12PasswordEnv, "p12-password-env", "", "environment `VARIABLE` holding the PKCS#12 password")
	fs.DurationVar(&g.AuthPollInterval, "auth-poll-interval", 0, "wait between authentication status checks (e.g. 1s)")
	fs.DurationVar(&g.AuthTimeout, "auth-timeout", 0, "give up authenticating after (e.g. 2m)")
}

// Auth is the authentication method the flags name, or nil. Naming more
// than one is a usage error.
func (g *GlobalFlags) Auth() (*profile.Auth, error) {
	var methods []*profile.Auth
	if g.TokenEnv != "" {
		methods = append(methods, &profile.Auth{Type: profile.AuthToken, TokenEnv: g.TokenEnv})
	}
	if g.TestCert {
		methods = append(methods, &profile.Auth{Type: profile.AuthTestCertificate})
	}
	if g.Cert != "" || g.Key != "" {
		if g.Cert == "" || g.Key == "" {
			return nil, errs.Invalid("cert", "--cert and --key go together")
		}
		methods = append(methods, &profile.Auth{Type: profile.AuthXadesPEM, Cert: absPath(g.Cert), Key: absPath(g.Key), KeyPasswordEnv: g.KeyPasswordEnv})
	}
	if g.P12 != "" {
		methods = append(methods, &profile.Auth{Type: profile.AuthXadesP12, P12: absPath(g.P12), P12PasswordEnv: g.P12PasswordEnv})
	}
	switch len(methods) {
	case 0:
		if g.KeyPasswordEnv != "" || g.P12PasswordEnv != "" {
			return nil, errs.Invalid("auth", "--key-password-env and --p12-password-env go with --cert/--key and --p12")
		}
		return nil, nil
	case 1:
		return methods[0], nil
	}
	return nil, errs.Invalid("auth", "give one authentication method: --token-env, --test-cert, --cert with --key, or --p12")
}
