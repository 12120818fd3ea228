package profilecmd

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/iostreams"
	"github.com/ksefkit/ksefkit/core/profile"
)

// The flags of `profile create` become the profile saved, as ksef2-cli
// spells them.
func TestCreateOptions(t *testing.T) {
	for _, c := range []struct {
		args []string
		want profile.Profile
	}{
		{[]string{"--env", "production", "--nip", "5265877635", "--token-env", "ACME_TOKEN", "--context-type", "internal_id"},
			profile.Profile{Environment: "production", NIP: "5265877635", Auth: profile.Auth{Type: "token", TokenEnv: "ACME_TOKEN", ContextType: "internal_id"}}},
		{[]string{"-e", "demo", "--nip", "5265877635", "--p12", "/k/seal.p12", "--p12-password-env", "PW", "--auth-poll-interval", "2s", "--auth-timeout", "2m"},
			profile.Profile{Environment: "demo", NIP: "5265877635", PollInterval: 2, Auth: profile.Auth{Type: "xades_p12", P12: "/k/seal.p12", P12PasswordEnv: "PW"}, Ksefkit: &profile.Settings{PollTimeout: 120}}},
		{[]string{"--env", "test", "--nip", "5265877635", "--cert", "c.pem", "--key", "k.pem"},
			profile.Profile{Environment: "test", NIP: "5265877635", Auth: profile.Auth{Type: "xades_pem", Cert: abs(t, "c.pem"), Key: abs(t, "k.pem")}}},
		{[]string{"--base-url", "http://127.0.0.1:9/v2", "--nip", "5265877635", "--test-cert"},
			profile.Profile{Environment: "test", NIP: "5265877635", Auth: profile.Auth{Type: "test_certificate"}, Ksefkit: &profile.Settings{BaseURL: "http://127.0.0.1:9/v2"}}},
	} {
		io, _, _, _ := iostreams.Test()
		f := cmdutil.NewFactory(context.Background(), io, profile.Env{})
		var got *CreateOptions
		cmd := NewCmdCreate(f, func(o *CreateOptions) error { got = o; return nil })
		f.Flags.Register(cmd.Flags())
		cmd.SetArgs(append([]string{"acme"}, c.args...))
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if got.Name != "acme" || !equal(got.Profile, c.want) {
			t.Errorf("%v:\n got %+v %+v\nwant %+v %+v", c.args, got.Profile, got.Profile.Ksefkit, c.want, c.want.Ksefkit)
		}
	}
}

func abs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func equal(a, b profile.Profile) bool {
	if (a.Ksefkit == nil) != (b.Ksefkit == nil) || a.Ksefkit != nil && *a.Ksefkit != *b.Ksefkit {
		return false
	}
	a.Ksefkit, b.Ksefkit = nil, nil
	return a == b
}
