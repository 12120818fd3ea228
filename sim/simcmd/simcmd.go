// Package simcmd is the command line of the simulator — its flags, the
// lines it prints and its serve loop — shared by the ksef-sim binary and
// the `ksef sim` command so that both take exactly the same flags.
//
// Usage:
//
//	ksef-sim [--addr 127.0.0.1:0] [--fault SPEC]… [--seed-token] [flags]
//
// The first line on stdout is always
//
//	ksef-sim listening on http://127.0.0.1:PORT/v2
//
// and with --seed-token the second line is one JSON object with a random
// valid NIP and an active KSeF token for it (its owner's, with InvoiceRead
// and InvoiceWrite):
//
//	{"nip":"5265877635","referenceNumber":"20251010-EC-…","token":"20251010-EC-…|nip-5265877635|…"}
//
// Nothing else is written to stdout; the log goes to stderr. SIGINT or
// SIGTERM shut the server down gracefully.
//
// With --tls the pre-signed UPO download URLs are https, from a second
// listener whose certificate the simulator's own CA issued; --ca-out PATH
// writes that CA (PEM) for clients to trust (SSL_CERT_FILE for Go and
// Python, NODE_EXTRA_CA_CERTS for Node) before the first stdout line.
//
// Fault syntax (repeat --fault for several), e.g.
//
//	--fault 'POST /auth/ksef-token#1=429:retry-after=2'
//	--fault 'GET /auth/{referenceNumber}#2+=503:count=3'
//	--fault '*#every=slow:ms=50'
//
// is documented in full in package sim (Fault, ParseFault). Endpoints under
// /v2/_sim/ (not part of KSeF) issue tokens and change faults at run time.
package simcmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/sim"
)

// Config is what the flags set.
type Config struct {
	Addr      string
	Opts      sim.Options
	LogLevel  slog.Level
	SeedToken bool
	// CAOut receives the CA certificate with --tls.
	CAOut string

	authDelay   int
	level       string
	exportDelay time.Duration
}

// FlagSet defines the simulator's flags on a new flag set bound to c. A
// cobra command adds it with Flags().AddGoFlagSet; call Check after parsing.
func (c *Config) FlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:0", "loopback `address` to listen on (port 0 picks a free port)")
	fs.Func("fault", "inject a fault, `SPEC` = ROUTE[#WHEN]=KIND[:PARAM=VALUE,…] (repeatable; see package sim)", func(s string) error {
		f, err := sim.ParseFault(s)
		if err != nil {
			return err
		}
		c.Opts.Faults = append(c.Opts.Faults, f)
		return nil
	})
	fs.DurationVar(&c.Opts.AccessTokenTTL, "access-ttl", 15*time.Minute, "lifetime of access tokens")
	fs.DurationVar(&c.Opts.RefreshTokenTTL, "refresh-ttl", 7*24*time.Hour, "lifetime of refresh tokens")
	fs.DurationVar(&c.Opts.AuthTokenTTL, "auth-token-ttl", 45*time.Minute, "lifetime of authentication (operation) tokens")
	fs.DurationVar(&c.Opts.ChallengeTTL, "challenge-ttl", 10*time.Minute, "validity of an authentication challenge")
	fs.IntVar(&c.authDelay, "auth-delay", 1, "status polls answered with 100 (in progress) before the terminal status")
	fs.DurationVar(&c.Opts.TokenActivationDelay, "token-activation", 100*time.Millisecond, "how long a token generated with POST /tokens stays Pending (0: active at once)")
	fs.StringVar(&c.level, "log-level", "info", "log `level` on stderr: debug, info, warn or error")
	fs.BoolVar(&c.Opts.NoStrict, "no-strict", false, "only log OpenAPI violations instead of answering them with 400/500")
	fs.BoolVar(&c.SeedToken, "seed-token", false, "print a random NIP and a KSeF token for it as JSON on the second stdout line")
	fs.DurationVar(&c.Opts.ProcessingDelay, "processing-delay", 200*time.Millisecond, "how long an invoice shows 100/150 before its outcome (0: none)")
	fs.DurationVar(&c.Opts.PermanentStorageDelay, "storage-delay", time.Second, "how long after acceptance an invoice gets its permanentStorageDate (0: at once)")
	fs.IntVar(&c.Opts.SessionInvoiceLimit, "session-invoice-limit", 10000, "invoices one online session takes before 21155")
	fs.IntVar(&c.Opts.UPOPageSize, "upo-page-size", 10000, "documents per page of a session UPO (1 to 10000)")
	fs.DurationVar(&c.Opts.DownloadURLTTL, "download-url-ttl", time.Hour, "lifetime of pre-signed download URLs")
	fs.BoolVar(&c.Opts.TLS, "tls", false, "serve pre-signed download URLs over https with a certificate of the simulator's own CA")
	fs.StringVar(&c.CAOut, "ca-out", "", "with --tls, write the simulator's CA certificate (PEM) to `PATH` for clients to trust")
	fs.DurationVar(&c.Opts.PartUploadTime, "part-upload-time", 20*time.Minute, "a batch session's upload time per declared part, from its opening (upload URLs expire, close answers 21208)")
	fs.StringVar(&c.Opts.SpoolDir, "spool-dir", "", "`directory` for uploaded batch parts while they wait for processing (default: the system's temporary directory)")
	fs.BoolVar(&c.Opts.SkipXSD, "skip-xsd", false, "decide invoices without XSD validation (every other check stays): for load tests")
	c.receiveFlags(fs)
	return fs
}

// Check validates the parsed flags (args are the positional arguments left
// over) and derives the simulator options.
func (c *Config) Check(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(args, " "))
	}
	switch {
	case c.authDelay < 0:
		return fmt.Errorf("--auth-delay must be 0 or more")
	case c.authDelay == 0:
		c.Opts.AuthDelay = sim.NoAuthDelay
	default:
		c.Opts.AuthDelay = c.authDelay
	}
	switch {
	case c.Opts.TokenActivationDelay < 0:
		return fmt.Errorf("--token-activation must be 0 or more")
	case c.Opts.TokenActivationDelay == 0:
		c.Opts.TokenActivationDelay = -1 // sim.Options: negative means active at once
	}
	if err := c.checkReceive(); err != nil {
		return err
	}
	if err := c.LogLevel.UnmarshalText([]byte(c.level)); err != nil {
		return fmt.Errorf("--log-level: %v", err)
	}
	switch {
	case c.CAOut != "" && !c.Opts.TLS:
		return fmt.Errorf("--ca-out needs --tls")
	case c.Opts.SessionInvoiceLimit < 1:
		return fmt.Errorf("--session-invoice-limit must be positive")
	case c.Opts.UPOPageSize < 1 || c.Opts.UPOPageSize > 10000:
		return fmt.Errorf("--upo-page-size must be 1 to 10000")
	case c.Opts.PartUploadTime <= 0:
		return fmt.Errorf("--part-upload-time must be positive")
	}
	// Zero would mean "the default" to sim.Options; on the command line it
	// means none.
	for _, d := range []*time.Duration{&c.Opts.ProcessingDelay, &c.Opts.PermanentStorageDelay} {
		switch {
		case *d < 0:
			return fmt.Errorf("--processing-delay and --storage-delay must be 0 or more")
		case *d == 0:
			*d = -1
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"access-ttl", c.Opts.AccessTokenTTL}, {"refresh-ttl", c.Opts.RefreshTokenTTL}, {"auth-token-ttl", c.Opts.AuthTokenTTL}, {"challenge-ttl", c.Opts.ChallengeTTL}, {"download-url-ttl", c.Opts.DownloadURLTTL}} {
		if d.v <= 0 {
			return fmt.Errorf("--%s must be positive", d.name)
		}
	}
	return nil
}

// Parse reads the ksef-sim command line.
func Parse(args []string, stderr io.Writer) (*Config, error) {
	c := &Config{}
	fs := c.FlagSet("ksef-sim")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return c, c.Check(fs.Args())
}

// Seed is the second stdout line with --seed-token.
type Seed struct {
	NIP             string `json:"nip"`
	ReferenceNumber string `json:"referenceNumber"`
	Token           string `json:"token"`
}

// Main parses args and serves until ctx ends or a signal arrives.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := Parse(args, stderr)
	if err != nil {
		return err
	}
	return Serve(ctx, c, stdout, stderr)
}

// Serve starts the simulator c describes and serves until ctx ends or
// SIGINT/SIGTERM arrives.
func Serve(ctx context.Context, c *Config, stdout, stderr io.Writer) error {
	c.Opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: c.LogLevel}))
	srv, err := sim.New(c.Opts)
	if err != nil {
		return err
	}
	if err := srv.Start(c.Addr); err != nil {
		return err
	}
	defer srv.Close()
	if c.CAOut != "" {
		if err := os.WriteFile(c.CAOut, srv.CACertificatePEM(), 0o644); err != nil {
			return fmt.Errorf("--ca-out: %w", err)
		}
		c.Opts.Logger.Info("CA certificate written", "path", c.CAOut, "tls", srv.TLSURL())
	}
	// os.Stdout is unbuffered, so each line reaches a reading script at once.
	if _, err := fmt.Fprintf(stdout, "ksef-sim listening on %s\n", srv.URL()); err != nil {
		return err
	}
	if c.SeedToken {
		nip := ids.RandomNIP()
		tok, err := srv.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
		if err != nil {
			return err
		}
		line, _ := json.Marshal(Seed{NIP: nip, ReferenceNumber: tok.ReferenceNumber, Token: tok.Token})
		if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	c.Opts.Logger.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
