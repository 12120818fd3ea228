// Package authcmd is `ksef auth`: log in (as the settings say), refresh,
// log out, and show the kept login. The tokens are kept between commands
// in a 0600 file under $XDG_STATE_HOME/ksefkit/, never in the configuration.
package authcmd

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/ops"
)

// NewCmd is the auth group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "auth", Short: "Log in to KSeF, refresh, log out"}
	cmd.AddCommand(newCmdLogin(f), newCmdRefresh(f), newCmdLogout(f), newCmdStatus(f))
	return cmd
}

// renderAuth prints an authentication (never its tokens).
func renderAuth(f *cmdutil.Factory, a *ksef.AuthInfo) error { return cmdutil.Render(f, a, writeAuth) }

func writeAuth(w io.Writer, a *ksef.AuthInfo) {
	refreshed := ""
	if a.RefreshedAt != nil {
		refreshed = a.RefreshedAt.Format(time.RFC3339)
	}
	cmdutil.Fields(w, "authenticated", a.Context.String(), "method", a.Method, "reference", a.ReferenceNumber,
		"access token until", a.AccessTokenValidUntil.Format(time.RFC3339),
		"refresh token until", a.RefreshTokenValidUntil.Format(time.RFC3339), "refreshed", refreshed)
}

func newCmdLogin(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "login",
		Short: "Authenticate as the settings say and keep the tokens for the next commands",
		Example: `  ksef auth login                                   # the active profile
  ksef --profile acme-prod auth login
  KSEF_TOKEN=… ksef --env test --nip 5265877635 auth login --json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			a, err := f.Login()
			if err != nil {
				return err
			}
			return renderAuth(f, a)
		},
	}
}

func newCmdRefresh(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "refresh", Short: "Get a new access token with the kept refresh token", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := f.RestoredClient()
			if err != nil {
				return err
			}
			a, err := ops.Invoke[ops.Empty, ksef.AuthInfo](f.Ctx, f.Ops, c, "auth.refresh", nil)
			if err != nil {
				return err
			}
			return renderAuth(f, a)
		},
	}
}

func newCmdLogout(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "logout", Short: "Revoke the kept session at KSeF and forget its tokens", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := f.RestoredClient()
			if errs.CodeOf(err) == errs.NotAuthenticated {
				f.Note("not logged in")
				return cmdutil.Render(f, &ops.RevokeResult{}, func(io.Writer, *ops.RevokeResult) {})
			}
			if err != nil {
				return err
			}
			r, err := ops.Invoke[ops.RevokeInput, ops.RevokeResult](f.Ctx, f.Ops, c, "auth.sessions.revoke", nil)
			if err != nil {
				return err
			}
			if err := f.ForgetAuth(); err != nil {
				return err
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.RevokeResult) { fmt.Fprintf(w, "logged out (session %s revoked)\n", r.Revoked) })
		},
	}
}

func newCmdStatus(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "status", Short: "Show the kept login (no network)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			r := &ops.AuthStatusResult{}
			c, err := f.RestoredClient()
			switch {
			case errs.CodeOf(err) == errs.NotAuthenticated:
			case err != nil:
				return err
			default:
				if r, err = ops.Invoke[ops.Empty, ops.AuthStatusResult](f.Ctx, f.Ops, c, "auth.info", nil); err != nil {
					return err
				}
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.AuthStatusResult) {
				if !r.Authenticated {
					fmt.Fprintln(w, "not logged in")
					return
				}
				writeAuth(w, r.Auth)
			})
		},
	}
}
