package cmdutil

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/ops"
)

// The auth state: the tokens of a `ksef auth login`, kept between commands
// in $XDG_STATE_HOME/ksefkit/auth/ (~/.local/state/ksefkit/auth/) with mode
// 0600 — never in the configuration file. One file per profile, API and
// context, so that two profiles of one taxpayer (an administrator's and an
// ERP's) keep separate sessions.

type authState struct {
	Profile string          `json:"profile,omitempty"`
	APIBase string          `json:"apiBase"`
	Tokens  ops.SavedTokens `json:"tokens"`
}

func (f *Factory) stateDir() (string, error) { return f.StateDir("auth") }

// StateDir is $XDG_STATE_HOME/ksefkit/KIND (~/.local/state/ksefkit/KIND):
// where commands keep what must outlive them (logins, open online
// sessions), never in the configuration.
func (f *Factory) StateDir(kind string) (string, error) {
	if d := f.Env["XDG_STATE_HOME"]; d != "" {
		return filepath.Join(d, "ksefkit", kind), nil
	}
	if h := f.Env["HOME"]; h != "" {
		return filepath.Join(h, ".local", "state", "ksefkit", kind), nil
	}
	return "", errs.Invalid("state", "cannot keep state between commands: neither XDG_STATE_HOME nor HOME is set")
}

// WriteSecretFile replaces path atomically with data, mode 0600 in a 0700
// directory: the files hold tokens or session keys.
func WriteSecretFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return errs.Wrap(errs.InputInvalid, err, "cannot keep the state")
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return errs.Wrap(errs.InputInvalid, err, "cannot keep the state")
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return errs.Wrap(errs.InputInvalid, err, "cannot keep the state")
	}
	return nil
}

// statePath names the state file of the resolved settings.
func (f *Factory) statePath() (string, error) {
	r, err := f.Resolved()
	if err != nil {
		return "", err
	}
	c, err := f.Client()
	if err != nil {
		return "", err
	}
	if r.Context == nil {
		return "", errs.Invalid("nip", "no NIP: give --nip, set KSEF_NIP, or select a profile")
	}
	dir, err := f.stateDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(c.Environment().APIBase + "\x00" + r.Context.String()))
	name := r.Profile
	if name == "" {
		name = "no-profile"
	}
	return filepath.Join(dir, name+"-"+hex.EncodeToString(sum[:6])+".json"), nil
}

// SaveAuth writes the client's current tokens to the state file.
func (f *Factory) SaveAuth() error {
	path, err := f.statePath()
	if err != nil {
		return err
	}
	saved, err := ops.Invoke[ops.Empty, ops.SavedTokens](f.Ctx, f.Ops, f.client, "auth.tokens.export", nil)
	if err != nil {
		return err
	}
	r, _ := f.Resolved()
	data, err := json.MarshalIndent(authState{Profile: r.Profile, APIBase: f.client.Environment().APIBase, Tokens: *saved}, "", "  ")
	if err != nil {
		return errs.Wrap(errs.Internal, err, "encoding the auth state")
	}
	return WriteSecretFile(path, data)
}

// restoreAuth installs the kept tokens, if there are usable ones.
func (f *Factory) restoreAuth(c *ksef.Client) (bool, error) {
	path, err := f.statePath()
	if err != nil {
		return false, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, errs.Wrap(errs.InputInvalid, err, "cannot read the kept login")
	}
	var st authState
	if json.Unmarshal(data, &st) != nil || st.APIBase != c.Environment().APIBase {
		return false, nil // unreadable or for another API: authenticate anew
	}
	if !st.Tokens.RefreshToken.ValidUntil.After(time.Now()) {
		return false, nil
	}
	if _, err := ops.Invoke[ops.SavedTokens, ksef.AuthInfo](f.Ctx, f.Ops, c, "auth.tokens.restore", &st.Tokens); err != nil {
		return false, err
	}
	return true, nil
}

// RestoredClient returns the client with the kept tokens, or a
// not-logged-in error; it never authenticates.
func (f *Factory) RestoredClient() (*ksef.Client, error) {
	c, err := f.Client()
	if err != nil {
		return nil, err
	}
	ok, err := f.restoreAuth(c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notLoggedIn()
	}
	f.authed = true
	return c, nil
}

// ForgetAuth removes the state file of the resolved settings.
func (f *Factory) ForgetAuth() error {
	path, err := f.statePath()
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return errs.Wrap(errs.InputInvalid, err, "cannot remove the kept login")
	}
	return nil
}
