package ops

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

type simWorld struct {
	sim   *sim.Server
	nip   string
	token string
	dir   string
}

func startSimWorld(t *testing.T, opts sim.Options) *simWorld {
	t.Helper()
	opts.AuthDelay = sim.NoAuthDelay
	s := simtest.Start(t, opts)
	nip := ids.RandomNIP()
	tok, err := s.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip},
		Permissions: []string{"InvoiceRead", "InvoiceWrite", "CredentialsManage"}})
	if err != nil {
		t.Fatal(err)
	}
	return &simWorld{sim: s, nip: nip, token: tok.Token, dir: t.TempDir()}
}

func (w *simWorld) client(t *testing.T) *ksef.Client {
	t.Helper()
	c, err := ksef.New(ksef.Config{Environment: "test", BaseURL: w.sim.URL(), Poll: fast})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var fast = ksef.Config{}.Poll

func init() {
	fast.Initial, fast.Max, fast.Timeout = 10*time.Millisecond, 50*time.Millisecond, 5*time.Second
}

// writeConfig writes a configuration file with one profile per auth method.
func (w *simWorld) writeConfig(t *testing.T) string {
	t.Helper()
	tc, err := certs.GenerateTest(certs.TestOptions{Kind: "seal", NIP: w.nip, Password: secret.NewString("p12-secret")})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"seal.pem": tc.CertificatePEM, "seal.key": tc.KeyPEM, "seal.p12": tc.PKCS12} {
		os.WriteFile(filepath.Join(w.dir, name), data, 0o600)
	}
	text := `active_profile = "tok"
`
	for _, p := range []struct{ name, auth string }{
		{"tok", `type = "token"` + "\n" + `token_env = "SIM_TOKEN"`},
		{"cert", `type = "test_certificate"`},
		{"pem", `type = "xades_pem"` + "\n" + `cert = "` + filepath.Join(w.dir, "seal.pem") + `"` + "\n" + `key = "` + filepath.Join(w.dir, "seal.key") + `"`},
		{"p12", `type = "xades_p12"` + "\n" + `p12 = "` + filepath.Join(w.dir, "seal.p12") + `"` + "\n" + `p12_password_env = "SIM_P12_PASSWORD"`},
	} {
		text += "\n[profiles." + p.name + "]\nenvironment = \"test\"\nnip = \"" + w.nip + "\"\n[profiles." + p.name + ".auth]\n" + p.auth +
			"\n[profiles." + p.name + ".ksefkit]\nbase_url = \"" + w.sim.URL() + "\"\n"
	}
	path := filepath.Join(w.dir, "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAuthProfileEveryMethod(t *testing.T) {
	w := startSimWorld(t, sim.Options{})
	path := w.writeConfig(t)
	environ := map[string]string{"HOME": w.dir, "SIM_TOKEN": w.token, "SIM_P12_PASSWORD": "p12-secret"}
	for _, name := range []string{"tok", "cert", "pem", "p12"} {
		c := w.client(t)
		in, _ := json.Marshal(ProfileInput{Profile: name, Config: path, Environ: environ})
		out := Default().Call(context.Background(), c, "auth.profile", in)
		if !strings.Contains(string(out), `"ok":true`) || !strings.Contains(string(out), w.nip) {
			t.Errorf("%s: %s", name, out)
		}
		if strings.Contains(string(out), w.token) || strings.Contains(string(out), "p12-secret") {
			t.Errorf("%s: a secret in the envelope", name)
		}
	}

	// profile.resolve gives what creating the client needs, and no secret.
	in, _ := json.Marshal(ProfileInput{Config: path, Environ: environ})
	out := string(Default().Call(context.Background(), nil, "profile.resolve", in))
	if !strings.Contains(out, `"baseUrl":"`+w.sim.URL()+`"`) || !strings.Contains(out, `"profile":"tok"`) || strings.Contains(out, w.token) {
		t.Fatalf("profile.resolve: %s", out)
	}

	// A missing variable is named; the value of the others never shows.
	c := w.client(t)
	in, _ = json.Marshal(ProfileInput{Profile: "p12", Config: path, Environ: map[string]string{"HOME": w.dir, "SIM_TOKEN": w.token}})
	var env struct {
		OK    bool        `json:"ok"`
		Error *errs.Error `json:"error"`
	}
	json.Unmarshal(Default().Call(context.Background(), c, "auth.profile", in), &env)
	if env.OK || env.Error.Code != errs.InputInvalid || !strings.Contains(env.Error.Message, "SIM_P12_PASSWORD") {
		t.Fatalf("missing variable: %+v", env.Error)
	}

	// A profile for another environment than the client's.
	demo, _ := ksef.New(ksef.Config{Environment: "demo", BaseURL: "http://127.0.0.1:1/v2"})
	json.Unmarshal(Default().Call(context.Background(), demo, "auth.profile", []byte(`{"profile":"tok","config":"`+path+`","environ":{"HOME":"/h"}}`)), &env)
	if env.OK || env.Error.Field != "environment" || !strings.Contains(env.Error.Message, "client talks to demo (http://127.0.0.1:1/v2)") {
		t.Fatalf("environment mismatch: %+v", env.Error)
	}
}

func TestTestCertificateRefusedAgainstProduction(t *testing.T) {
	// Refused before any request; a request would fail the test (and never
	// leave the machine).
	prod, err := ksef.New(ksef.Config{Environment: "production", Doer: transport.DoerFunc(func(context.Context, *transport.Request) (*transport.Response, error) {
		t.Error("a request was sent to PRODUCTION")
		return nil, errs.New(errs.Transport, "refused by the test")
	})})
	if err != nil {
		t.Fatal(err)
	}
	e := call(t, prod, "auth.test_certificate", `{"nip":"5265877635"}`)
	if e.OK || e.Error.Code != "input.invalid" || !strings.Contains(e.Error.Message, "PRODUCTION") {
		t.Fatalf("production: %+v", e.Error)
	}
}

func TestTestCertificateAgainstTheSimulator(t *testing.T) {
	w := startSimWorld(t, sim.Options{})
	e := call(t, w.client(t), "auth.test_certificate", `{"nip":"`+w.nip+`"}`)
	if !e.OK || !strings.Contains(string(e.Result), `"method":"xades"`) {
		t.Fatalf("auth.test_certificate: %+v %s", e.Error, e.Result)
	}
}

// tokens.generate: a wait that times out is result data next to the token.
func TestGeneratedTokenSurvivesAFailedWait(t *testing.T) {
	w := startSimWorld(t, sim.Options{TokenActivationDelay: time.Hour})
	c, err := ksef.New(ksef.Config{Environment: "test", BaseURL: w.sim.URL(), Poll: ksef.Config{}.Poll})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthenticateWithToken(context.Background(), ksef.TokenAuth{Token: secret.NewString(w.token), Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: w.nip}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	res, err := Invoke[TokensGenerateInput, TokensGenerateResult](ctx, Default(), c, "tokens.generate",
		&TokensGenerateInput{Permissions: []string{"InvoiceRead"}, Description: "survives the wait", Wait: true})
	if err != nil {
		t.Fatalf("the operation failed and lost the token: %v", err)
	}
	if !strings.HasPrefix(res.Token, res.ReferenceNumber+"|") || res.Status != "Pending" || res.WaitError == nil || res.WaitError.Code != errs.Timeout || res.WaitError.ReferenceNumber != res.ReferenceNumber {
		t.Fatalf("result %+v / %+v", res, res.WaitError)
	}
	// Waiting again with the reference alone resumes.
	get := call(t, c, "tokens.get", `{"referenceNumber":"`+res.ReferenceNumber+`"}`)
	if !get.OK || !strings.Contains(string(get.Result), `"status":"Pending"`) {
		t.Fatalf("tokens.get: %s", get.Result)
	}
}

func TestInvokeChecksTypes(t *testing.T) {
	if _, err := Invoke[Empty, VersionResult](context.Background(), Default(), nil, "version", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Invoke[Empty, OpsList](context.Background(), Default(), nil, "version", nil); errs.CodeOf(err) != errs.Internal {
		t.Fatalf("wrong types: %v", err)
	}
	if _, err := Invoke[Empty, ksef.AuthInfo](context.Background(), Default(), nil, "auth.refresh", nil); errs.CodeOf(err) != errs.InvalidHandle {
		t.Fatalf("no client: %v", err)
	}
}
