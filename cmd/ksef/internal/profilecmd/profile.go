// Package profilecmd is `ksef profile`: create, list, show and select the
// profiles of the configuration file, and import ksef2's.
package profilecmd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/profile"
)

// NewCmd is the profile group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Create, inspect and select profiles (ksef2-cli's file format)",
		Long: `Profiles are named, non-secret settings: environment, NIP, authentication method, polling.
Secrets stay in environment variables the profile names (--token-env, --key-password-env,
--p12-password-env). KSEF_PROFILE selects a profile for one shell; ` + "`profile use`" + ` saves the choice.`,
	}
	cmd.AddCommand(NewCmdCreate(f, nil), newCmdList(f), newCmdCurrent(f), newCmdShow(f), newCmdUse(f), newCmdDelete(f), newCmdImport(f))
	return cmd
}

// CreateOptions are the options of `profile create`.
type CreateOptions struct {
	Name       string
	Profile    profile.Profile
	NoActivate bool
	Force      bool
}

// NewCmdCreate is `profile create`; runF replaces the run function in tests.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{}
	cmd := &cobra.Command{
		Use:   "create NAME --env test|demo|production|URL --nip NIP (--token-env VAR | --test-cert | --cert PATH --key PATH | --p12 PATH)",
		Short: "Save a profile (and make it the active one)",
		Example: `  ksef profile create acme-test --env test --nip 5265877635 --test-cert
  ksef profile create acme-prod --env production --nip 5265877635 --token-env ACME_KSEF_TOKEN
  ksef profile create acme-seal --env demo --nip 5265877635 --p12 seal.p12 --p12-password-env ACME_P12_PASSWORD
  ksef profile create sim --env http://127.0.0.1:8080/v2 --nip 5265877635 --test-cert`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			g := f.Flags
			if g.Environment == "" && g.BaseURL == "" {
				return errs.Invalid("env", "--env is required (test, demo, production or a base URL)")
			}
			if g.NIP == "" {
				return errs.Invalid("nip", "--nip is required")
			}
			a, err := g.Auth()
			if err != nil {
				return err
			}
			if a == nil {
				return errs.Invalid("auth", "give one authentication method: --token-env VAR, --test-cert, --cert PATH --key PATH, or --p12 PATH")
			}
			a.ContextType = g.ContextType
			opts.Profile = profile.Profile{Environment: g.Environment, NIP: g.NIP, Auth: *a}
			if g.BaseURL != "" {
				opts.Profile.Ksefkit = &profile.Settings{BaseURL: g.BaseURL}
				if g.Environment == "" {
					opts.Profile.Environment = "test"
				}
			}
			if g.AuthPollInterval > 0 {
				opts.Profile.PollInterval = g.AuthPollInterval.Seconds()
			}
			if g.AuthTimeout > 0 {
				if opts.Profile.Ksefkit == nil {
					opts.Profile.Ksefkit = &profile.Settings{}
				}
				opts.Profile.Ksefkit.PollTimeout = g.AuthTimeout.Seconds()
			}
			if runF != nil {
				return runF(opts)
			}
			return update(f, func(file *profile.File) (string, error) {
				return opts.Name, file.Put(opts.Name, &opts.Profile, !opts.NoActivate, opts.Force)
			})
		},
	}
	cmd.Flags().BoolVar(&opts.NoActivate, "no-activate", false, "do not make it the active profile")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace an existing profile of that name")
	return cmd
}

// configPath is the file the profile commands read and write.
func configPath(f *cmdutil.Factory) (string, error) {
	in, err := f.ProfileInput()
	if err != nil {
		return "", err
	}
	if in.Config != "" {
		return in.Config, nil
	}
	return profile.DefaultPath(f.Env)
}

// update loads the configuration, applies change, saves it and shows the
// profile change names.
func update(f *cmdutil.Factory, change func(*profile.File) (string, error)) error {
	path, err := configPath(f)
	if err != nil {
		return err
	}
	file, _, err := profile.Load(f.Ctx, path)
	if err != nil {
		return err
	}
	name, err := change(file)
	if err != nil {
		return err
	}
	if err := file.Save(path); err != nil {
		return err
	}
	if name == "" {
		return list(f)
	}
	return show(f, name)
}

func show(f *cmdutil.Factory, name string) error {
	in, err := f.ProfileInput()
	if err != nil {
		return err
	}
	in.Profile = name
	r, err := ops.Invoke[ops.ProfileInput, ops.ProfileShowResult](f.Ctx, f.Ops, nil, "profile.show", in)
	if err != nil {
		return err
	}
	return cmdutil.Render(f, r, func(w io.Writer, r *ops.ProfileShowResult) {
		p := r.Profile
		base := ""
		if p.Ksefkit != nil {
			base = p.Ksefkit.BaseURL
		}
		active := ""
		if r.Active {
			active = "yes"
		}
		cmdutil.Fields(w, "profile", r.Name, "active", active, "environment", p.Environment, "base url", base, "nip", p.NIP,
			"context type", p.Auth.ContextType, "auth", p.Auth.Type, "token variable", p.Auth.TokenEnv,
			"certificate", p.Auth.Cert, "key", p.Auth.Key, "key password variable", p.Auth.KeyPasswordEnv,
			"pkcs#12", p.Auth.P12, "pkcs#12 password variable", p.Auth.P12PasswordEnv, "file", r.ConfigPath)
	})
}

func list(f *cmdutil.Factory) error {
	in, err := f.ProfileInput()
	if err != nil {
		return err
	}
	r, err := ops.Invoke[ops.ProfileInput, ops.ProfileListResult](f.Ctx, f.Ops, nil, "profile.list", in)
	if err != nil {
		return err
	}
	return cmdutil.Render(f, r, func(w io.Writer, r *ops.ProfileListResult) {
		if len(r.Profiles) == 0 {
			fmt.Fprintf(w, "no profiles in %s — create one with `ksef profile create`\n", r.ConfigPath)
			return
		}
		t := cmdutil.NewTable(w, "", "NAME", "ENVIRONMENT", "NIP", "AUTH")
		for _, p := range r.Profiles {
			mark, env := " ", p.Environment
			if p.Active {
				mark = "*"
			}
			if p.BaseURL != "" {
				env += " (" + p.BaseURL + ")"
			}
			t.Row(mark, p.Name, env, p.Nip, p.Auth)
		}
		t.Flush()
	})
}

// profileNames completes profile names from the configuration file.
func profileNames(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		path, err := configPath(f)
		if err != nil || len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		file, _, err := profile.Load(f.Ctx, path)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return file.Names(), cobra.ShellCompDirectiveNoFileComp
	}
}

func newCmdList(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "List the profiles (* marks the active one)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return list(f) },
	}
}

func newCmdCurrent(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "current", Short: "Show the profile in use ($KSEF_PROFILE, else the active one)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return show(f, f.Flags.Profile) },
	}
}

func newCmdShow(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "show [NAME]", Short: "Show a profile as stored (never a secret)", Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: profileNames(f),
		RunE: func(_ *cobra.Command, args []string) error {
			name := f.Flags.Profile
			if len(args) == 1 {
				name = args[0]
			}
			return show(f, name)
		},
	}
}

func newCmdUse(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "use NAME", Short: "Make a profile the active one", Args: cobra.ExactArgs(1),
		ValidArgsFunction: profileNames(f),
		RunE: func(_ *cobra.Command, args []string) error {
			return update(f, func(file *profile.File) (string, error) { return args[0], file.Use(args[0]) })
		},
	}
}

func newCmdDelete(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "delete NAME", Short: "Remove a profile", Args: cobra.ExactArgs(1),
		ValidArgsFunction: profileNames(f),
		RunE: func(_ *cobra.Command, args []string) error {
			return update(f, func(file *profile.File) (string, error) { return "", file.Delete(args[0]) })
		},
	}
}

func newCmdImport(f *cmdutil.Factory) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "import-ksef2 [PATH]",
		Short: "Copy the profiles of ksef2/ksef2-cli into ksefkit's file",
		Long: `Copies every profile of ksef2's configuration file — by default $KSEF2_CONFIG, else
~/.config/ksef2/config.toml, else the legacy ~/.config/ksef2-cli/config.toml — into
ksefkit's own. The schema is the same, so nothing is converted; existing profiles of the same
name are kept unless --force.`,
		Example: `  ksef profile import-ksef2
  ksef profile import-ksef2 ~/work/ksef2.toml --force`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			src, err := ksef2File(f, args)
			if err != nil {
				return err
			}
			return update(f, func(file *profile.File) (string, error) {
				_, err := file.Import(src, nil, force)
				return "", err
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace profiles that exist already")
	return cmd
}

func ksef2File(f *cmdutil.Factory, args []string) (*profile.File, error) {
	paths := args
	if len(paths) == 0 {
		var err error
		if paths, err = profile.Ksef2Paths(f.Env); err != nil {
			return nil, err
		}
	}
	for _, p := range paths {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		file, _, err := profile.Load(f.Ctx, p)
		return file, err
	}
	return nil, errs.Invalid("path", "no ksef2 configuration file at %v", paths)
}
