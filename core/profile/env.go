package profile

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
)

// The environment variables ksefkit reads. Each also has a ksef2 twin
// (KSEF2_ENV, KSEF2_NIP, …) read when it is unset or empty.
const (
	EnvConfig      = "KSEF_CONFIG"
	EnvProfile     = "KSEF_PROFILE"
	EnvEnvironment = "KSEF_ENV"
	EnvBaseURL     = "KSEF_BASE_URL"
	EnvNIP         = "KSEF_NIP"
	EnvContextType = "KSEF_CONTEXT_TYPE"
	EnvToken       = "KSEF_TOKEN"
	EnvKeyPassword = "KSEF_KEY_PASSWORD"
	EnvP12Password = "KSEF_P12_PASSWORD"
)

// Variables lists every variable Resolve may read besides the ones a
// profile names, for hosts that pass a filtered environment.
var Variables = []string{EnvConfig, EnvProfile, EnvEnvironment, EnvBaseURL, EnvNIP, EnvContextType, EnvToken, EnvKeyPassword, EnvP12Password}

// Env is a set of environment variables. Resolution never reads the
// process environment behind the caller's back: the caller passes OSEnv(),
// or what its host has (a binding's process environment, a test's map).
type Env map[string]string

// OSEnv returns the process environment as the core sees it.
func OSEnv() Env {
	e := Env{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			e[k] = v
		}
	}
	return e
}

// twin is ksef2's name for one of ksefkit's variables.
func twin(name string) string { return "KSEF2_" + strings.TrimPrefix(name, "KSEF_") }

// lookup returns the value of name, or of its KSEF2_ twin when name is
// unset or empty, and the variable it came from ("" when neither is set).
func (e Env) lookup(name string) (value, from string) {
	if v := e[name]; v != "" {
		return v, name
	}
	if t := twin(name); e[t] != "" {
		return e[t], t
	}
	return "", ""
}

// home is the user's home directory per the environment.
func (e Env) home() string { return e["HOME"] }

// expandHome turns a leading "~/" into the home directory, as ksef2 does
// (Path.expanduser) with the paths a profile names.
func (e Env) expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if h := e.home(); h != "" {
			return filepath.Join(h, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

// configHome is $XDG_CONFIG_HOME, else ~/.config.
func (e Env) configHome() (string, error) {
	if d := e["XDG_CONFIG_HOME"]; d != "" {
		return e.expandHome(d), nil
	}
	if h := e.home(); h != "" {
		return filepath.Join(h, ".config"), nil
	}
	return "", errs.Invalid("config", "cannot find the configuration directory: neither XDG_CONFIG_HOME nor HOME is set (set %s)", EnvConfig)
}

// DefaultPath is where the configuration file is: $KSEF_CONFIG (or
// $KSEF2_CONFIG), else $XDG_CONFIG_HOME/ksefkit/config.toml, else
// ~/.config/ksefkit/config.toml.
func DefaultPath(e Env) (string, error) {
	if p, _ := e.lookup(EnvConfig); p != "" {
		return e.expandHome(p), nil
	}
	dir, err := e.configHome()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "ksefkit", "config.toml"), nil
}

// Ksef2Paths are the places ksef2 keeps its profiles, in the order it
// looks: $KSEF2_CONFIG, ~/.config/ksef2/config.toml, and the legacy
// ~/.config/ksef2-cli/config.toml.
func Ksef2Paths(e Env) ([]string, error) {
	if p := e["KSEF2_CONFIG"]; p != "" {
		return []string{e.expandHome(p)}, nil
	}
	dir, err := e.configHome()
	if err != nil {
		return nil, err
	}
	return []string{filepath.Join(dir, "ksef2", "config.toml"), filepath.Join(dir, "ksef2-cli", "config.toml")}, nil
}
