package ksef

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math"
	"os"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/transport"
)

// JSONConfig is the client configuration as the C ABI, the wasm module and
// the bindings pass it: durations in milliseconds, no Go types.
type JSONConfig struct {
	Environment string `json:"environment,omitempty" doc:"test, demo or prod"`
	BaseURL     string `json:"baseUrl,omitempty" doc:"custom API base including /v2 (simulator, proxy); http only for loopback"`
	UserAgent   string `json:"userAgent,omitempty"`
	// Retry policy of single requests.
	MaxAttempts      int   `json:"maxAttempts,omitempty" doc:"attempts per request including the first (default 5)"`
	RequestTimeoutMs int64 `json:"requestTimeoutMs,omitempty" doc:"one attempt (default 60000)"`
	TotalTimeoutMs   int64 `json:"totalTimeoutMs,omitempty" doc:"one request with all its retries (default 180000)"`
	MaxRetryAfterMs  int64 `json:"maxRetryAfterMs,omitempty" doc:"longest Retry-After honoured (default 120000)"`
	BackoffMs        int64 `json:"backoffMs,omitempty" doc:"first backoff after a 5xx or transport error (default 500)"`
	// Authentication polling.
	PollInitialMs int64 `json:"pollInitialMs,omitempty" doc:"first wait between status checks (default 250)"`
	PollMaxMs     int64 `json:"pollMaxMs,omitempty" doc:"longest wait between status checks (default 2000)"`
	PollTimeoutMs int64 `json:"pollTimeoutMs,omitempty" doc:"give up polling after (default 180000)"`
	// Waiting for invoices and sessions to be processed.
	SessionPollInitialMs int64 `json:"sessionPollInitialMs,omitempty" doc:"first wait between session/invoice status checks (default 500)"`
	SessionPollMaxMs     int64 `json:"sessionPollMaxMs,omitempty" doc:"longest wait between session/invoice status checks (default 5000)"`
	SessionPollTimeoutMs int64 `json:"sessionPollTimeoutMs,omitempty" doc:"give up waiting for processing after (default 600000; the session goes on in KSeF)"`
	// Waiting for an export's package and for an invoice to become downloadable.
	ReceivePollInitialMs int64  `json:"receivePollInitialMs,omitempty" doc:"first wait between export status checks (default 1000; 2000 for a download KSeF answers 21165)"`
	ReceivePollMaxMs     int64  `json:"receivePollMaxMs,omitempty" doc:"longest wait between export status checks (default 15000)"`
	ReceivePollTimeoutMs int64  `json:"receivePollTimeoutMs,omitempty" doc:"give up waiting for a package after (default 900000; resumable)"`
	TempDir              string `json:"tempDir,omitempty" doc:"where an export being read is spooled (default the system's temporary directory; as much space as the package)"`
	NoRateLimiter        bool   `json:"noRateLimiter,omitempty" doc:"do not pace downloads, queries and exports by KSeF's limits (rely on its 429s alone)"`
	// RefreshLeewayMs renews tokens this long before they expire (default 60000).
	RefreshLeewayMs int64 `json:"refreshLeewayMs,omitempty"`
	// LogLevel sends logs to stderr: "debug", "info", "warn", "error" or "off" (default).
	LogLevel string `json:"logLevel,omitempty"`
}

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

const maxMs = int64(math.MaxInt64 / time.Millisecond)

// ParseJSONConfig reads a JSONConfig strictly (unknown fields are errors, so
// a misspelt option is not silently ignored).
func ParseJSONConfig(data []byte) (Config, error) {
	var j JSONConfig
	if len(bytes.TrimSpace(data)) > 0 && string(bytes.TrimSpace(data)) != "null" {
		d := json.NewDecoder(bytes.NewReader(data))
		d.DisallowUnknownFields()
		if err := d.Decode(&j); err != nil {
			return Config{}, errs.JSONInput(err, "client configuration")
		}
	}
	return j.Config()
}

// Config checks the JSON form and turns it into a Config.
func (j JSONConfig) Config() (Config, error) {
	for name, v := range map[string]int64{
		"requestTimeoutMs": j.RequestTimeoutMs, "totalTimeoutMs": j.TotalTimeoutMs, "maxRetryAfterMs": j.MaxRetryAfterMs,
		"backoffMs": j.BackoffMs, "pollInitialMs": j.PollInitialMs, "pollMaxMs": j.PollMaxMs, "pollTimeoutMs": j.PollTimeoutMs,
		"refreshLeewayMs": j.RefreshLeewayMs, "maxAttempts": int64(j.MaxAttempts),
		"sessionPollInitialMs": j.SessionPollInitialMs, "sessionPollMaxMs": j.SessionPollMaxMs, "sessionPollTimeoutMs": j.SessionPollTimeoutMs,
		"receivePollInitialMs": j.ReceivePollInitialMs, "receivePollMaxMs": j.ReceivePollMaxMs, "receivePollTimeoutMs": j.ReceivePollTimeoutMs,
	} {
		if v < 0 {
			return Config{}, errs.Invalid(name, "%s must not be negative", name)
		}
		if v > maxMs && name != "maxAttempts" {
			// Milliseconds past this overflow time.Duration (≈ 292 years).
			return Config{}, errs.Invalid(name, "%s is too large", name)
		}
	}
	cfg := Config{
		Environment: j.Environment, BaseURL: j.BaseURL, UserAgent: j.UserAgent,
		Retry: transport.RetryPolicy{
			MaxAttempts: j.MaxAttempts, AttemptTimeout: ms(j.RequestTimeoutMs), TotalTimeout: ms(j.TotalTimeoutMs),
			MaxRetryAfter: ms(j.MaxRetryAfterMs), BaseDelay: ms(j.BackoffMs),
		},
		Poll:          auth.PollPolicy{Initial: ms(j.PollInitialMs), Max: ms(j.PollMaxMs), Timeout: ms(j.PollTimeoutMs)},
		RefreshLeeway: ms(j.RefreshLeewayMs),
		SessionPoll:   poll.Policy{Initial: ms(j.SessionPollInitialMs), Max: ms(j.SessionPollMaxMs), Timeout: ms(j.SessionPollTimeoutMs)},
		ReceivePoll:   poll.Policy{Initial: ms(j.ReceivePollInitialMs), Max: ms(j.ReceivePollMaxMs), Timeout: ms(j.ReceivePollTimeoutMs)},
		TempDir:       j.TempDir, NoRateLimiter: j.NoRateLimiter,
	}
	switch strings.ToLower(j.LogLevel) {
	case "", "off", "none":
	case "debug", "info", "warn", "error":
		var lvl slog.Level
		_ = lvl.UnmarshalText([]byte(j.LogLevel))
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	default:
		return Config{}, errs.Invalid("logLevel", "logLevel must be debug, info, warn, error or off (got %s)", errs.Shape(j.LogLevel))
	}
	if cfg.Environment == "" && cfg.BaseURL == "" {
		return Config{}, errs.Invalid("environment", "environment (test, demo, prod) or baseUrl is required")
	}
	return cfg, nil
}
