// Package simcmd is `ksef sim`: the bundled KSeF simulator, with exactly
// the flags of the ksef-sim binary (package sim/simcmd defines them once).
package simcmd

import (
	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/errs"
	sim "github.com/ksefkit/ksefkit/sim/simcmd"
)

// NewCmd is `ksef sim`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	c := &sim.Config{}
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the KSeF simulator on loopback (like ksef-sim)",
		Long: `Runs the bundled KSeF API v2 simulator until interrupted. The first stdout line is
"ksef-sim listening on http://127.0.0.1:PORT/v2"; with --seed-token the second is a JSON
object with a random NIP and an active KSeF token for it. Use the URL as --env.`,
		Example: `  ksef sim --seed-token
  ksef sim --addr 127.0.0.1:8080 --fault 'POST /auth/ksef-token#1=429:retry-after=2'`,
		RunE: func(_ *cobra.Command, args []string) error {
			if err := c.Check(args); err != nil {
				return errs.Invalid("sim", "%v", err)
			}
			if err := sim.Serve(f.Ctx, c, f.IO.Out, f.IO.ErrOut); err != nil {
				return errs.Wrap(errs.InputInvalid, err, "simulator")
			}
			return nil
		},
	}
	cmd.Flags().AddGoFlagSet(c.FlagSet("sim"))
	return cmd
}
