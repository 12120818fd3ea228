package ops

import (
	"context"
	"runtime"

	"github.com/ksefkit/ksefkit/core/env"
	"github.com/ksefkit/ksefkit/core/ksef"
)

// Empty is the input of operations that take none.
type Empty struct{}

// VersionResult answers "version".
type VersionResult struct {
	Version    string `json:"version" doc:"ksefkit version"`
	APIVersion string `json:"apiVersion" doc:"KSeF API version the core was built against"`
	Go         string `json:"go" doc:"Go toolchain of the build"`
	Platform   string `json:"platform" doc:"GOOS/GOARCH of the build (linux/amd64, wasip1/wasm)"`
}

// OpInfo describes one operation in "ops.list".
type OpInfo struct {
	Name        string  `json:"name"`
	Summary     string  `json:"summary"`
	NeedsClient bool    `json:"needsClient"`
	Network     bool    `json:"network"`
	HostFiles   bool    `json:"hostFiles,omitempty"`
	Input       []Field `json:"input"`
	Output      []Field `json:"output"`
}

// OpsList answers "ops.list".
type OpsList struct {
	Operations []OpInfo `json:"operations"`
}

// EnvList answers "env.list".
type EnvList struct {
	Environments []env.Environment `json:"environments"`
}

func init() {
	register("version", "Library version, KSeF API version and build platform.", false, false,
		func(context.Context, *ksef.Client, *Empty) (*VersionResult, error) {
			return &VersionResult{Version: ksef.Version, APIVersion: ksef.APIVersion, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}, nil
		})
	register("ops.list", "Every operation with its input and output fields.", false, false,
		func(context.Context, *ksef.Client, *Empty) (*OpsList, error) {
			var out OpsList
			for _, op := range Default().All() {
				out.Operations = append(out.Operations, OpInfo{
					Name: op.Name, Summary: op.Summary, NeedsClient: op.NeedsClient, Network: op.Network, HostFiles: op.HostFiles,
					Input: Fields(op.inType), Output: Fields(op.outType),
				})
			}
			return &out, nil
		})
	register("env.list", "The public KSeF environments and their addresses (API, QR, Latarnia).", false, false,
		func(context.Context, *ksef.Client, *Empty) (*EnvList, error) {
			return &EnvList{Environments: env.All()}, nil
		})
}
