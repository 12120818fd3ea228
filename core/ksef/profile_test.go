package ksef_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

func TestFromProfile(t *testing.T) {
	s := simtest.Start(t, sim.Options{AuthDelay: sim.NoAuthDelay})
	nip := ids.RandomNIP()
	tok, err := s.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	os.WriteFile(path, []byte(`active_profile = "sim"
[profiles.sim]
environment = "test"
nip = "`+nip+`"
poll_interval = 0.1
[profiles.sim.auth]
type = "token"
token_env = "FROM_PROFILE_TOKEN"
[profiles.sim.ksefkit]
base_url = "`+s.URL()+`"
`), 0o600)
	t.Setenv("KSEF_CONFIG", path)
	for _, v := range []string{"KSEF_PROFILE", "KSEF2_PROFILE", "KSEF_ENV", "KSEF2_ENV", "KSEF_BASE_URL", "KSEF2_BASE_URL", "KSEF_NIP", "KSEF2_NIP", "KSEF_TOKEN", "KSEF2_TOKEN"} {
		t.Setenv(v, "")
	}
	_, err = ksef.FromProfile(context.Background(), "")
	if e := errs.As(err); e == nil || !strings.Contains(e.Message, "FROM_PROFILE_TOKEN") {
		t.Fatalf("without the variable: %v", err)
	}
	t.Setenv("FROM_PROFILE_TOKEN", tok.Token)
	c, err := ksef.FromProfile(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Auth(); a == nil || a.Context.Value != nip || c.Environment().APIBase != s.URL() {
		t.Fatalf("auth %+v, environment %+v", a, c.Environment())
	}
}
