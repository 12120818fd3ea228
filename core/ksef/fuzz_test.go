package ksef_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
)

// FuzzParseJSONConfig: the client configuration every binding passes in
// (ksef_client_new) is a typed input error or a configuration New accepts
// or refuses with a typed error — never a panic. Seeds: testdata/fuzz.
func FuzzParseJSONConfig(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ksef.ParseJSONConfig(data)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.InputInvalid {
				t.Fatalf("%v (%T) is not input.invalid", err, err)
			}
			return
		}
		for name, d := range map[string]time.Duration{
			"requestTimeoutMs": cfg.Retry.AttemptTimeout, "totalTimeoutMs": cfg.Retry.TotalTimeout,
			"maxRetryAfterMs": cfg.Retry.MaxRetryAfter, "backoffMs": cfg.Retry.BaseDelay, "pollInitialMs": cfg.Poll.Initial,
			"pollMaxMs": cfg.Poll.Max, "pollTimeoutMs": cfg.Poll.Timeout, "refreshLeewayMs": cfg.RefreshLeeway,
		} {
			if d < 0 {
				t.Fatalf("%s became the negative duration %s (overflow)", name, d)
			}
		}
		cfg.Logger = nil // a logLevel would write to stderr
		if _, err := ksef.New(cfg); err != nil {
			var e *errs.Error
			if !errors.As(err, &e) {
				t.Fatalf("New: %v (%T) is not typed", err, err)
			}
		}
	})
}
