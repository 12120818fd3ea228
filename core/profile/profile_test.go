package profile

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/env"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/secret"
)

func mustPut(t *testing.T, f *File, name string, p *Profile, activate bool) {
	t.Helper()
	if err := f.Put(name, p, activate, false); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) *File {
	t.Helper()
	f, exists, err := Load(context.Background(), path)
	if err != nil || !exists {
		t.Fatalf("load %s: %v (exists %v)", path, err, exists)
	}
	return f
}

// Files in ksef2-cli 1.0's schema (written from its documentation) load,
// every profile validates, and nothing is unknown to ksefkit.
func TestKsef2Files(t *testing.T) {
	f := mustRead(t, "testdata/ksef2-cli-1.0.toml")
	if f.ActiveProfile != "demo-client" || len(f.Profiles) != 5 || len(f.Unknown) != 0 {
		t.Fatalf("active %q, %d profiles, unknown %v", f.ActiveProfile, len(f.Profiles), f.Unknown)
	}
	for _, name := range f.Names() {
		if err := f.Profiles[name].Validate(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	want := Profile{Environment: "production", NIP: "5261040828", PollInterval: 2, MaxPollAttempts: 90,
		Auth: Auth{Type: AuthToken, TokenEnv: "KSEF2_PROD_TOKEN", ContextType: "nip"}}
	if got := *f.Profiles["prod-client"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("prod-client = %+v", got)
	}
	if a := f.Profiles["demo-pem"].Auth; a.Cert != "company.pem" || a.KeyPasswordEnv != "KSEF2_KEY_PASSWORD" {
		t.Fatalf("demo-pem auth %+v", a)
	}
	if a := f.Profiles["prod-p12"].Auth; a.P12 != "signing-credentials.p12" || a.P12PasswordEnv != "KSEF2_P12_PASSWORD" {
		t.Fatalf("prod-p12 auth %+v", a)
	}
	r, err := Resolve(context.Background(), Sources{Env: Env{"HOME": "/h"}, File: f, Overrides: Overrides{Profile: "internal unit"}})
	if err != nil || r.Context.Type != ids.ContextInternalID || r.Context.Value != "5261040828-00001" {
		t.Fatalf("internal_id profile: %+v, %v", r, err)
	}

	old := mustRead(t, "testdata/ksef2-cli-0.0.2.toml")
	r, err = Resolve(context.Background(), Sources{Env: Env{"HOME": "/h"}, File: old})
	if err != nil || r.PollTimeoutMs != 30000 || r.PollInitialMs != 500 || r.PollMaxMs != 500 {
		t.Fatalf("legacy auth_timeout: %+v, %v", r, err)
	}
}

// Our own files round-trip, and keys we do not know survive a rewrite.
func TestRoundTripKeepsUnknownKeys(t *testing.T) {
	src := `theme = "dark"
active_profile = "sim"

[profiles.sim]
environment = "test"
nip = "5265877635"
colour = "red"

[profiles.sim.auth]
type = "token"
token_env = "SIM_TOKEN"
future_key = true

[profiles.sim.ksefkit]
base_url = "http://127.0.0.1:8080/v2"
poll_timeout = 30.0
max_attempts = 3
`
	f, err := Decode([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Unknown, ","); got != "theme,profiles.sim.colour,profiles.sim.auth.future_key" {
		t.Fatalf("unknown keys %q", got)
	}
	out, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	g, err := Decode(out)
	if err != nil {
		t.Fatalf("re-read: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(g.Profiles, f.Profiles) || g.ActiveProfile != f.ActiveProfile || !reflect.DeepEqual(g.Unknown, f.Unknown) {
		t.Fatalf("round trip changed the file:\n%s", out)
	}
	// A change of method drops the old method's keys, keeps unknown ones.
	g.Profiles["sim"].Auth = Auth{Type: AuthTestCertificate}
	out, _ = g.Encode()
	h, _ := Decode(out)
	if h.Profiles["sim"].Auth.TokenEnv != "" || !strings.Contains(string(out), "future_key") || !strings.Contains(string(out), "colour") {
		t.Fatalf("after changing the method:\n%s", out)
	}
	if err := h.Delete("sim"); err != nil || h.ActiveProfile != "" {
		t.Fatal(err)
	}
	out, _ = h.Encode()
	if strings.Contains(string(out), "colour") || !strings.Contains(string(out), "theme") {
		t.Fatalf("after delete:\n%s", out)
	}
}

// What ksefkit writes is what ksef2 reads: its environment names, its
// context type spellings, and a base URL only in ksefkit's own table.
func TestWrittenForKsef2(t *testing.T) {
	f := NewFile()
	p := &Profile{Environment: "http://127.0.0.1:9999/v2", NIP: "5265877635", Auth: Auth{Type: AuthToken, TokenEnv: "T", ContextType: "InternalId"}}
	p.NIP = "5265877635-00042"
	if err := f.Put("sim", p, true, false); err != nil {
		t.Fatal(err)
	}
	if err := f.Put("prod", &Profile{Environment: "prod", NIP: "5265877635", Auth: Auth{Type: AuthTestCertificate}}, false, false); err != nil {
		t.Fatal(err)
	}
	out, _ := f.Encode()
	for _, want := range []string{`environment = "test"`, `environment = "production"`, `context_type = "internal_id"`, `base_url = "http://127.0.0.1:9999/v2"`, `active_profile = "sim"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
	if err := f.Put("sim", p, false, false); err == nil {
		t.Fatal("an existing profile was replaced without replace")
	}
	for _, bad := range []string{"has space", "", "ąę"} {
		if err := f.Put(bad, &Profile{Environment: "test", NIP: "5265877635", Auth: Auth{Type: AuthTestCertificate}}, false, false); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}

// A secret never reaches the file, and a secret pasted where a variable
// name belongs is refused without being repeated.
func TestSecretsNeverInTheFile(t *testing.T) {
	const tok = "20260101-EC-0123456789-0123456789-01|nip-5265877635|deadbeefcafe"
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	f := NewFile()
	if err := f.Put("p", &Profile{Environment: "test", NIP: "5265877635", Auth: Auth{Type: AuthToken, TokenEnv: "MY_TOKEN"}}, true, false); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	e := Env{"HOME": dir, EnvConfig: path, "MY_TOKEN": tok}
	r, err := Resolve(context.Background(), Sources{Env: e})
	if err != nil {
		t.Fatal(err)
	}
	cred, err := r.Credential(context.Background())
	if err != nil || cred.Token.Reveal() != tok {
		t.Fatalf("credential: %v", err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), tok) || strings.Contains(string(data), "deadbeef") {
		t.Fatalf("secret in the file:\n%s", data)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	err = f.Put("q", &Profile{Environment: "test", NIP: "5265877635", Auth: Auth{Type: AuthToken, TokenEnv: tok}}, false, false)
	if err == nil || strings.Contains(err.Error(), "deadbeef") || errs.As(err).Field != "profiles.q.auth.token_env" {
		t.Fatalf("pasted token: %v", err)
	}
}

func TestMissingSecretVariableIsNamed(t *testing.T) {
	f := NewFile()
	mustPut(t, f, "tok", &Profile{Environment: "test", NIP: "5265877635", Auth: Auth{Type: AuthToken, TokenEnv: "ACME_TOKEN"}}, true)
	mustPut(t, f, "bare", &Profile{Environment: "test", NIP: "5265877635", Auth: Auth{Type: AuthToken}}, false)
	mustPut(t, f, "p12", &Profile{Environment: "test", NIP: "5265877635", Auth: Auth{Type: AuthXadesP12, P12: "x.p12", P12PasswordEnv: "ACME_P12_PW"}}, false)
	for _, c := range []struct{ profile, want string }{
		{"tok", "environment variable ACME_TOKEN, which is not set"},
		{"bare", "set KSEF_TOKEN, or name one with auth.token_env"},
	} {
		r, err := Resolve(context.Background(), Sources{Env: Env{"HOME": "/h"}, File: f, Overrides: Overrides{Profile: c.profile}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Credential(context.Background())
		if e := errs.As(err); e == nil || e.Code != errs.InputInvalid || !strings.Contains(e.Message, c.want) {
			t.Errorf("%s: %v", c.profile, err)
		}
	}
	// The p12 file is read first; with it present, the missing password
	// variable is reported by name.
	dir := t.TempDir()
	tc, err := certs.GenerateTest(certs.TestOptions{Kind: "seal", NIP: "5265877635", Password: secret.NewString("pw")})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "x.p12"), tc.PKCS12, 0o600)
	f.Profiles["p12"].Auth.P12 = filepath.Join(dir, "x.p12")
	r, _ := Resolve(context.Background(), Sources{Env: Env{"HOME": "/h"}, File: f, Overrides: Overrides{Profile: "p12"}})
	if _, err := r.Credential(context.Background()); err == nil || !strings.Contains(err.Error(), "ACME_P12_PW") {
		t.Fatalf("p12 password: %v", err)
	}
	r.env["ACME_P12_PW"] = "pw"
	if c, err := r.Credential(context.Background()); err != nil || c.Password.Reveal() != "pw" || len(c.Certificate) == 0 {
		t.Fatalf("p12 credential: %v", err)
	}
	f.Profiles["p12"].Auth.P12 = filepath.Join(dir, "gone.p12")
	r, _ = Resolve(context.Background(), Sources{Env: Env{"HOME": "/h"}, File: f, Overrides: Overrides{Profile: "p12"}})
	if _, err := r.Credential(context.Background()); err == nil || !strings.Contains(err.Error(), "gone.p12 does not exist") {
		t.Fatalf("missing p12: %v", err)
	}
}

func TestEnvironmentMismatch(t *testing.T) {
	f := NewFile()
	mustPut(t, f, "demo", &Profile{Environment: "demo", NIP: "5265877635", Auth: Auth{Type: AuthTestCertificate}}, true)
	mustPut(t, f, "sim", &Profile{Environment: "http://127.0.0.1:1234/v2", NIP: "5265877635", Auth: Auth{Type: AuthTestCertificate}}, false)
	r, _ := Resolve(context.Background(), Sources{Env: Env{"HOME": "/h"}, File: f})
	err := r.CheckEnvironment(env.Test)
	if e := errs.As(err); e == nil || e.Field != "environment" || !strings.Contains(e.Message, `profile "demo" is for demo`) || !strings.Contains(e.Message, "client talks to test") {
		t.Fatalf("mismatch: %v", err)
	}
	if err := r.CheckEnvironment(env.Demo); err != nil {
		t.Fatal(err)
	}
	r, _ = Resolve(context.Background(), Sources{Env: Env{"HOME": "/h"}, File: f, Overrides: Overrides{Profile: "sim"}})
	sim, _ := env.Custom("http://127.0.0.1:1234/v2", true)
	if err := r.CheckEnvironment(sim); err != nil {
		t.Fatalf("simulator profile: %v", err)
	}
	if err := r.CheckEnvironment(env.Test); err == nil {
		t.Fatal("a simulator profile matched the real TEST")
	}
}

// The precedence table of the package documentation, row by row.
func TestPrecedence(t *testing.T) {
	f := NewFile()
	mustPut(t, f, "file", &Profile{
		Environment: "demo", NIP: "5265877635", PollInterval: 2, MaxPollAttempts: 10,
		Auth:    Auth{Type: AuthToken, TokenEnv: "FILE_TOKEN", ContextType: "nip"},
		Ksefkit: &Settings{PollMax: 8, RequestTimeout: 5, MaxAttempts: 2},
	}, true)
	mustPut(t, f, "other", &Profile{Environment: "test", NIP: "7010003009", Auth: Auth{Type: AuthTestCertificate}}, false)
	const nip2, badNIP = "1234563218", "1234563219"
	type want struct {
		profile, environment, baseURL, nip, auth string
		sources                                  map[string]string
	}
	for _, c := range []struct {
		name string
		env  Env
		o    Overrides
		want want
	}{
		{"profile only", Env{}, Overrides{},
			want{"file", "demo", "", "5265877635", AuthToken, map[string]string{"profile": "active_profile", "environment": "profile file", "nip": "profile file", "auth": "profile file"}}},
		{"environment over profile", Env{EnvEnvironment: "test", EnvNIP: nip2, EnvToken: "t", EnvProfile: "other"}, Overrides{},
			want{"other", "test", "", nip2, AuthToken, map[string]string{"profile": EnvProfile, "environment": EnvEnvironment, "nip": EnvNIP, "auth": EnvToken}}},
		{"ksef2 twins when ours are unset or empty", Env{"KSEF2_ENV": "production", "KSEF2_NIP": nip2, "KSEF_NIP": "", "KSEF2_PROFILE": "other", "KSEF2_TOKEN": "t"}, Overrides{},
			want{"other", "production", "", nip2, AuthToken, map[string]string{"profile": "KSEF2_PROFILE", "environment": "KSEF2_ENV", "nip": "KSEF2_NIP", "auth": "KSEF2_TOKEN"}}},
		{"ours over the twins", Env{"KSEF_ENV": "demo", "KSEF2_ENV": "production"}, Overrides{},
			want{"file", "demo", "", "5265877635", AuthToken, map[string]string{"environment": "KSEF_ENV"}}},
		{"flags over everything", Env{EnvEnvironment: "demo", EnvNIP: nip2, EnvToken: "t", EnvProfile: "other"},
			Overrides{Profile: "file", Environment: "http://127.0.0.1:5/v2", NIP: badNIP, Auth: &Auth{Type: AuthTestCertificate}},
			want{"file", "custom", "http://127.0.0.1:5/v2", "", "", nil}},
		{"a base URL alone comes with its own environment", Env{EnvBaseURL: "http://127.0.0.1:7/v2"}, Overrides{},
			want{"file", "custom", "http://127.0.0.1:7/v2", "5265877635", AuthToken, map[string]string{"environment": EnvBaseURL}}},
		{"no profile at all", Env{EnvEnvironment: "test", EnvNIP: nip2}, Overrides{Config: "/nowhere.toml"},
			want{"", "test", "", nip2, "", map[string]string{"config": "flag", "environment": EnvEnvironment}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.env["HOME"] = "/h"
			src := Sources{Env: c.env, Overrides: c.o, File: f}
			if c.o.Config != "" {
				src.File = nil
			}
			r, err := Resolve(context.Background(), src)
			if c.name == "flags over everything" {
				// badNIP fails its checksum: the flag layer is read
				// (and reported with its source) even when it is wrong.
				if e := errs.As(err); e == nil || e.Field != "nip" || !strings.Contains(e.Message, "from flag") {
					t.Fatalf("bad NIP from a flag: %v", err)
				}
				c.o.NIP = nip2
				if r, err = Resolve(context.Background(), Sources{Env: c.env, Overrides: c.o, File: f}); err != nil {
					t.Fatal(err)
				}
				c.want.nip, c.want.auth = nip2, AuthTestCertificate
				c.want.sources = map[string]string{"profile": "flag", "environment": "flag", "nip": "flag", "auth": "flag"}
			} else if err != nil {
				t.Fatal(err)
			}
			got := want{r.Profile, r.Environment, r.BaseURL, "", "", nil}
			if r.Context != nil {
				got.nip = r.Context.Value
			}
			if r.Auth != nil {
				got.auth = r.Auth.Type
			}
			w := c.want
			w.sources = nil
			if !reflect.DeepEqual(got, w) {
				t.Fatalf("got %+v, want %+v", got, w)
			}
			for k, v := range c.want.sources {
				if r.Sources[k] != v {
					t.Errorf("source of %s = %q, want %q (all: %v)", k, r.Sources[k], v, r.Sources)
				}
			}
		})
	}
}

func TestPollingAndRequestSettings(t *testing.T) {
	f := NewFile()
	mustPut(t, f, "p", &Profile{Environment: "test", NIP: "5265877635", PollInterval: 2, MaxPollAttempts: 10,
		Auth: Auth{Type: AuthTestCertificate}, Ksefkit: &Settings{PollMax: 8, RequestTimeout: 5, MaxAttempts: 2}}, true)
	r, _ := Resolve(context.Background(), Sources{Env: Env{"HOME": "/h"}, File: f})
	if r.PollInitialMs != 2000 || r.PollMaxMs != 8000 || r.PollTimeoutMs != 20000 || r.RequestTimeoutMs != 5000 || r.MaxAttempts != 2 || r.Sources["poll"] != "profile p" {
		t.Fatalf("profile polling: %+v", r)
	}
	r, _ = Resolve(context.Background(), Sources{Env: Env{"HOME": "/h"}, File: f, Overrides: Overrides{PollInterval: 100 * time.Millisecond, PollTimeout: time.Minute}})
	if r.PollInitialMs != 100 || r.PollMaxMs != 100 || r.PollTimeoutMs != 60000 || r.Sources["poll"] != "flag" {
		t.Fatalf("flag polling: %+v", r)
	}
}

func TestDefaultPaths(t *testing.T) {
	for _, c := range []struct {
		env  Env
		want string
	}{
		{Env{"HOME": "/home/u"}, "/home/u/.config/ksefkit/config.toml"},
		{Env{"HOME": "/home/u", "XDG_CONFIG_HOME": "/xdg"}, "/xdg/ksefkit/config.toml"},
		{Env{"HOME": "/home/u", "KSEF2_CONFIG": "~/k2.toml"}, "/home/u/k2.toml"},
		{Env{"HOME": "/home/u", "KSEF2_CONFIG": "/k2.toml", "KSEF_CONFIG": "/k.toml"}, "/k.toml"},
	} {
		if got, err := DefaultPath(c.env); err != nil || got != c.want {
			t.Errorf("%v: %s, %v", c.env, got, err)
		}
	}
	if _, err := DefaultPath(Env{}); err == nil {
		t.Fatal("no HOME, no XDG_CONFIG_HOME: a path was invented")
	}
	got, _ := Ksef2Paths(Env{"HOME": "/home/u"})
	if strings.Join(got, " ") != "/home/u/.config/ksef2/config.toml /home/u/.config/ksef2-cli/config.toml" {
		t.Fatalf("ksef2 paths %v", got)
	}
}

func TestImport(t *testing.T) {
	src := mustRead(t, "testdata/ksef2-cli-1.0.toml")
	src.raw["profiles"].(map[string]any)["demo-pem"].(map[string]any)["newer_ksef2_key"] = 1
	dst := NewFile()
	dst.Put("demo-pem", &Profile{Environment: "test", NIP: "5265877635", Auth: Auth{Type: AuthTestCertificate}}, false, false)
	if _, err := dst.Import(src, nil, false); err == nil {
		t.Fatal("an existing profile was replaced without --force")
	}
	names, err := dst.Import(src, nil, true)
	if err != nil || len(names) != 5 || dst.ActiveProfile != "demo-client" || dst.Profiles["demo-pem"].Environment != "demo" {
		t.Fatalf("import: %v %v %q", names, err, dst.ActiveProfile)
	}
	out, _ := dst.Encode()
	if !strings.Contains(string(out), "newer_ksef2_key") {
		t.Fatalf("ksef2's unknown keys were not copied:\n%s", out)
	}
	if _, err := NewFile().Import(src, []string{"nope"}, false); err == nil {
		t.Fatal("an unknown name was imported")
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[profiles.x]\nenvironment = 3\n"), 0o600)
	if _, _, err := Load(context.Background(), bad); errs.CodeOf(err) != errs.InputInvalid || !strings.Contains(err.Error(), bad) {
		t.Fatalf("bad types: %v", err)
	}
	if f, exists, err := Load(context.Background(), filepath.Join(dir, "none.toml")); err != nil || exists || len(f.Profiles) != 0 {
		t.Fatalf("missing file: %v %v", exists, err)
	}
	f := NewFile()
	f.Profiles["broken"] = &Profile{Environment: "staging", NIP: "5265877635", Auth: Auth{Type: AuthToken}}
	f.ActiveProfile = "broken"
	if _, err := Resolve(context.Background(), Sources{Env: Env{"HOME": "/h"}, File: f}); err == nil || !strings.Contains(err.Error(), "staging") {
		t.Fatalf("bad environment: %v", err)
	}
	if _, err := Resolve(context.Background(), Sources{Env: Env{"HOME": "/h"}, File: f, Overrides: Overrides{Profile: "nope"}}); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("unknown profile should list the known ones: %v", err)
	}
}
