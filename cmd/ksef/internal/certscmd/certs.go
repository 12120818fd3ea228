// Package certscmd is `ksef certs`: generate a test certificate and
// inspect certificates — locally, no KSeF involved.
package certscmd

import (
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/secret"
)

// NewCmd is the certs group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "certs", Short: "Test certificates and certificate inspection"}
	cmd.AddCommand(newCmdGenerate(f), newCmdInspect(f))
	return cmd
}

// WriteInfo prints what a certificate is.
func WriteInfo(w io.Writer, i *certs.Info) {
	curve := ""
	if i.Curve != "" {
		curve = " " + i.Curve
	}
	cmdutil.Fields(w, "subject", i.Subject, "issuer", i.Issuer, "serial", i.SerialNumberHex,
		"valid", i.NotBefore.Format(time.RFC3339)+" – "+i.NotAfter.Format(time.RFC3339),
		"key", fmt.Sprintf("%s %d%s", i.KeyType, i.KeyBits, curve), "kind", i.Kind,
		"KSeF identity", i.Identity.Type+" "+i.Identity.Value, "SHA-256", i.FingerprintSHA256)
}

func newCmdGenerate(f *cmdutil.Factory) *cobra.Command {
	in := &ops.GenerateInput{}
	var out, passwordEnv string
	cmd := &cobra.Command{
		Use:   "generate-test --nip NIP [--kind seal|personal] [--out PREFIX]",
		Short: "Generate a self-signed test certificate (accepted by TEST and the simulator only)",
		Long: `Writes PREFIX.crt.pem, PREFIX.key.pem (unencrypted, mode 0600) and PREFIX.p12 (protected by the
password in --password-env VARIABLE, if given) and prints what the certificate is.`,
		Example: `  ksef certs generate-test --nip 5265877635 --kind seal --out acme-seal
  ksef profile create acme --env test --nip 5265877635 --cert acme-seal.crt.pem --key acme-seal.key.pem`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			in.Nip = f.Flags.NIP
			if passwordEnv != "" {
				if in.Password = secret.NewString(f.Env[passwordEnv]); in.Password.IsZero() {
					return errs.Invalid("password-env", "the PKCS#12 password is read from %s, which is not set", passwordEnv)
				}
			}
			r, err := ops.Invoke[ops.GenerateInput, ops.GenerateResult](f.Ctx, f.Ops, nil, "certs.generate_test", in)
			if err != nil {
				return err
			}
			p12, _ := base64.StdEncoding.DecodeString(r.PKCS12)
			for _, w := range []struct {
				suffix string
				data   []byte
			}{{".crt.pem", []byte(r.CertificatePEM)}, {".key.pem", []byte(r.KeyPEM)}, {".p12", p12}} {
				if err := os.WriteFile(out+w.suffix, w.data, 0o600); err != nil {
					return errs.Wrap(errs.InputInvalid, err, "cannot write the certificate")
				}
			}
			f.Note("wrote %[1]s.crt.pem, %[1]s.key.pem, %[1]s.p12", out)
			return cmdutil.Render(f, &r.Info, WriteInfo)
		},
	}
	cmd.Flags().StringVar(&in.Kind, "kind", "personal", "personal (TINPL-/PNOPL-) or seal (VATPL-)")
	cmd.Flags().StringVar(&in.Pesel, "pesel", "", "PESEL of a personal certificate")
	cmd.Flags().StringVar(&in.KeyType, "key-type", "ecdsa", "ecdsa (P-256) or rsa (2048)")
	cmd.Flags().IntVar(&in.ValidDays, "valid-days", 0, "validity from now (default 730)")
	cmd.Flags().StringVar(&out, "out", "ksef-test", "file name prefix")
	cmd.Flags().StringVar(&passwordEnv, "password-env", "", "environment `VARIABLE` with the PKCS#12 password")
	return cmd
}

func newCmdInspect(f *cmdutil.Factory) *cobra.Command {
	var keyFile, passwordEnv string
	cmd := &cobra.Command{
		Use: "inspect FILE", Short: "Describe a certificate (PEM, DER or PKCS#12) and the KSeF identity it carries",
		Example: `  ksef certs inspect seal.p12 --password-env SEAL_PASSWORD
  ksef certs inspect cert.pem --key-file key.pem --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			in := &ops.InspectInput{}
			var err error
			cert, err := readBase64(args[0])
			if err != nil {
				return err
			}
			in.Certificate = secret.NewString(cert)
			if keyFile != "" {
				key, err := readBase64(keyFile)
				if err != nil {
					return err
				}
				in.Key = secret.NewString(key)
			}
			if passwordEnv != "" {
				if in.Password = secret.NewString(f.Env[passwordEnv]); in.Password.IsZero() {
					return errs.Invalid("password-env", "the password is read from %s, which is not set", passwordEnv)
				}
			}
			r, err := ops.Invoke[ops.InspectInput, ops.InspectResult](f.Ctx, f.Ops, nil, "certs.inspect", in)
			if err != nil {
				return err
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.InspectResult) {
				WriteInfo(w, &r.Info)
				valid := "yes"
				if !r.Valid {
					valid = "no: " + r.ValidNote
				}
				cmdutil.Fields(w, "valid now", valid, "private key", map[bool]string{true: "loaded, matches", false: "not given"}[r.KeyLoaded])
			})
		},
	}
	cmd.Flags().StringVar(&keyFile, "key-file", "", "the private key file, to check that it matches")
	cmd.Flags().StringVar(&passwordEnv, "password-env", "", "environment `VARIABLE` with the key's or PKCS#12 password")
	return cmd
}

// readBase64 reads a file given on the command line for an operation's
// base64 input.
func readBase64(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", errs.Wrap(errs.InputInvalid, err, "cannot read %s", path)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}
