// Package root assembles the ksef command: the global flags, the command
// groups, and Run, which executes one command line and returns its exit
// code (the binary's main and the tests share it).
package root

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/authcmd"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/batchcmd"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/certscmd"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/configcmd"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/invoicescmd"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/iostreams"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/limitscmd"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/onlinecmd"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/profilecmd"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/sessionscmd"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/simcmd"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/testdatacmd"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/tokenscmd"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/xadescmd"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/profile"
)

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ksef",
		Short: "Work with KSeF 2.0, Poland's national e-invoicing system",
		Long: `ksef talks to KSeF 2.0 (API v2) — TEST, DEMO, PRODUCTION or the bundled simulator.

Settings come from flags, then environment variables (KSEF_ENV, KSEF_NIP, KSEF_TOKEN,
KSEF_PROFILE, KSEF_CONFIG, KSEF_KEY_PASSWORD, KSEF_P12_PASSWORD, KSEF_BASE_URL; ksef2's
KSEF2_* names where ours are unset), then the selected profile. Profiles use the
configuration file of ksef2-cli's schema; secrets never go into it.

Exit codes: 0 ok, 1 KSeF refused or failed, 2 usage or input, 3 authentication,
4 network or timeout.`,
		Example: `  ksef profile create acme --env test --nip 5265877635 --test-cert
  ksef auth login
  ksef tokens generate --permission InvoiceRead --permission InvoiceWrite --description "ERP connector"
  KSEF_TOKEN=… ksef --env test --nip 5265877635 --json limits get`,
		Version:       ksef.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	f.Flags.Register(cmd.PersistentFlags())
	cmd.AddGroup(
		&cobra.Group{ID: "setup", Title: "Settings:"},
		&cobra.Group{ID: "ksef", Title: "KSeF:"},
		&cobra.Group{ID: "local", Title: "Local tools:"},
	)
	for _, c := range []struct {
		group string
		cmd   *cobra.Command
	}{
		{"setup", profilecmd.NewCmd(f)},
		{"setup", configcmd.NewCmd(f)},
		{"ksef", authcmd.NewCmd(f)},
		{"ksef", sessionscmd.NewCmd(f)},
		{"ksef", invoicescmd.NewCmd(f)},
		{"ksef", tokenscmd.NewCmd(f)},
		{"ksef", onlinecmd.NewCmd(f)},
		{"ksef", batchcmd.NewCmd(f)},
		{"ksef", limitscmd.NewCmd(f)},
		{"ksef", testdatacmd.NewCmd(f)},
		{"local", certscmd.NewCmd(f)},
		{"local", xadescmd.NewCmd(f)},
		{"local", simcmd.NewCmd(f)},
	} {
		c.cmd.GroupID = c.group
		cmd.AddCommand(c.cmd)
	}
	return cmd
}

// Run executes one command line and returns the exit code. Errors are
// reported on the streams' stderr (as JSON with --json).
func Run(ctx context.Context, args []string, io *iostreams.IOStreams, env profile.Env) int {
	f := cmdutil.NewFactory(ctx, io, env)
	cmd := NewCmdRoot(f)
	// A command line cobra cannot parse still reports in the format asked for.
	for _, a := range args {
		if a == "--" {
			break
		}
		f.Flags.JSON = f.Flags.JSON || a == "--json"
	}
	cmd.SetArgs(args)
	cmd.SetIn(io.In)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	err := cmd.ExecuteContext(ctx)
	// Keep refreshed tokens even after a failed command; its own error is
	// the one to report.
	if ferr := f.Finish(); err == nil {
		err = ferr
	}
	if err != nil {
		cmdutil.PrintError(f, err)
	}
	return cmdutil.ExitCode(err)
}
