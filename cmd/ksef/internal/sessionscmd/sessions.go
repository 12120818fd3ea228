// Package sessionscmd is `ksef sessions`: the context's authentication
// sessions (the invoice session commands come with those workflows).
package sessionscmd

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/ops"
)

// NewCmd is the sessions group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "sessions", Short: "Authentication sessions of the context"}
	cmd.AddCommand(newCmdAuthList(f), newCmdAuthClose(f))
	return cmd
}

func newCmdAuthList(f *cmdutil.Factory) *cobra.Command {
	in := &ops.SessionsListInput{}
	cmd := &cobra.Command{
		Use: "auth-list", Short: "List the live authentication sessions, newest first", Args: cobra.NoArgs,
		Example: `  ksef sessions auth-list --all
  ksef sessions auth-list --page-size 10 --json`,
		RunE: func(*cobra.Command, []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			r, err := ops.Invoke[ops.SessionsListInput, ops.SessionsListResult](f.Ctx, f.Ops, c, "auth.sessions.list", in)
			if err != nil {
				return err
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.SessionsListResult) {
				t := cmdutil.NewTable(w, "", "REFERENCE", "STARTED", "METHOD", "STATUS")
				for _, s := range r.Items {
					mark := " "
					if s.IsCurrent {
						mark = "*"
					}
					method := s.AuthenticationMethod
					if s.AuthenticationMethodInfo != nil {
						method = s.AuthenticationMethodInfo.DisplayName
					}
					t.Row(mark, s.ReferenceNumber, s.StartDate.Format(time.RFC3339), method, fmt.Sprintf("%d %s", s.Status.Code, s.Status.Description))
				}
				t.Flush()
				if r.ContinuationToken != "" {
					fmt.Fprintf(w, "more: --continuation-token %s\n", r.ContinuationToken)
				}
			})
		},
	}
	cmd.Flags().IntVar(&in.PageSize, "page-size", 0, "sessions per page, 10–100")
	cmd.Flags().StringVar(&in.ContinuationToken, "continuation-token", "", "the next page, from the previous one")
	cmd.Flags().BoolVar(&in.All, "all", false, "every page")
	return cmd
}

func newCmdAuthClose(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "auth-close [REFERENCE]", Short: "Revoke an authentication session (default: the kept one, which is then forgotten)",
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			in := &ops.RevokeInput{}
			if len(args) == 1 {
				in.ReferenceNumber = args[0]
			}
			r, err := ops.Invoke[ops.RevokeInput, ops.RevokeResult](f.Ctx, f.Ops, c, "auth.sessions.revoke", in)
			if err != nil {
				return err
			}
			if r.Current {
				if err := f.ForgetAuth(); err != nil {
					return err
				}
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.RevokeResult) { fmt.Fprintf(w, "revoked %s\n", r.Revoked) })
		},
	}
}
