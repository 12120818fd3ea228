// Package testdatacmd is `ksef testdata`: the TEST environment's test-data
// helpers (also on the simulator; DEMO and PRODUCTION have none).
package testdatacmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ops"
)

// NewCmd is the testdata group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "testdata",
		Short: "TEST only: create subjects and persons, grant permissions, block contexts",
		Long:  "The /testdata endpoints of KSeF's TEST environment (and the simulator). They need no login.",
	}
	cmd.AddCommand(newCmdSubject(f), newCmdPerson(f), newCmdGrant(f), newCmdBlock(f, true), newCmdBlock(f, false))
	return cmd
}

// run executes a testdata operation on a client that needs no login.
func run[In any](f *cmdutil.Factory, op string, in *In) error {
	c, err := f.Client()
	if err != nil {
		return err
	}
	r, err := ops.Invoke[In, ops.TestdataResult](f.Ctx, f.Ops, c, op, in)
	if err != nil {
		return err
	}
	return cmdutil.Render(f, r, func(w io.Writer, r *ops.TestdataResult) { fmt.Fprintf(w, "done: %s\n", r.Done) })
}

func newCmdSubject(f *cmdutil.Factory) *cobra.Command {
	in := &ops.TestSubjectInput{}
	cmd := &cobra.Command{
		Use: "create-subject --nip NIP --type VatGroup|JST|EnforcementAuthority --description TEXT", Short: "Create a special subject",
		Example: `  ksef --env test testdata create-subject --nip 5265877635 --type VatGroup --description "Test VAT group"`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			in.Nip = f.Flags.NIP
			return run(f, "testdata.subject.create", in)
		},
	}
	cmd.Flags().StringVar(&in.SubjectType, "type", "", "EnforcementAuthority, VatGroup or JST")
	cmd.Flags().StringVar(&in.Description, "description", "", "5–256 characters")
	return cmd
}

func newCmdPerson(f *cmdutil.Factory) *cobra.Command {
	in := &ops.TestPersonInput{}
	cmd := &cobra.Command{
		Use: "create-person --nip NIP --pesel PESEL --description TEXT", Short: "Link a PESEL to a NIP (the person owns the NIP)",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			in.Nip = f.Flags.NIP
			return run(f, "testdata.person.create", in)
		},
	}
	cmd.Flags().StringVar(&in.Pesel, "pesel", "", "the person's PESEL")
	cmd.Flags().StringVar(&in.Description, "description", "", "5–256 characters")
	cmd.Flags().BoolVar(&in.IsBailiff, "bailiff", false, "a bailiff (also EnforcementOperations)")
	cmd.Flags().BoolVar(&in.IsDeceased, "deceased", false, "deceased (authentication then ends with 470)")
	return cmd
}

func newCmdGrant(f *cmdutil.Factory) *cobra.Command {
	in := &ops.TestPermissionsInput{}
	var toNIP, toPESEL, toFingerprint string
	cmd := &cobra.Command{
		Use:     "grant-permissions --nip CONTEXT (--to-nip NIP | --to-pesel PESEL | --to-fingerprint SHA256) --permission PERMISSION…",
		Short:   "Grant permissions in a NIP context (the paper ZAW-FA form)",
		Example: `  ksef --env test testdata grant-permissions --nip 5265877635 --to-pesel 90010112345 --permission InvoiceRead`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			in.Nip = f.Flags.NIP
			n := 0
			for typ, v := range map[string]string{"Nip": toNIP, "Pesel": toPESEL, "Fingerprint": toFingerprint} {
				if v != "" {
					in.To, in.ToType, n = v, typ, n+1
				}
			}
			if n != 1 {
				return errs.Invalid("to", "give one of --to-nip, --to-pesel, --to-fingerprint")
			}
			return run(f, "testdata.permissions.grant", in)
		},
	}
	cmd.Flags().StringVar(&toNIP, "to-nip", "", "the NIP receiving the permissions")
	cmd.Flags().StringVar(&toPESEL, "to-pesel", "", "the PESEL receiving the permissions")
	cmd.Flags().StringVar(&toFingerprint, "to-fingerprint", "", "the certificate fingerprint (SHA-256, hex) receiving them")
	cmd.Flags().StringSliceVarP(&in.Permissions, "permission", "p", nil, "a permission (repeatable, or comma-separated)")
	cmd.Flags().StringVar(&in.Description, "description", "", "description of each permission")
	return cmd
}

func newCmdBlock(f *cmdutil.Factory, block bool) *cobra.Command {
	use, short, op := "block-context", "Block authentication in the context (it then ends with 480)", "testdata.context.block"
	if !block {
		use, short, op = "unblock-context", "Unblock authentication in the context", "testdata.context.unblock"
	}
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			r, err := f.Resolved()
			if err != nil {
				return err
			}
			if r.Context == nil {
				return errs.Invalid("nip", "--nip is required")
			}
			return run(f, op, &ops.ContextInput{Context: r.Context})
		},
	}
}
