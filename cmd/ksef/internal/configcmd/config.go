// Package configcmd is `ksef config`: where the configuration file is,
// what the settings resolve to, and creating the file.
package configcmd

import (
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/profile"
)

// NewCmd is the config group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "The configuration file and the settings in effect"}
	cmd.AddCommand(newCmdPath(f), newCmdShow(f), newCmdInit(f))
	return cmd
}

func listResult(f *cmdutil.Factory) (*ops.ProfileListResult, error) {
	in, err := f.ProfileInput()
	if err != nil {
		return nil, err
	}
	return ops.Invoke[ops.ProfileInput, ops.ProfileListResult](f.Ctx, f.Ops, nil, "profile.list", in)
}

func newCmdPath(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "path", Short: "Print the configuration file's path", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			r, err := listResult(f)
			if err != nil {
				return err
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.ProfileListResult) { fmt.Fprintln(w, r.ConfigPath) })
		},
	}
}

func newCmdShow(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Show the settings in effect and where each comes from (flag, variable, profile)",
		Example: `  ksef config show
  KSEF_ENV=demo ksef --profile acme config show --json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			r, err := f.Resolved()
			if err != nil {
				return err
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.ProfileResolveResult) {
				ctx, method := "", ""
				if r.Context != nil {
					ctx = r.Context.String()
				}
				if r.Auth != nil {
					method = r.Auth.Type
				}
				cmdutil.Fields(w, "file", r.ConfigPath, "profile", r.Profile, "environment", r.Environment, "base url", r.BaseURL,
					"context", ctx, "auth", method)
				keys := make([]string, 0, len(r.Sources))
				for k := range r.Sources {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				fmt.Fprintln(w, "\nfrom:")
				t := cmdutil.NewTable(w, "  SETTING", "SOURCE")
				for _, k := range keys {
					t.Row("  "+k, r.Sources[k])
				}
				t.Flush()
			})
		},
	}
}

func newCmdInit(f *cmdutil.Factory) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use: "init", Short: "Create an empty configuration file", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			r, err := listResult(f)
			if err != nil {
				return err
			}
			if r.ConfigFound && !force {
				return errs.Invalid("config", "%s exists already (start over with --force)", r.ConfigPath)
			}
			if err := profile.NewFile().Save(r.ConfigPath); err != nil {
				return err
			}
			if r, err = listResult(f); err != nil {
				return err
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.ProfileListResult) {
				fmt.Fprintf(w, "created %s\n", r.ConfigPath)
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing file (its profiles are lost)")
	return cmd
}
