// Package xadescmd is `ksef xades`: sign a document and verify signatures
// locally, with the checks KSeF is known to apply.
package xadescmd

import (
	"encoding/base64"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/profile"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/xades"
)

// NewCmd is the xades group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "xades", Short: "Sign XML with XAdES and verify signatures"}
	cmd.AddCommand(newCmdSign(f), newCmdVerify(f))
	return cmd
}

func newCmdSign(f *cmdutil.Factory) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "sign FILE",
		Short: "Sign an XML document (enveloped XAdES-BES) with the certificate of --cert/--key, --p12 or the profile",
		Example: `  ksef xades sign request.xml --p12 seal.p12 --p12-password-env SEAL_PASSWORD -o signed.xml
  ksef --profile acme-seal xades sign request.xml > signed.xml`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			doc, err := os.ReadFile(args[0])
			if err != nil {
				return errs.Wrap(errs.InputInvalid, err, "cannot read %s", args[0])
			}
			// Only the credential is wanted: no environment is needed.
			pin, err := f.ProfileInput()
			if err != nil {
				return err
			}
			r, err := pin.Resolve(f.Ctx)
			if err != nil {
				return err
			}
			if r.Auth == nil || (r.Auth.Type != profile.AuthXadesPEM && r.Auth.Type != profile.AuthXadesP12) {
				return errs.Invalid("cert", "signing needs a certificate: --cert FILE --key FILE, --p12 FILE, or a profile of type xades_pem/xades_p12")
			}
			cred, err := r.Credential(f.Ctx)
			if err != nil {
				return err
			}
			in := &ops.SignInput{XML: string(doc), CredentialInput: ops.CredentialInput{
				Certificate: secret.NewString(base64.StdEncoding.EncodeToString(cred.Certificate)),
				Key:         secret.NewString(base64.StdEncoding.EncodeToString(cred.Key)), Password: cred.Password,
			}}
			res, err := ops.Invoke[ops.SignInput, ops.SignResult](f.Ctx, f.Ops, nil, "xades.sign", in)
			if err != nil {
				return err
			}
			if out != "" {
				if err := os.WriteFile(out, []byte(res.XML), 0o644); err != nil {
					return errs.Wrap(errs.InputInvalid, err, "cannot write %s", out)
				}
				f.Note("wrote %s (%s)", out, res.SignatureMethod)
				if !f.Flags.JSON {
					return nil
				}
			}
			return cmdutil.Render(f, res, func(w io.Writer, r *ops.SignResult) { io.WriteString(w, r.XML) })
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the signed document to this file (default stdout)")
	return cmd
}

func newCmdVerify(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "verify FILE",
		Short: "Verify an enveloped XAdES signature and report every cause KSeF is known to reject",
		Long:  "Exits with 1 when the signature is not valid; the report names each finding.",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			doc, err := os.ReadFile(args[0])
			if err != nil {
				return errs.Wrap(errs.InputInvalid, err, "cannot read %s", args[0])
			}
			r, err := ops.Invoke[ops.VerifyInput, xades.Report](f.Ctx, f.Ops, nil, "xades.verify", &ops.VerifyInput{XML: string(doc)})
			if err != nil {
				return err
			}
			if err := cmdutil.Render(f, r, func(w io.Writer, r *xades.Report) {
				fmt.Fprintf(w, "valid: %v\n", r.Valid)
				if r.SignatureMethod != "" {
					fmt.Fprintf(w, "signature method: %s\n", r.SignatureMethod)
				}
				for _, fd := range r.Findings {
					fmt.Fprintf(w, "%s %s: %s\n", fd.Severity, fd.Code, fd.Message)
				}
			}); err != nil {
				return err
			}
			return r.Err()
		},
	}
}
