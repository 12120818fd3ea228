package ops

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/profile"
)

// ProfileInput selects a profile and the layers over it (package profile
// documents the precedence: these fields > environ > the profile).
type ProfileInput struct {
	Profile string      `json:"profile,omitempty" doc:"profile name; default KSEF_PROFILE, then the file's active_profile"`
	Config  string      `json:"config,omitempty" doc:"configuration file; default KSEF_CONFIG, then $XDG_CONFIG_HOME/ksefkit/config.toml (~/.config/ksefkit/config.toml)"`
	Environ profile.Env `json:"environ,omitempty" doc:"the environment variables to resolve with — the bindings pass their process's; default the environment the core sees: none in ksef.wasm, a snapshot taken when libksef.so was loaded"`
	// The ksef command's flags; a binding's explicit arguments.
	Environment    string        `json:"environment,omitempty" doc:"test, demo, production or a base URL (over KSEF_ENV and the profile)"`
	BaseURL        string        `json:"baseUrl,omitempty"`
	Nip            string        `json:"nip,omitempty"`
	ContextType    string        `json:"contextType,omitempty" doc:"nip, internal_id, nip_vat_ue or peppol_id"`
	Auth           *profile.Auth `json:"auth,omitempty" doc:"an authentication method replacing the profile's (paths and variable names, never secrets)"`
	PollIntervalMs int64         `json:"pollIntervalMs,omitempty"`
	PollTimeoutMs  int64         `json:"pollTimeoutMs,omitempty"`
}

// Printed, a ProfileInput names the variables it carries, never their
// values (KSEF_TOKEN, the key passwords); its JSON is how it reaches the core.
func (in ProfileInput) String() string {
	return "ProfileInput{profile " + in.Profile + ", " + in.Environ.String() + "}"
}
func (in ProfileInput) GoString() string           { return in.String() }
func (in ProfileInput) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, in.String()) }
func (in ProfileInput) LogValue() slog.Value       { return slog.StringValue(in.String()) }

func (in *ProfileInput) sources() profile.Sources {
	e := in.Environ
	if in.Environ == nil {
		e = profile.OSEnv()
	}
	return profile.Sources{Env: e, Overrides: profile.Overrides{
		Profile: in.Profile, Config: in.Config, Environment: in.Environment, BaseURL: in.BaseURL,
		NIP: in.Nip, ContextType: in.ContextType, Auth: in.Auth,
		PollInterval: time.Duration(in.PollIntervalMs) * time.Millisecond, PollTimeout: time.Duration(in.PollTimeoutMs) * time.Millisecond,
	}}
}

// Resolve runs the resolution the input describes.
func (in *ProfileInput) Resolve(ctx context.Context) (*profile.Resolved, error) {
	return profile.Resolve(ctx, in.sources())
}

// ProfileResolveResult answers "profile.resolve".
type ProfileResolveResult struct {
	profile.Resolved
	Client ksef.JSONConfig `json:"client" doc:"the client configuration these settings describe: create the client with it"`
}

// ProfileListResult answers "profile.list".
type ProfileListResult struct {
	ConfigPath  string            `json:"configPath"`
	ConfigFound bool              `json:"configFound"`
	Active      string            `json:"active,omitempty" doc:"the file's active_profile"`
	Profiles    []ProfileListItem `json:"profiles"`
	Unknown     []string          `json:"unknown,omitempty" doc:"keys of the file ksefkit does not use (kept when it writes the file)"`
}

// ProfileListItem is one profile of "profile.list".
type ProfileListItem struct {
	Name        string `json:"name"`
	Active      bool   `json:"active"`
	Environment string `json:"environment"`
	BaseURL     string `json:"baseUrl,omitempty"`
	Nip         string `json:"nip"`
	Auth        string `json:"auth" doc:"the auth.type"`
}

// ProfileShowResult answers "profile.show".
type ProfileShowResult struct {
	Name       string          `json:"name"`
	Active     bool            `json:"active"`
	ConfigPath string          `json:"configPath"`
	Profile    profile.Profile `json:"profile" doc:"the profile as stored: paths and variable names, never secrets"`
}

// configFile finds and reads the configuration file of the input.
func (in *ProfileInput) configFile(ctx context.Context) (string, *profile.File, bool, error) {
	src := in.sources()
	path := in.Config
	if path == "" {
		var err error
		if path, err = profile.DefaultPath(src.Env); err != nil {
			return "", nil, false, err
		}
	}
	f, found, err := profile.Load(ctx, path)
	return path, f, found, err
}

// ProfileShow reads the profile the input selects, as stored.
func ProfileShow(ctx context.Context, in *ProfileInput) (*ProfileShowResult, error) {
	path, f, _, err := in.configFile(ctx)
	if err != nil {
		return nil, err
	}
	name, _ := f.Select(in.Profile, in.sources().Env)
	if name == "" {
		return nil, noProfile()
	}
	p, err := f.Get(name)
	if err != nil {
		return nil, err
	}
	return &ProfileShowResult{Name: name, Active: name == f.ActiveProfile, ConfigPath: path, Profile: *p}, nil
}

// ProfileList lists the profiles of the input's configuration file.
func ProfileList(ctx context.Context, in *ProfileInput) (*ProfileListResult, error) {
	path, f, found, err := in.configFile(ctx)
	if err != nil {
		return nil, err
	}
	res := &ProfileListResult{ConfigPath: path, ConfigFound: found, Active: f.ActiveProfile, Profiles: []ProfileListItem{}, Unknown: f.Unknown}
	for _, name := range f.Names() {
		p := f.Profiles[name]
		item := ProfileListItem{Name: name, Active: name == f.ActiveProfile, Environment: p.Environment, Nip: p.NIP, Auth: p.Auth.Type}
		if p.Ksefkit != nil {
			item.BaseURL = p.Ksefkit.BaseURL
		}
		res.Profiles = append(res.Profiles, item)
	}
	return res, nil
}

func init() {
	register("profile.resolve", "Resolve the settings of a profile with the environment over it (flags/arguments > environment variables > profile): environment, context, authentication method (never a secret), polling, which layer decided each, and the client configuration they describe.", false, false,
		func(ctx context.Context, _ *ksef.Client, in *ProfileInput) (*ProfileResolveResult, error) {
			r, err := in.Resolve(ctx)
			if err != nil {
				return nil, err
			}
			j, err := ksef.ProfileConfig(r)
			if err != nil {
				return nil, err
			}
			return &ProfileResolveResult{Resolved: *r, Client: j}, nil
		}).HostFiles = true
	register("profile.list", "The profiles of the configuration file (name, environment, NIP, auth type) and which is active.", false, false,
		func(ctx context.Context, _ *ksef.Client, in *ProfileInput) (*ProfileListResult, error) {
			return ProfileList(ctx, in)
		}).HostFiles = true
	register("profile.show", "One profile as stored (paths and variable names, never secrets): the one named, else KSEF_PROFILE, else the active one.", false, false,
		func(ctx context.Context, _ *ksef.Client, in *ProfileInput) (*ProfileShowResult, error) {
			return ProfileShow(ctx, in)
		}).HostFiles = true
	register("auth.profile", "Authenticate the client as a profile says (token from the variable it names, a generated test certificate, or a PEM / PKCS#12 certificate it points to). The profile's environment must be the client's.", true, true,
		func(ctx context.Context, c *ksef.Client, in *ProfileInput) (*ksef.AuthInfo, error) {
			r, err := in.Resolve(ctx)
			if err != nil {
				return nil, err
			}
			return c.AuthenticateWithProfile(ctx, r)
		}).HostFiles = true
	register("auth.test_certificate", "Generate a self-signed company-seal certificate for the NIP and authenticate with it (XAdES) in one call — for TEST and the simulator; refused against PRODUCTION.", true, true,
		func(ctx context.Context, c *ksef.Client, in *ContextInput) (*ksef.AuthInfo, error) {
			ci, err := in.Resolve()
			if err != nil {
				return nil, err
			}
			return c.AuthenticateWithTestCertificate(ctx, ci)
		})
}

func noProfile() error {
	return errs.Invalid("profile", "no profile selected: name one, set %s, or make one active (ksef profile use NAME)", profile.EnvProfile)
}
