// Command ksef-sim runs the KSeF API v2 simulator on a loopback address, for
// integration tests of KSeF clients in any language. Its flags and output
// are documented in package sim/simcmd (shared with `ksef sim`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/ksefkit/ksefkit/sim/simcmd"
)

func main() {
	if err := simcmd.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "ksef-sim:", err)
		}
		os.Exit(2)
	}
}
