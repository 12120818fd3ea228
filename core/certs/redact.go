package certs

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/ksefkit/ksefkit/core/secret"
)

// The types below hold private keys (a crypto.Signer, PEM and PKCS#12
// bytes). Printed with any fmt verb, as String or GoString, logged with
// slog or marshalled to JSON they show which certificate they are about,
// never the key: json.Marshal of a *ecdsa.PrivateKey would write D, and
// %v of a []byte key would dump it.

func describeCert(c *x509.Certificate) string {
	if c == nil {
		return "no certificate"
	}
	return Inspect(c).Subject
}

func (c Credential) String() string {
	return "Credential{" + describeCert(c.Certificate) + ", key " + secret.Redacted + "}"
}
func (c Credential) GoString() string             { return c.String() }
func (c Credential) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, c.String()) }
func (c Credential) LogValue() slog.Value         { return slog.StringValue(c.String()) }
func (c Credential) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

func (t TestCertificate) String() string {
	return "TestCertificate{" + t.Info.Subject + ", key and PKCS#12 " + secret.Redacted + "}"
}
func (t TestCertificate) GoString() string             { return t.String() }
func (t TestCertificate) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, t.String()) }
func (t TestCertificate) LogValue() slog.Value         { return slog.StringValue(t.String()) }
func (t TestCertificate) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

func (o TestOptions) String() string {
	key := "fresh key"
	if o.Key != nil {
		key = "given key " + secret.Redacted
	}
	return fmt.Sprintf("TestOptions{kind %q, key type %q, %s, password %s}", o.Kind, o.KeyType, key, o.Password)
}
func (o TestOptions) GoString() string             { return o.String() }
func (o TestOptions) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, o.String()) }
func (o TestOptions) LogValue() slog.Value         { return slog.StringValue(o.String()) }
func (o TestOptions) MarshalJSON() ([]byte, error) { return json.Marshal(o.String()) }
