package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/iostreams"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/root"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/profile"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/samples"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

// cli runs ksef commands in process, in a temporary HOME, against a
// simulator on loopback, and remembers every output to scan for secrets.
type cli struct {
	t       *testing.T
	env     profile.Env
	outputs []string
}

type result struct {
	code        int
	out, errOut string
}

func (c *cli) run(args ...string) result {
	c.t.Helper()
	io, _, out, errOut := iostreams.Test()
	code := root.Run(context.Background(), args, io, c.env)
	c.outputs = append(c.outputs, out.String(), errOut.String())
	return result{code, out.String(), errOut.String()}
}

// ok runs a command that must succeed with --json and decodes its result.
func (c *cli) ok(v any, args ...string) {
	c.t.Helper()
	r := c.run(append([]string{"--json"}, args...)...)
	if r.code != 0 {
		c.t.Fatalf("ksef %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.out, r.errOut)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(r.out), v); err != nil {
			c.t.Fatalf("ksef %s: stdout is not JSON: %v\n%s", strings.Join(args, " "), err, r.out)
		}
	}
}

// fails runs a command that must exit with code and returns the error
// object it printed on stderr (--json).
func (c *cli) fails(code int, args ...string) *errs.Error {
	c.t.Helper()
	r := c.run(append([]string{"--json"}, args...)...)
	if r.code != code {
		c.t.Fatalf("ksef %s: exit %d, want %d\n%s%s", strings.Join(args, " "), r.code, code, r.out, r.errOut)
	}
	var e struct {
		Error *errs.Error `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.errOut), &e); err != nil || e.Error == nil {
		c.t.Fatalf("ksef %s: stderr is not a JSON error: %v\n%s", strings.Join(args, " "), err, r.errOut)
	}
	return e.Error
}

func startSim(t *testing.T) *sim.Server {
	return simtest.Start(t, sim.Options{AuthDelay: sim.NoAuthDelay, TokenActivationDelay: 50 * time.Millisecond})
}

func TestEndToEnd(t *testing.T) {
	s := startSim(t)
	home := t.TempDir()
	c := &cli{t: t, env: profile.Env{"HOME": home}}
	nip := ids.RandomNIP()
	fast := []string{"--auth-poll-interval", "100ms"}

	// An administrator's profile with a generated test certificate.
	var shown struct {
		Name    string          `json:"name"`
		Active  bool            `json:"active"`
		Profile profile.Profile `json:"profile"`
	}
	c.ok(&shown, append([]string{"profile", "create", "admin", "--env", s.URL(), "--nip", nip, "--test-cert"}, fast...)...)
	if !shown.Active || shown.Profile.Environment != "test" || shown.Profile.Ksefkit == nil || shown.Profile.Ksefkit.BaseURL != s.URL() {
		t.Fatalf("profile create: %+v", shown)
	}

	var login struct {
		ReferenceNumber string                `json:"referenceNumber"`
		Context         ids.ContextIdentifier `json:"context"`
		Method          string                `json:"method"`
	}
	c.ok(&login, "auth", "login")
	if login.Context.Value != nip || login.Method != "xades" {
		t.Fatalf("auth login: %+v", login)
	}
	states, _ := filepath.Glob(filepath.Join(home, ".local/state/ksefkit/auth/*.json"))
	if len(states) != 1 {
		t.Fatalf("auth state files: %v", states)
	}
	if st, _ := os.Stat(states[0]); st.Mode().Perm() != 0o600 {
		t.Fatalf("auth state mode %v", st.Mode())
	}
	var status struct {
		Authenticated bool `json:"authenticated"`
	}
	c.ok(&status, "auth", "status")
	if !status.Authenticated {
		t.Fatal("auth status after login: not authenticated")
	}

	// A token for the ERP, generated with the administrator's login.
	var gen struct {
		ReferenceNumber string      `json:"referenceNumber"`
		Token           string      `json:"token"`
		Status          string      `json:"status"`
		WaitError       *errs.Error `json:"waitError"`
	}
	c.ok(&gen, "tokens", "generate", "-p", "InvoiceRead", "--permission", "InvoiceWrite", "-d", "ERP connector")
	if gen.Status != "Active" || gen.WaitError != nil || !strings.HasPrefix(gen.Token, gen.ReferenceNumber+"|") {
		t.Fatalf("tokens generate: %+v", gen)
	}
	secret := gen.Token
	c.outputs = c.outputs[:len(c.outputs)-2] // that output is meant to carry the token

	// A second profile authenticates with it, through the variable it names.
	c.env["ERP_TOKEN"] = secret
	c.ok(&shown, append([]string{"profile", "create", "erp", "--env", s.URL(), "--nip", nip, "--token-env", "ERP_TOKEN", "--no-activate"}, fast...)...)
	if shown.Active || shown.Profile.Auth.TokenEnv != "ERP_TOKEN" {
		t.Fatalf("second profile: %+v", shown)
	}
	c.ok(&login, "--profile", "erp", "auth", "login")
	if login.Method != "ksef-token" {
		t.Fatalf("erp login: %+v", login)
	}
	c.ok(&shown, "profile", "show", "erp")

	type page struct {
		Tokens []struct {
			ReferenceNumber string `json:"referenceNumber"`
			Status          string `json:"status"`
		} `json:"tokens"`
		Cursor string `json:"cursor"`
	}
	var all page
	c.ok(&all, "tokens", "list", "--all")
	found := false
	for _, tk := range all.Tokens {
		found = found || tk.ReferenceNumber == gen.ReferenceNumber && tk.Status == "Active"
	}
	if !found {
		t.Fatalf("tokens list does not show the new token: %+v", all)
	}
	var own page
	c.ok(&own, "--profile", "erp", "tokens", "list")
	if len(own.Tokens) != 1 || own.Tokens[0].ReferenceNumber != gen.ReferenceNumber {
		t.Fatalf("the ERP sees %+v", own)
	}
	var limits struct {
		RateLimits struct {
			Other struct{ PerSecond int } `json:"other"`
		} `json:"rateLimits"`
	}
	c.ok(&limits, "--profile", "erp", "limits", "get")
	if limits.RateLimits.Other.PerSecond != 10 {
		t.Fatalf("limits: %+v", limits)
	}

	// The ERP's job: an invoice file in, its KSeF number and the UPO out.
	doc, err := samples.Invoice("fa3", samples.Fill{SellerNIP: nip})
	if err != nil {
		t.Fatal(err)
	}
	fv := filepath.Join(home, "FV-1.xml")
	os.WriteFile(fv, doc, 0o644)
	var sent struct {
		ReferenceNumber string `json:"referenceNumber"`
		Documents       []struct {
			OK         bool   `json:"ok"`
			KSeFNumber string `json:"ksefNumber"`
		} `json:"documents"`
	}
	c.ok(&sent, "--profile", "erp", "invoices", "send", fv)
	if len(sent.Documents) != 1 || !sent.Documents[0].OK {
		t.Fatalf("invoices send: %+v", sent)
	}
	upoFile := filepath.Join(home, "upo.xml")
	c.ok(nil, "--profile", "erp", "online", "upo", sent.ReferenceNumber, "--ksef-number", sent.Documents[0].KSeFNumber, "--out", upoFile)
	if b, _ := os.ReadFile(upoFile); !strings.Contains(string(b), sent.Documents[0].KSeFNumber) {
		t.Fatal("online upo: the receipt does not name the invoice")
	}

	// KSeF's 4xx: the ERP may not grant what it does not hold (26001).
	e := c.fails(1, "--profile", "erp", "tokens", "generate", "-p", "CredentialsManage", "-d", "more than I hold")
	if e.Code != errs.API || !e.HasException(26001) {
		t.Fatalf("26001: %+v", e)
	}

	c.ok(nil, "tokens", "revoke", gen.ReferenceNumber)
	// The ERP's kept session cannot refresh any more; its login fails.
	c.fails(1, "--profile", "erp", "auth", "refresh")
	c.fails(3, "--profile", "erp", "auth", "login")

	var out struct {
		Current bool `json:"current"`
	}
	c.ok(&out, "auth", "logout")
	if !out.Current {
		t.Fatalf("logout: %+v", out)
	}
	c.ok(&status, "auth", "status")
	if status.Authenticated {
		t.Fatal("still authenticated after logout")
	}

	// Human output too, once.
	if r := c.run("profile", "list"); r.code != 0 || !regexp.MustCompile(`\*\s+admin`).MatchString(r.out) {
		t.Fatalf("profile list: %d %s", r.code, r.out)
	}
	if r := c.run("config", "show"); r.code != 0 || !strings.Contains(r.out, "profile admin") {
		t.Fatalf("config show: %d %s", r.code, r.out)
	}

	// The secret is in no output, no error, not in the configuration file
	// and not in the auth state.
	files, _ := filepath.Glob(filepath.Join(home, ".config/ksefkit/*"))
	states, _ = filepath.Glob(filepath.Join(home, ".local/state/ksefkit/auth/*"))
	for _, p := range append(files, states...) {
		data, _ := os.ReadFile(p)
		c.outputs = append(c.outputs, string(data))
	}
	for i, o := range c.outputs {
		if strings.Contains(o, secret) || strings.Contains(o, secret[strings.LastIndex(secret, "|")+1:]) {
			t.Errorf("output %d contains the KSeF token:\n%s", i, o)
		}
	}
}

func TestExitCodesPerFailureClass(t *testing.T) {
	s := startSim(t)
	home := t.TempDir()
	c := &cli{t: t, env: profile.Env{"HOME": home}}
	nip := ids.RandomNIP()

	// Usage: a missing argument, an unknown flag, a missing required setting.
	c.fails(2, "tokens", "status")
	c.fails(2, "auth", "status", "--bogus")
	c.fails(2, "no-such-command")
	c.fails(2, "profile", "create", "x", "--env", "test")
	if e := c.fails(2, "profile", "create", "x", "--env", "test", "--nip", nip, "--test-cert", "--token-env", "T"); !strings.Contains(e.Message, "one authentication method") {
		t.Fatalf("two methods: %+v", e)
	}

	// Authentication: a token KSeF rejects (450).
	c.env["FORGED"] = "20260101-EC-0123456789-0123456789-00|nip-" + nip + "|" + strings.Repeat("0", 64)
	if e := c.fails(3, "--env", s.URL(), "--nip", nip, "--token-env", "FORGED", "auth", "login"); e.Status != 450 {
		t.Fatalf("forged token: %+v", e)
	}
	// Missing secret variable: input, named, without a value.
	if e := c.fails(2, "--env", s.URL(), "--nip", nip, "--token-env", "NOT_SET", "auth", "login"); !strings.Contains(e.Message, "NOT_SET") {
		t.Fatalf("missing variable: %+v", e)
	}
	// Not logged in: refresh needs a kept login.
	c.fails(3, "--env", s.URL(), "--nip", nip, "auth", "refresh")

	// Transport: nothing listens on the port (one attempt, as the profile says).
	cfg := filepath.Join(home, "closed.toml")
	os.WriteFile(cfg, []byte(`[profiles.closed]
environment = "test"
nip = "`+nip+`"
[profiles.closed.auth]
type = "test_certificate"
[profiles.closed.ksefkit]
base_url = "http://127.0.0.1:1/v2"
max_attempts = 1
`), 0o600)
	if e := c.fails(4, "--config", cfg, "--profile", "closed", "auth", "login"); e.Code != errs.Transport {
		t.Fatalf("closed port: %+v", e)
	}

	// KSeF 4xx: an unknown token reference.
	if e := c.fails(1, "--env", s.URL(), "--nip", nip, "--test-cert", "tokens", "status", "20260101-EC-0123456789-0123456789-00"); e.HTTPStatus != 400 {
		t.Fatalf("unknown token: %+v", e)
	}
	// Test data, and a test certificate refused against PRODUCTION before
	// anything is sent.
	c.ok(nil, "--env", s.URL(), "--nip", nip, "testdata", "create-person", "--pesel", ids.RandomPESEL(), "--description", "the owner")
	if e := c.fails(2, "--env", "production", "--nip", nip, "--test-cert", "auth", "login"); !strings.Contains(e.Message, "PRODUCTION") {
		t.Fatalf("test certificate on production: %+v", e)
	}
	if e := c.fails(2, "--env", "demo", "--nip", nip, "testdata", "create-person", "--pesel", ids.RandomPESEL(), "--description", "x"); !strings.Contains(e.Message, "TEST") {
		t.Fatalf("testdata on demo: %+v", e)
	}
}

func TestProfileImportAndUse(t *testing.T) {
	home := t.TempDir()
	c := &cli{t: t, env: profile.Env{"HOME": home}}
	os.MkdirAll(filepath.Join(home, ".config", "ksef2-cli"), 0o700)
	data, _ := os.ReadFile("../../core/profile/testdata/ksef2-cli-1.0.toml")
	os.WriteFile(filepath.Join(home, ".config", "ksef2-cli", "config.toml"), data, 0o600)
	var list struct {
		Active   string `json:"active"`
		Profiles []struct {
			Name string `json:"name"`
		} `json:"profiles"`
	}
	c.ok(&list, "profile", "import-ksef2")
	if list.Active != "demo-client" || len(list.Profiles) != 5 {
		t.Fatalf("import: %+v", list)
	}
	c.fails(2, "profile", "import-ksef2")
	c.ok(nil, "profile", "import-ksef2", "--force")
	c.ok(nil, "profile", "use", "prod-client")
	var cur struct {
		Name string `json:"name"`
	}
	c.ok(&cur, "profile", "current")
	if cur.Name != "prod-client" {
		t.Fatalf("current: %+v", cur)
	}
	c.env["KSEF_PROFILE"] = "demo-pem"
	c.ok(&cur, "profile", "current")
	if cur.Name != "demo-pem" {
		t.Fatalf("KSEF_PROFILE: %+v", cur)
	}
	c.ok(nil, "profile", "delete", "demo-pem")
	c.fails(2, "profile", "show", "demo-pem")
	var path struct {
		ConfigPath string `json:"configPath"`
	}
	c.ok(&path, "config", "path")
	if path.ConfigPath != filepath.Join(home, ".config", "ksefkit", "config.toml") {
		t.Fatalf("config path %s", path.ConfigPath)
	}
}

func TestSimCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		streams := &iostreams.IOStreams{In: strings.NewReader(""), Out: pw, ErrOut: io.Discard}
		done <- root.Run(ctx, []string{"sim", "--seed-token", "--log-level", "error", "--token-activation", "0s"}, streams, profile.Env{})
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "ksef-sim listening on http://127.0.0.1:") {
		t.Fatalf("first line %q", lines.Text())
	}
	if !lines.Scan() || !strings.Contains(lines.Text(), `"token"`) {
		t.Fatalf("seed line %q", lines.Text())
	}
	go io.Copy(io.Discard, pr)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ksef sim did not stop")
	}
}

func TestLocalTools(t *testing.T) {
	dir := t.TempDir()
	c := &cli{t: t, env: profile.Env{"HOME": dir, "SEAL_PW": "seal-password"}}
	prefix := filepath.Join(dir, "seal")
	var info struct {
		Kind     string `json:"kind"`
		Identity struct {
			Type, Value string
		} `json:"identity"`
	}
	c.ok(&info, "certs", "generate-test", "--nip", "5265877635", "--kind", "seal", "--out", prefix, "--password-env", "SEAL_PW")
	if info.Kind != "seal" || info.Identity.Value != "5265877635" {
		t.Fatalf("generate-test: %+v", info)
	}
	if st, err := os.Stat(prefix + ".key.pem"); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	var inspected struct {
		KeyLoaded bool `json:"keyLoaded"`
		Valid     bool `json:"valid"`
	}
	c.ok(&inspected, "certs", "inspect", prefix+".p12", "--password-env", "SEAL_PW")
	if !inspected.KeyLoaded || !inspected.Valid {
		t.Fatalf("inspect: %+v", inspected)
	}
	c.fails(2, "certs", "inspect", prefix+".p12", "--password-env", "UNSET_PW")

	doc := filepath.Join(dir, "doc.xml")
	os.WriteFile(doc, []byte(`<Doc xmlns="urn:example"><A>1</A></Doc>`), 0o644)
	signed := filepath.Join(dir, "signed.xml")
	if r := c.run("xades", "sign", doc, "--p12", prefix+".p12", "--p12-password-env", "SEAL_PW", "-o", signed); r.code != 0 {
		t.Fatalf("sign: %d %s", r.code, r.errOut)
	}
	var report struct {
		Valid bool `json:"valid"`
	}
	c.ok(&report, "xades", "verify", signed)
	if !report.Valid {
		t.Fatal("the signature does not verify")
	}
	data, _ := os.ReadFile(signed)
	os.WriteFile(signed, []byte(strings.Replace(string(data), "<A>1</A>", "<A>2</A>", 1)), 0o644)
	if e := c.fails(1, "xades", "verify", signed); e.Code != errs.Signature {
		t.Fatalf("tampered: %+v", e)
	}
	c.fails(2, "xades", "sign", doc, "--test-cert")
	for i, o := range c.outputs {
		if strings.Contains(o, "seal-password") || strings.Contains(o, "PRIVATE KEY") {
			t.Errorf("output %d shows a secret:\n%s", i, o)
		}
	}
}
