package cmdutil

import (
	"errors"

	"github.com/ksefkit/ksefkit/core/errs"
)

// The exit codes of the ksef command.
const (
	ExitOK        = 0 // success
	ExitKSeF      = 1 // KSeF refused or failed (4xx/5xx, a business rule, a bad signature), or a bug
	ExitUsage     = 2 // the command line or its input is wrong; nothing was sent
	ExitAuth      = 3 // authentication or authorization failed, or is missing
	ExitTransport = 4 // no answer: network failure, timeout, cancellation
)

// exitCodes maps every error code of the core to an exit code. A test
// checks that no code of core/errs is missing.
var exitCodes = map[errs.Code]int{
	errs.InputInvalid:     ExitUsage,
	errs.UnknownOperation: ExitUsage,
	errs.InvalidHandle:    ExitUsage,
	errs.Crypto:           ExitUsage, // a wrong password, a key that does not match its certificate
	errs.API:              ExitKSeF,
	errs.RateLimited:      ExitKSeF,
	errs.Gone:             ExitKSeF,
	errs.Protocol:         ExitKSeF,
	errs.Signature:        ExitKSeF,
	errs.Internal:         ExitKSeF,
	errs.AuthFailed:       ExitAuth,
	errs.Unauthorized:     ExitAuth,
	errs.Forbidden:        ExitAuth,
	errs.NotAuthenticated: ExitAuth,
	errs.Transport:        ExitTransport,
	errs.Timeout:          ExitTransport,
	errs.Canceled:         ExitTransport,
}

// ExitCode is the exit code for err: 0 for nil; the table for the core's
// errors; ExitUsage for everything else, which can only come from parsing
// the command line.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *errs.Error
	if errors.As(err, &e) {
		if c, ok := exitCodes[e.Code]; ok {
			return c
		}
		return ExitKSeF
	}
	return ExitUsage
}
