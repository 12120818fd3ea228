// Package tokenscmd is `ksef tokens`: generate, list, inspect and revoke
// KSeF tokens of the context.
package tokenscmd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/tokens"
)

// NewCmd is the tokens group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "KSeF tokens: long-lived credentials for an ERP or a script"}
	cmd.AddCommand(newCmdGenerate(f), newCmdList(f), newCmdStatus(f), newCmdRevoke(f))
	return cmd
}

func newCmdGenerate(f *cmdutil.Factory) *cobra.Command {
	in := &ops.TokensGenerateInput{}
	var noWait bool
	cmd := &cobra.Command{
		Use:   "generate --permission PERMISSION… --description TEXT",
		Short: "Generate a KSeF token and wait until it is active",
		Long: `Generates a KSeF token in the context you are logged in to. KSeF shows the token only this
once: it is printed on stdout (with --json in the "token" field) as soon as KSeF created it,
even when waiting for it to become active fails afterwards — store it then, and check later
with ` + "`ksef tokens status REFERENCE --wait`" + `.

Permissions: ` + strings.Join(tokens.Permissions, ", ") + ` (only ones you hold).`,
		Example: `  ksef tokens generate --permission InvoiceRead --permission InvoiceWrite --description "ERP connector"
  export ERP_TOKEN=$(ksef tokens generate -p InvoiceRead -d "read-only export" --json | jq -r .token)`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			in.Wait = !noWait
			r, err := ops.Invoke[ops.TokensGenerateInput, ops.TokensGenerateResult](f.Ctx, f.Ops, c, "tokens.generate", in)
			if err != nil {
				return err
			}
			if r.WaitError != nil {
				f.Note("warning: the token was generated but is not active yet: %s", r.WaitError.Message)
			}
			f.Note("store the token now: KSeF will not show it again (reference %s, status %s)", r.ReferenceNumber, r.Status)
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.TokensGenerateResult) { fmt.Fprintln(w, r.Token) })
		},
	}
	cmd.Flags().StringSliceVarP(&in.Permissions, "permission", "p", nil, "a permission of the token (repeatable, or comma-separated)")
	cmd.Flags().StringVarP(&in.Description, "description", "d", "", "what the token is for (5–256 characters)")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return right after KSeF created the token (still Pending)")
	cmd.RegisterFlagCompletionFunc("permission", cobra.FixedCompletions(tokens.Permissions, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func writeTokens(w io.Writer, list []api.KSeFToken) {
	t := cmdutil.NewTable(w, "REFERENCE", "STATUS", "CREATED", "LAST USED", "AUTHOR", "PERMISSIONS", "DESCRIPTION")
	for _, k := range list {
		last := ""
		if k.LastUseDate != nil {
			last = k.LastUseDate.Format(time.RFC3339)
		}
		t.Row(k.ReferenceNumber, k.Status, k.DateCreated.Format(time.RFC3339), last, k.AuthorIdentifier.Type+":"+k.AuthorIdentifier.Value,
			strings.Join(k.RequestedPermissions, ","), k.Description)
	}
	t.Flush()
}

func newCmdList(f *cmdutil.Factory) *cobra.Command {
	in := &ops.TokensListInput{}
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the context's KSeF tokens, newest first",
		Example: `  ksef tokens list --status Active
  ksef tokens list --all --json
  ksef tokens list --page-size 10 --cursor CURSOR`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			page := &tokens.Page{}
			for {
				p, err := ops.Invoke[ops.TokensListInput, tokens.Page](f.Ctx, f.Ops, c, "tokens.list", in)
				if err != nil {
					return err
				}
				page.Tokens, page.Cursor = append(page.Tokens, p.Tokens...), p.Cursor
				if !all || p.Cursor == "" {
					break
				}
				in.Cursor = p.Cursor
			}
			if page.Tokens == nil {
				page.Tokens = []api.KSeFToken{}
			}
			return cmdutil.Render(f, page, func(w io.Writer, p *tokens.Page) {
				writeTokens(w, p.Tokens)
				if p.Cursor != "" {
					fmt.Fprintf(w, "more: --cursor %s (or --all)\n", p.Cursor)
				}
			})
		},
	}
	cmd.Flags().StringSliceVar(&in.Statuses, "status", nil, "only these statuses: "+strings.Join(tokens.Statuses, ", "))
	cmd.Flags().StringVar(&in.Description, "description", "", "part of the description (≥ 3 characters)")
	cmd.Flags().StringVar(&in.AuthorIdentifier, "author", "", "part of the author's NIP, PESEL or fingerprint (≥ 3 characters)")
	cmd.Flags().StringVar(&in.AuthorIdentifierType, "author-type", "", "Nip, Pesel or Fingerprint")
	cmd.Flags().IntVar(&in.PageSize, "page-size", 0, "tokens per page, 10–100")
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "the next page, from the previous one")
	cmd.Flags().BoolVar(&all, "all", false, "every page")
	cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(tokens.Statuses, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newCmdStatus(f *cmdutil.Factory) *cobra.Command {
	in := &ops.TokensGetInput{}
	cmd := &cobra.Command{
		Use: "status REFERENCE", Short: "Show a KSeF token's status", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			in.ReferenceNumber = args[0]
			r, err := ops.Invoke[ops.TokensGetInput, api.KSeFToken](f.Ctx, f.Ops, c, "tokens.get", in)
			if err != nil {
				return err
			}
			return cmdutil.Render(f, r, func(w io.Writer, k *api.KSeFToken) { writeTokens(w, []api.KSeFToken{*k}) })
		},
	}
	cmd.Flags().BoolVar(&in.Wait, "wait", false, "wait until it leaves Pending")
	return cmd
}

func newCmdRevoke(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "revoke REFERENCE", Short: "Revoke a KSeF token: it stops authenticating, its sessions stop refreshing",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			r, err := ops.Invoke[ops.TokensRevokeInput, ops.TokensRevokeResult](f.Ctx, f.Ops, c, "tokens.revoke", &ops.TokensRevokeInput{ReferenceNumber: args[0]})
			if err != nil {
				return err
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.TokensRevokeResult) { fmt.Fprintf(w, "revoked %s\n", r.Revoked) })
		},
	}
}
