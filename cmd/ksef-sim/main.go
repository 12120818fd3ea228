// Command ksef-sim runs the KSeF API v2 simulator on a loopback address, for
// integration tests of KSeF clients in any language.
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
// Python, NODE_EXTRA_CA_CERTS for Node).
//
// Fault syntax (repeat --fault for several), e.g.
//
//	--fault 'POST /auth/ksef-token#1=429:retry-after=2'
//	--fault 'GET /auth/{referenceNumber}#2+=503:count=3'
//	--fault '*#every=slow:ms=50'
//
// is documented in full in package sim (Fault, ParseFault). Endpoints under
// /v2/_sim/ (not part of KSeF) issue tokens and change faults at run time.
package main

import (
	"context"
	"encoding/json"
	"errors"
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

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "ksef-sim:", err)
		}
		os.Exit(2)
	}
}

type config struct {
	addr      string
	opts      sim.Options
	logLevel  slog.Level
	seedToken bool
	caOut     string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("ksef-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:0", "loopback `address` to listen on (port 0 picks a free port)")
	fs.Func("fault", "inject a fault, `SPEC` = ROUTE[#WHEN]=KIND[:PARAM=VALUE,…] (repeatable; see package sim)", func(s string) error {
		f, err := sim.ParseFault(s)
		if err != nil {
			return err
		}
		c.opts.Faults = append(c.opts.Faults, f)
		return nil
	})
	fs.DurationVar(&c.opts.AccessTokenTTL, "access-ttl", 15*time.Minute, "lifetime of access tokens")
	fs.DurationVar(&c.opts.RefreshTokenTTL, "refresh-ttl", 7*24*time.Hour, "lifetime of refresh tokens")
	fs.DurationVar(&c.opts.AuthTokenTTL, "auth-token-ttl", 45*time.Minute, "lifetime of authentication (operation) tokens")
	fs.DurationVar(&c.opts.ChallengeTTL, "challenge-ttl", 10*time.Minute, "validity of an authentication challenge")
	authDelay := fs.Int("auth-delay", 1, "status polls answered with 100 (in progress) before the terminal status")
	level := fs.String("log-level", "info", "log `level` on stderr: debug, info, warn or error")
	fs.BoolVar(&c.opts.NoStrict, "no-strict", false, "only log OpenAPI violations instead of answering them with 400/500")
	fs.BoolVar(&c.seedToken, "seed-token", false, "print a random NIP and a KSeF token for it as JSON on the second stdout line")
	fs.DurationVar(&c.opts.ProcessingDelay, "processing-delay", 200*time.Millisecond, "how long an invoice shows 100/150 before its outcome (negative: none)")
	fs.DurationVar(&c.opts.PermanentStorageDelay, "storage-delay", time.Second, "how long after acceptance an invoice gets its permanentStorageDate (negative: at once)")
	fs.IntVar(&c.opts.SessionInvoiceLimit, "session-invoice-limit", 10000, "invoices one online session takes before 21155")
	fs.IntVar(&c.opts.UPOPageSize, "upo-page-size", 10000, "documents per page of a session UPO (1 to 10000)")
	fs.DurationVar(&c.opts.DownloadURLTTL, "download-url-ttl", time.Hour, "lifetime of pre-signed UPO download URLs")
	fs.BoolVar(&c.opts.TLS, "tls", false, "serve pre-signed download URLs over https with a certificate of the simulator's own CA")
	fs.StringVar(&c.caOut, "ca-out", "", "with --tls, write the simulator's CA certificate (PEM) to `PATH` for clients to trust")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	switch {
	case *authDelay < 0:
		return nil, fmt.Errorf("--auth-delay must be 0 or more")
	case *authDelay == 0:
		c.opts.AuthDelay = sim.NoAuthDelay
	default:
		c.opts.AuthDelay = *authDelay
	}
	if err := c.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return nil, fmt.Errorf("--log-level: %v", err)
	}
	switch {
	case c.caOut != "" && !c.opts.TLS:
		return nil, fmt.Errorf("--ca-out needs --tls")
	case c.opts.SessionInvoiceLimit < 1:
		return nil, fmt.Errorf("--session-invoice-limit must be positive")
	case c.opts.UPOPageSize < 1 || c.opts.UPOPageSize > 10000:
		return nil, fmt.Errorf("--upo-page-size must be 1 to 10000")
	}
	// Zero would mean "the default" to sim.Options; on the command line it
	// means none.
	for _, d := range []*time.Duration{&c.opts.ProcessingDelay, &c.opts.PermanentStorageDelay} {
		if *d == 0 {
			*d = -1
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"access-ttl", c.opts.AccessTokenTTL}, {"refresh-ttl", c.opts.RefreshTokenTTL}, {"auth-token-ttl", c.opts.AuthTokenTTL}, {"challenge-ttl", c.opts.ChallengeTTL}, {"download-url-ttl", c.opts.DownloadURLTTL}} {
		if d.v <= 0 {
			return nil, fmt.Errorf("--%s must be positive", d.name)
		}
	}
	return c, nil
}

type seed struct {
	NIP             string `json:"nip"`
	ReferenceNumber string `json:"referenceNumber"`
	Token           string `json:"token"`
}

// run starts the simulator and serves until ctx ends or a signal arrives.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	c.opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: c.logLevel}))
	srv, err := sim.New(c.opts)
	if err != nil {
		return err
	}
	if err := srv.Start(c.addr); err != nil {
		return err
	}
	defer srv.Close()
	if c.caOut != "" {
		if err := os.WriteFile(c.caOut, srv.CACertificatePEM(), 0o644); err != nil {
			return fmt.Errorf("--ca-out: %w", err)
		}
		c.opts.Logger.Info("CA certificate written", "path", c.caOut, "tls", srv.TLSURL())
	}
	// os.Stdout is unbuffered, so each line reaches a reading script at once.
	if _, err := fmt.Fprintf(stdout, "ksef-sim listening on %s\n", srv.URL()); err != nil {
		return err
	}
	if c.seedToken {
		nip := ids.RandomNIP()
		tok, err := srv.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
		if err != nil {
			return err
		}
		line, _ := json.Marshal(seed{NIP: nip, ReferenceNumber: tok.ReferenceNumber, Token: tok.Token})
		if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	c.opts.Logger.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
