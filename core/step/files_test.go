package step_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/step"
)

// What ksef.wasm does, natively: every file an operation reads (the
// configuration, the certificate and key a profile names) is a file event,
// answered by the host.
func TestFilesAreReadThroughTheHost(t *testing.T) {
	defer func(v bool) { *step.HostFiles = v }(*step.HostFiles)
	*step.HostFiles = true
	s, c, nip, _ := setup(t)
	tc, err := certs.GenerateTest(certs.TestOptions{Kind: "seal", NIP: nip})
	if err != nil {
		t.Fatal(err)
	}
	config := `active_profile = "pem"
[profiles.pem]
environment = "test"
nip = "` + nip + `"
[profiles.pem.auth]
type = "xades_pem"
cert = "/host/seal.pem"
key = "/host/seal.key"
[profiles.pem.ksefkit]
base_url = "http://127.0.0.1:1/v2"
`
	files := map[string][]byte{"/host/config.toml": []byte(config), "/host/seal.pem": tc.CertificatePEM, "/host/seal.key": tc.KeyPEM}
	e := step.New()
	in := []byte(`{"config":"/host/config.toml","environ":{"HOME":"/nowhere"}}`)

	first := parse(t, e.Start(nil, "profile.resolve", in))
	if first.Kind != "file" || first.Path != "/host/config.toml" {
		t.Fatalf("first event %+v", first)
	}
	e.Cancel(first.Op)
	ev := driveWithFiles(t, e, s.Handler(), files, e.Start(nil, "profile.resolve", in))
	var res struct {
		Profile string `json:"profile"`
		Client  struct {
			BaseURL string `json:"baseUrl"`
		} `json:"client"`
	}
	if !ev.Envelope.OK || json.Unmarshal(ev.Envelope.Result, &res) != nil || res.Profile != "pem" || res.Client.BaseURL != "http://127.0.0.1:1/v2" {
		t.Fatalf("profile.resolve: %+v %s", ev.Envelope.Error, ev.Envelope.Result)
	}

	ev = driveWithFiles(t, e, s.Handler(), files, e.Start(c, "auth.profile", in))
	if !ev.Envelope.OK || !strings.Contains(string(ev.Envelope.Result), nip) {
		t.Fatalf("auth.profile through file events: %+v", ev.Envelope.Error)
	}

	delete(files, "/host/seal.key")
	ev = driveWithFiles(t, e, s.Handler(), files, e.Start(c, "auth.profile", in))
	if ev.Envelope.OK || ev.Envelope.Error.Code != "input.invalid" {
		t.Fatalf("missing key file: %+v", ev.Envelope)
	}
	// No configuration file at all is an empty configuration.
	ev = driveWithFiles(t, e, s.Handler(), map[string][]byte{}, e.Start(nil, "profile.list", in))
	if !ev.Envelope.OK || !strings.Contains(string(ev.Envelope.Result), `"configFound":false`) {
		t.Fatalf("profile.list without a file: %s", ev.Envelope.Result)
	}
	if e.InFlight() != 0 {
		t.Fatalf("%d operations left in flight", e.InFlight())
	}
}
