//go:build wasip1 || js

package ksef

import (
	"context"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/transport"
)

// In the wasm build the host performs HTTP: operations run under the
// step/resume driver, which carries its Doer in the context. A request that
// reaches this Doer was started outside that driver.
func defaultDoer(string) transport.Doer {
	return transport.DoerFunc(func(context.Context, *transport.Request) (*transport.Response, error) {
		return nil, errs.New(errs.Internal, "no HTTP driver in the wasm build: run operations through ksef_start/ksef_resume")
	})
}
