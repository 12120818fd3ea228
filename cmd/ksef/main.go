// Command ksef is the KSeF 2.0 command-line tool: profiles, authentication,
// KSeF tokens, sessions, limits, test data, certificates, XAdES and the
// bundled simulator. Run `ksef --help`.
package main

import (
	"context"
	"os"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/iostreams"
	"github.com/ksefkit/ksefkit/cmd/ksef/internal/root"
	"github.com/ksefkit/ksefkit/core/profile"
)

func main() {
	os.Exit(root.Run(context.Background(), os.Args[1:], iostreams.System(), profile.OSEnv()))
}
