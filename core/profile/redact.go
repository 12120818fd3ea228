package profile

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/ksefkit/ksefkit/core/secret"
)

// An Env (and the Sources holding one) holds the process environment — KSEF_TOKEN and the key passwords
// among it — and a Credential the secrets and key files of a method. Their
// printed forms (fmt's verbs, String, GoString, slog, JSON) name what they
// hold, never a value.

func (e Env) String() string {
	names := make([]string, 0, len(e))
	for k := range e {
		names = append(names, k)
	}
	sort.Strings(names)
	return "Env{" + strings.Join(names, " ") + ": values " + secret.Redacted + "}"
}
func (e Env) GoString() string           { return e.String() }
func (e Env) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }
func (e Env) LogValue() slog.Value       { return slog.StringValue(e.String()) }

// (No MarshalJSON on Env: an operation input carries the environment to
// the core as JSON on purpose; Sources, which has no such purpose, redacts.)

func (s Sources) String() string {
	return "Sources{" + s.Env.String() + ", profile " + s.Overrides.Profile + "}"
}
func (s Sources) GoString() string             { return s.String() }
func (s Sources) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, s.String()) }
func (s Sources) LogValue() slog.Value         { return slog.StringValue(s.String()) }
func (s Sources) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

func (c Credential) String() string {
	return fmt.Sprintf("Credential{%s, token %s, certificate %d bytes, key %d bytes %s, password %s}",
		c.Method, c.Token, len(c.Certificate), len(c.Key), secret.Redacted, c.Password)
}
func (c Credential) GoString() string             { return c.String() }
func (c Credential) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, c.String()) }
func (c Credential) LogValue() slog.Value         { return slog.StringValue(c.String()) }
func (c Credential) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }
