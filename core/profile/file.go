package profile

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
	"github.com/ksefkit/ksefkit/core/ids"
)

// The authentication methods (auth.type).
const (
	AuthToken           = "token"
	AuthTestCertificate = "test_certificate"
	AuthXadesPEM        = "xades_pem"
	AuthXadesP12        = "xades_p12"
)

// AuthTypes lists them in the order of ksef2's documentation.
var AuthTypes = []string{AuthToken, AuthTestCertificate, AuthXadesPEM, AuthXadesP12}

// Auth is a profile's [profiles.NAME.auth] table: the method and where
// its secrets are — paths and variable names, never values.
type Auth struct {
	Type           string `toml:"type" json:"type" doc:"token, test_certificate, xades_pem or xades_p12"`
	TokenEnv       string `toml:"token_env,omitempty" json:"tokenEnv,omitempty" doc:"name of the variable holding the KSeF token"`
	ContextType    string `toml:"context_type,omitempty" json:"contextType,omitempty" doc:"nip (default), internal_id, nip_vat_ue or peppol_id"`
	Cert           string `toml:"cert,omitempty" json:"cert,omitempty" doc:"PEM certificate path (xades_pem)"`
	Key            string `toml:"key,omitempty" json:"key,omitempty" doc:"PEM private key path (xades_pem)"`
	KeyPasswordEnv string `toml:"key_password_env,omitempty" json:"keyPasswordEnv,omitempty" doc:"name of the variable holding the key's password"`
	P12            string `toml:"p12,omitempty" json:"p12,omitempty" doc:"PKCS#12/PFX path (xades_p12)"`
	P12PasswordEnv string `toml:"p12_password_env,omitempty" json:"p12PasswordEnv,omitempty" doc:"name of the variable holding the PKCS#12 password"`
}

// Settings is ksefkit's own [profiles.NAME.ksefkit] table; ksef2 ignores it.
// Durations are seconds, like ksef2's poll_interval.
type Settings struct {
	BaseURL        string  `toml:"base_url,omitempty" json:"baseUrl,omitempty" doc:"API base including /v2 (the simulator, a proxy)"`
	PollMax        float64 `toml:"poll_max,omitempty" json:"pollMax,omitempty" doc:"seconds: longest wait between status checks"`
	PollTimeout    float64 `toml:"poll_timeout,omitempty" json:"pollTimeout,omitempty" doc:"seconds: give up waiting (wins over maxPollAttempts)"`
	RequestTimeout float64 `toml:"request_timeout,omitempty" json:"requestTimeout,omitempty" doc:"seconds per HTTP attempt"`
	MaxAttempts    int     `toml:"max_attempts,omitempty" json:"maxAttempts,omitempty" doc:"attempts per request, the first included"`
}

func (s *Settings) empty() bool { return s == nil || *s == Settings{} }

// Profile is one [profiles.NAME] table.
type Profile struct {
	Environment     string  `toml:"environment" json:"environment" doc:"test, demo, production, or a base URL"`
	NIP             string  `toml:"nip" json:"nip" doc:"the context value (a NIP for context type nip)"`
	PollInterval    float64 `toml:"poll_interval,omitempty" json:"pollInterval,omitempty" doc:"seconds between status checks (≥ 0.1)"`
	MaxPollAttempts int     `toml:"max_poll_attempts,omitempty" json:"maxPollAttempts,omitempty" doc:"ksef2: status checks before giving up"`
	// AuthTimeout is the flat key ksef2-cli 0.0.2 wrote; ksef2 reads it as
	// max_poll_attempts = ceil(auth_timeout / poll_interval), ksefkit as the
	// polling timeout.
	AuthTimeout float64   `toml:"auth_timeout,omitempty" json:"authTimeout,omitempty" doc:"seconds (ksef2-cli 0.0.2; deprecated there)"`
	Auth        Auth      `toml:"auth" json:"auth"`
	Ksefkit     *Settings `toml:"ksefkit,omitempty" json:"ksefkit,omitempty" doc:"ksefkit's own settings"`
}

// File is a configuration file: profiles by name and the active one. It
// remembers everything it was read from, so that writing it back keeps
// keys this version does not know (ksef2's newer ones, other tools').
type File struct {
	ActiveProfile string              `toml:"active_profile,omitempty"`
	Profiles      map[string]*Profile `toml:"profiles,omitempty"`

	// Unknown lists keys the file has that ksefkit does not use
	// ("profiles.x.auth.colour"); they are kept when the file is written.
	Unknown []string `toml:"-"`

	raw map[string]any
}

// NewFile returns an empty configuration.
func NewFile() *File { return &File{Profiles: map[string]*Profile{}} }

// Decode parses a configuration file. Only the TOML and the types of the
// values are checked here; a profile's settings are checked when it is
// used (Validate), so that one bad profile does not lock the others away.
func Decode(data []byte) (*File, error) {
	f := NewFile()
	md, err := toml.Decode(string(data), f)
	if err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "configuration file")
	}
	if _, err := toml.Decode(string(data), &f.raw); err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "configuration file")
	}
	for _, k := range md.Undecoded() {
		f.Unknown = append(f.Unknown, k.String())
	}
	if f.Profiles == nil {
		f.Profiles = map[string]*Profile{}
	}
	for name, p := range f.Profiles {
		if p == nil {
			f.Profiles[name] = &Profile{}
		}
	}
	return f, nil
}

// Load reads the configuration file at path through the host (hostfs). A
// file that does not exist is an empty configuration; exists tells which.
func Load(ctx context.Context, path string) (f *File, exists bool, err error) {
	data, err := hostfs.ReadFile(ctx, path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewFile(), false, nil
	}
	if err != nil {
		return nil, false, errs.Wrap(errs.InputInvalid, err, "cannot read the configuration file")
	}
	f, err = Decode(data)
	if err != nil {
		e := errs.As(err)
		e.Message = path + ": " + e.Message
		e.Field = "config"
		return nil, true, e
	}
	return f, true, nil
}

// header is written at the top of every file (TOML comments).
const header = `# ksefkit profiles (the schema of ksef2/ksef2-cli; [profiles.NAME.ksefkit] holds ksefkit's own settings).
# Secrets are never stored here: *_env keys name the environment variables that hold them.
`

// Encode renders the configuration as TOML: the known settings from the
// struct, every other key as it was read.
func (f *File) Encode() ([]byte, error) {
	root := maps.Clone(f.raw)
	if root == nil {
		root = map[string]any{}
	}
	put(root, "active_profile", f.ActiveProfile, f.ActiveProfile != "")
	old, _ := root["profiles"].(map[string]any)
	profiles := map[string]any{}
	for name, p := range f.Profiles {
		prev, _ := old[name].(map[string]any)
		profiles[name] = p.toMap(prev)
	}
	put(root, "profiles", profiles, len(profiles) > 0)
	var b bytes.Buffer
	b.WriteString(header)
	if err := toml.NewEncoder(&b).Encode(root); err != nil {
		return nil, errs.Wrap(errs.Internal, err, "encoding the configuration")
	}
	return b.Bytes(), nil
}

// put sets m[k] = v when present, else removes k.
func put(m map[string]any, k string, v any, present bool) {
	if present {
		m[k] = v
	} else {
		delete(m, k)
	}
}

func (p *Profile) toMap(prev map[string]any) map[string]any {
	m := maps.Clone(prev)
	if m == nil {
		m = map[string]any{}
	}
	m["environment"], m["nip"] = p.Environment, p.NIP
	put(m, "poll_interval", p.PollInterval, p.PollInterval != 0)
	put(m, "max_poll_attempts", int64(p.MaxPollAttempts), p.MaxPollAttempts != 0)
	put(m, "auth_timeout", p.AuthTimeout, p.AuthTimeout != 0)

	prevAuth, _ := prev["auth"].(map[string]any)
	a := maps.Clone(prevAuth)
	if a == nil {
		a = map[string]any{}
	}
	a["type"] = p.Auth.Type
	for k, v := range map[string]string{
		"token_env": p.Auth.TokenEnv, "context_type": p.Auth.ContextType, "cert": p.Auth.Cert, "key": p.Auth.Key,
		"key_password_env": p.Auth.KeyPasswordEnv, "p12": p.Auth.P12, "p12_password_env": p.Auth.P12PasswordEnv,
	} {
		put(a, k, v, v != "")
	}
	m["auth"] = a

	prevOwn, _ := prev["ksefkit"].(map[string]any)
	own := maps.Clone(prevOwn)
	if own == nil {
		own = map[string]any{}
	}
	s := p.Ksefkit
	if s == nil {
		s = &Settings{}
	}
	put(own, "base_url", s.BaseURL, s.BaseURL != "")
	put(own, "poll_max", s.PollMax, s.PollMax != 0)
	put(own, "poll_timeout", s.PollTimeout, s.PollTimeout != 0)
	put(own, "request_timeout", s.RequestTimeout, s.RequestTimeout != 0)
	put(own, "max_attempts", int64(s.MaxAttempts), s.MaxAttempts != 0)
	put(m, "ksefkit", own, len(own) > 0)
	return m
}

// Save writes the file atomically with mode 0600 (it names credentials'
// locations; ksef2 uses the same mode), creating its directory (0700).
func (f *File) Save(path string) error {
	data, err := f.Encode()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return errs.Wrap(errs.InputInvalid, err, "cannot create the configuration directory")
	}
	tmp, err := os.CreateTemp(dir, ".config-*.toml")
	if err != nil {
		return errs.Wrap(errs.InputInvalid, err, "cannot write the configuration file")
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return errs.Wrap(errs.InputInvalid, err, "cannot write the configuration file")
	}
	if err := tmp.Close(); err != nil {
		return errs.Wrap(errs.InputInvalid, err, "cannot write the configuration file")
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return errs.Wrap(errs.InputInvalid, err, "cannot write the configuration file")
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return errs.Wrap(errs.InputInvalid, err, "cannot write the configuration file")
	}
	return nil
}

// Names returns the profile names, sorted.
func (f *File) Names() []string { return slices.Sorted(maps.Keys(f.Profiles)) }

// Get returns the named profile.
func (f *File) Get(name string) (*Profile, error) {
	p := f.Profiles[name]
	if p == nil {
		msg := "no profile by that name (" + errs.Shape(name) + ")"
		if len(f.Profiles) > 0 {
			msg += " (profiles: " + strings.Join(f.Names(), ", ") + ")"
		}
		return nil, errs.Invalid("profile", "%s", msg)
	}
	return p, nil
}

// CheckName accepts the names ksef2 writes as bare TOML keys: letters,
// digits, '-' and '_'.
func CheckName(name string) error {
	if name == "" {
		return errs.Invalid("profile", "a profile name is required")
	}
	for _, r := range name {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return errs.Invalid("profile", "profile name %s may contain only letters, digits, '-' and '_'", quote(name))
		}
	}
	return nil
}

// Normalize rewrites p in the spellings ksef2 accepts: environment test,
// demo or production (a base URL moves to [ksefkit] base_url with
// environment test — the simulator stands in for TEST), context_type in
// snake case.
func (p *Profile) Normalize() {
	if isURL(p.Environment) {
		if p.Ksefkit == nil {
			p.Ksefkit = &Settings{}
		}
		p.Ksefkit.BaseURL, p.Environment = p.Environment, "test"
	}
	if n, ok := EnvironmentName(p.Environment); ok {
		p.Environment = n
	}
	if t, err := ids.ParseContextType(p.Auth.ContextType); err == nil {
		p.Auth.ContextType = ContextTypeName(t)
	}
	if p.Ksefkit.empty() {
		p.Ksefkit = nil
	}
}

// Put stores p, normalised, as name (replacing an existing one only with
// replace) and makes it active when activate is set.
func (f *File) Put(name string, p *Profile, activate, replace bool) error {
	if err := CheckName(name); err != nil {
		return err
	}
	p.Normalize()
	if err := p.Validate(name); err != nil {
		return err
	}
	if _, exists := f.Profiles[name]; exists && !replace {
		return errs.Invalid("profile", "profile %s already exists (replace it with --force)", quote(name))
	}
	f.Profiles[name] = p
	if activate {
		f.ActiveProfile = name
	}
	return nil
}

// Use makes name the active profile.
func (f *File) Use(name string) error {
	if _, err := f.Get(name); err != nil {
		return err
	}
	f.ActiveProfile = name
	return nil
}

// Delete removes a profile; no profile is active afterwards if it was.
func (f *File) Delete(name string) error {
	if _, err := f.Get(name); err != nil {
		return err
	}
	delete(f.Profiles, name)
	if raw, ok := f.raw["profiles"].(map[string]any); ok {
		delete(raw, name)
	}
	if f.ActiveProfile == name {
		f.ActiveProfile = ""
	}
	return nil
}

func quote(s string) string { return `"` + s + `"` }

// ksef2 spells context types in snake case; it rejects the others.
var ksef2ContextTypes = map[ids.ContextType]string{
	ids.ContextNip: "nip", ids.ContextInternalID: "internal_id", ids.ContextNipVatUe: "nip_vat_ue", ids.ContextPeppolID: "peppol_id",
}

// ContextTypeName is how a profile spells a context type ("internal_id").
func ContextTypeName(t ids.ContextType) string { return ksef2ContextTypes[t] }

// EnvironmentName is how a profile spells an environment: test, demo or
// production ("prod" and the other aliases of package env normalised).
func EnvironmentName(name string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "test", "te":
		return "test", true
	case "demo", "tr", "preprod":
		return "demo", true
	case "production", "prod", "prd":
		return "production", true
	}
	return "", false
}

// isURL reports whether s is meant as a base URL rather than a name.
func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Validate checks a profile the way it will be used (and so that ksef2
// can read it too).
func (p *Profile) Validate(name string) error {
	field := func(f string) string { return "profiles." + name + "." + f }
	if _, ok := EnvironmentName(p.Environment); !ok && !isURL(p.Environment) {
		return errs.Invalid(field("environment"), "profile %s: environment %s is not test, demo, production or a base URL", quote(name), quote(p.Environment))
	}
	ct := ids.ContextNip
	if p.Auth.ContextType != "" {
		t, err := ids.ParseContextType(p.Auth.ContextType)
		if err != nil {
			return errs.Invalid(field("auth.context_type"), "profile %s: context_type %s: use nip, internal_id, nip_vat_ue or peppol_id", quote(name), quote(p.Auth.ContextType))
		}
		ct = t
	}
	if err := (ids.ContextIdentifier{Type: ct, Value: p.NIP}).Validate(); err != nil {
		return errs.Invalid(field("nip"), "profile %s: %v", quote(name), err)
	}
	if p.PollInterval != 0 && p.PollInterval < 0.1 {
		return errs.Invalid(field("poll_interval"), "profile %s: poll_interval must be at least 0.1 seconds", quote(name))
	}
	if p.MaxPollAttempts < 0 || p.AuthTimeout < 0 {
		return errs.Invalid(field("max_poll_attempts"), "profile %s: polling limits must be positive", quote(name))
	}
	if s := p.Ksefkit; s != nil {
		if s.BaseURL != "" && !isURL(s.BaseURL) {
			return errs.Invalid(field("ksefkit.base_url"), "profile %s: base_url (%s) is not an http(s) URL", quote(name), errs.Shape(s.BaseURL))
		}
		if s.PollMax < 0 || s.PollTimeout < 0 || s.RequestTimeout < 0 || s.MaxAttempts < 0 {
			return errs.Invalid(field("ksefkit"), "profile %s: ksefkit durations and attempts must be positive", quote(name))
		}
	}
	return p.Auth.validate(field("auth"), "profile "+quote(name))
}

// validate checks that the method has what it needs (as ksef2 does).
func (a *Auth) validate(field, who string) error {
	switch a.Type {
	case AuthToken:
		// token_env may be absent when KSEF_TOKEN supplies the token;
		// Credential reports which is missing.
	case AuthTestCertificate:
	case AuthXadesPEM:
		if a.Cert == "" || a.Key == "" {
			return errs.Invalid(field+".cert", "%s: xades_pem needs auth.cert and auth.key", who)
		}
	case AuthXadesP12:
		if a.P12 == "" {
			return errs.Invalid(field+".p12", "%s: xades_p12 needs auth.p12", who)
		}
	default:
		return errs.Invalid(field+".type", "%s: auth.type (%s) is not one of %s", who, errs.Shape(a.Type), strings.Join(AuthTypes, ", "))
	}
	for k, v := range map[string]string{"token_env": a.TokenEnv, "key_password_env": a.KeyPasswordEnv, "p12_password_env": a.P12PasswordEnv} {
		if v != "" && !validVarName(v) {
			// The value is not shown: it may be a secret pasted in the wrong place.
			return errs.Invalid(field+"."+k, "%s: %s must be the NAME of an environment variable (letters, digits, '_') — secrets never go into the file", who, k)
		}
	}
	return nil
}

// validVarName accepts POSIX-style environment variable names. A value that
// is not one is most likely a secret pasted where its variable's name belongs.
func validVarName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != "" && len(s) <= 128
}

// Import copies profiles from src (ksef2's file) into f: all of them, or
// the names given. Existing profiles are replaced only with replace. Keys
// of src that ksefkit does not know are copied too. When f has no active
// profile, src's becomes it (if imported). It returns the names imported.
func (f *File) Import(src *File, names []string, replace bool) ([]string, error) {
	if len(names) == 0 {
		names = src.Names()
	}
	for _, name := range names {
		p, err := src.Get(name)
		if err != nil {
			return nil, err
		}
		if err := p.Validate(name); err != nil {
			return nil, err
		}
		if _, exists := f.Profiles[name]; exists && !replace {
			return nil, errs.Invalid("profile", "profile %s already exists here (replace it with --force)", quote(name))
		}
	}
	srcRaw, _ := src.raw["profiles"].(map[string]any)
	for _, name := range names {
		c := *src.Profiles[name]
		f.Profiles[name] = &c
		if raw, ok := srcRaw[name].(map[string]any); ok {
			if f.raw == nil {
				f.raw = map[string]any{}
			}
			dst, _ := f.raw["profiles"].(map[string]any)
			if dst == nil {
				dst = map[string]any{}
				f.raw["profiles"] = dst
			}
			dst[name] = raw
		}
	}
	if f.ActiveProfile == "" && slices.Contains(names, src.ActiveProfile) {
		f.ActiveProfile = src.ActiveProfile
	}
	return names, nil
}
