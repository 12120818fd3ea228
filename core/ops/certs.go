package ops

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/secret"
)

// CredentialInput carries a certificate and key as the bytes of the files a
// user has (PEM, DER, or PKCS#12/PFX), base64-encoded so that bindings never
// need to know the format: Go detects it. All three are secrets: the
// "certificate" may be a PKCS#12 file or a PEM bundle holding the key.
type CredentialInput struct {
	Certificate secret.String `json:"certificate" doc:"base64 of the certificate file bytes: PEM, DER, or PKCS#12/PFX (then key may be empty)"`
	Key         secret.String `json:"key,omitempty" doc:"base64 of the private key file bytes: PEM (PKCS#1, PKCS#8, SEC1, encrypted PKCS#8) or DER"`
	Password    secret.String `json:"password,omitempty" doc:"password of an encrypted key or PFX"`
}

// Load decodes and parses the credential.
func (c CredentialInput) Load() (*certs.Credential, error) {
	if c.Certificate.IsZero() {
		return nil, errs.Invalid("certificate", "certificate is required (base64 of the file bytes)")
	}
	cert, err := base64.StdEncoding.DecodeString(c.Certificate.Reveal())
	if err != nil {
		return nil, errs.Invalid("certificate", "certificate is not valid base64: %v", err)
	}
	var key []byte
	if !c.Key.IsZero() {
		if key, err = base64.StdEncoding.DecodeString(c.Key.Reveal()); err != nil {
			return nil, errs.Invalid("key", "key is not valid base64: %v", err)
		}
	}
	return certs.Load(cert, key, []byte(c.Password.Reveal()))
}

// InspectInput is the input of "certs.inspect".
type InspectInput struct {
	Certificate secret.String `json:"certificate" doc:"base64 of a certificate file (PEM, DER) or of a PKCS#12 file"`
	Key         secret.String `json:"key,omitempty" doc:"base64 of the key file, to check that it matches"`
	Password    secret.String `json:"password,omitempty" doc:"password of an encrypted key or PFX"`
}

// InspectResult answers "certs.inspect".
type InspectResult struct {
	certs.Info
	// KeyLoaded is true when a private key was given (or found in the PFX)
	// and it matches the certificate.
	KeyLoaded bool `json:"keyLoaded"`
	// Valid reports whether the certificate is valid now.
	Valid     bool   `json:"valid"`
	ValidNote string `json:"validNote,omitempty"`
}

// GenerateInput is the input of "certs.generate_test".
type GenerateInput struct {
	Kind         string        `json:"kind,omitempty" doc:"personal (default) or seal"`
	Nip          string        `json:"nip,omitempty" doc:"NIP carried as TINPL-<nip> (personal) or VATPL-<nip> (seal)"`
	Pesel        string        `json:"pesel,omitempty" doc:"PESEL carried as PNOPL-<pesel> (personal only)"`
	GivenName    string        `json:"givenName,omitempty"`
	Surname      string        `json:"surname,omitempty"`
	Organization string        `json:"organization,omitempty"`
	CommonName   string        `json:"commonName,omitempty"`
	KeyType      string        `json:"keyType,omitempty" doc:"ecdsa (P-256, default) or rsa (2048)"`
	Password     secret.String `json:"password,omitempty" doc:"protects the PKCS#12 output; empty gives an unencrypted PKCS#12"`
	ValidDays    int           `json:"validDays,omitempty" doc:"validity from now (default 730)"`
}

// GenerateResult answers "certs.generate_test". It carries a fresh key out
// (that is its purpose, so its JSON holds it); every printed form — fmt's
// verbs, String, GoString, slog — shows only the certificate.
type GenerateResult struct {
	CertificatePEM string     `json:"certificatePem"`
	KeyPEM         string     `json:"keyPem" secret:"exported" doc:"unencrypted PKCS#8"`
	PKCS12         string     `json:"pkcs12" secret:"exported" doc:"base64 of the PKCS#12 file (holds the key)"`
	Info           certs.Info `json:"info"`
}

func (r GenerateResult) String() string {
	return "GenerateResult{" + r.Info.Subject + ", key and PKCS#12 " + secret.Redacted + "}"
}
func (r GenerateResult) GoString() string           { return r.String() }
func (r GenerateResult) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }
func (r GenerateResult) LogValue() slog.Value       { return slog.StringValue(r.String()) }

// SourceInput is the input of "certs.source".
type SourceInput struct {
	Text secret.String `json:"text" doc:"what the caller gave for a certificate or key: a file's contents or a path"`
}

// SourceResult answers "certs.source".
type SourceResult struct {
	Kind certs.Source `json:"kind" doc:"content (PEM, also after other text such as openssl's Bag Attributes or a byte order mark; base64 of DER or PKCS#12) or path"`
}

func init() {
	register("certs.source", "Tell whether a text given for a certificate or key is the file's contents or a path to read. For bindings whose API takes either in one string: they ask this instead of guessing, then pass the contents (or the file they read) to the operation.", false, false,
		func(_ context.Context, _ *ksef.Client, in *SourceInput) (*SourceResult, error) {
			return &SourceResult{Kind: certs.ClassifyText(in.Text.Reveal())}, nil
		})
	register("certs.inspect", "Describe a certificate: subject, issuer, serial, validity, key, SHA-256 fingerprint and the KSeF identity it carries (NIP, PESEL or none).", false, false,
		func(_ context.Context, _ *ksef.Client, in *InspectInput) (*InspectResult, error) {
			if in.Certificate.IsZero() {
				return nil, errs.Invalid("certificate", "certificate is required (base64 of the file bytes)")
			}
			var res InspectResult
			cred, err := CredentialInput{Certificate: in.Certificate, Key: in.Key, Password: in.Password}.Load()
			if err != nil {
				// Without a key (or with a PFX that needs one) fall back to the
				// certificate alone, unless the key itself was the problem.
				if !in.Key.IsZero() || !in.Password.IsZero() {
					return nil, err
				}
				der, derr := base64.StdEncoding.DecodeString(in.Certificate.Reveal())
				if derr != nil {
					return nil, errs.Invalid("certificate", "certificate is not valid base64: %v", derr)
				}
				cert, cerr := certs.ParseCertificate(der)
				if cerr != nil {
					return nil, err
				}
				res.Info = certs.Inspect(cert)
				res.setValidity(certs.CheckValidity(cert, time.Now()))
				return &res, nil
			}
			res.Info, res.KeyLoaded = certs.Inspect(cred.Certificate), cred.Signer != nil
			res.setValidity(cred.CheckValidity(time.Now()))
			return &res, nil
		})
	register("certs.generate_test", "Generate a self-signed test certificate (personal with TINPL-/PNOPL- or company seal with VATPL-) as PEM and PKCS#12; the KSeF TEST environment accepts these.", false, false,
		func(_ context.Context, _ *ksef.Client, in *GenerateInput) (*GenerateResult, error) {
			opts := certs.TestOptions{
				Kind: in.Kind, NIP: in.Nip, PESEL: in.Pesel, GivenName: in.GivenName, Surname: in.Surname,
				Organization: in.Organization, CommonName: in.CommonName, KeyType: in.KeyType, Password: in.Password,
			}
			if in.ValidDays < 0 {
				return nil, errs.Invalid("validDays", "validDays must be positive")
			}
			if in.ValidDays > 0 {
				opts.NotAfter = time.Now().AddDate(0, 0, in.ValidDays)
			}
			tc, err := certs.GenerateTest(opts)
			if err != nil {
				return nil, err
			}
			return &GenerateResult{
				CertificatePEM: string(tc.CertificatePEM), KeyPEM: string(tc.KeyPEM),
				PKCS12: base64.StdEncoding.EncodeToString(tc.PKCS12), Info: tc.Info,
			}, nil
		})
}

func (r *InspectResult) setValidity(err error) {
	r.Valid = err == nil
	if err != nil {
		r.ValidNote = errs.As(err).Message
	}
}
