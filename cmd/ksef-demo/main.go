// Command ksef-demo runs ksefkit's main job end to end and prints a short
// summary: against the bundled simulator by default, or against a real KSeF
// environment when KSEF_ENV (test|demo|prod), KSEF_NIP and KSEF_TOKEN are set.
//
//	ksef-demo --base-url http://127.0.0.1:PORT/v2   # simulator: creates a test subject and a KSeF token first
//	KSEF_ENV=test KSEF_NIP=… KSEF_TOKEN=… ksef-demo  # the real TEST environment
//
// Tokens are never printed; only their validity.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/xades"
)

func main() {
	baseURL := flag.String("base-url", "", "simulator (or proxy) API base URL including /v2")
	verbose := flag.Bool("v", false, "log retries, refreshes and warnings to stderr")
	flag.Parse()
	if err := run(os.Stdout, *baseURL, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "ksef-demo:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, baseURL string, verbose bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := ksef.Config{}
	if verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	envName, nip, token := os.Getenv("KSEF_ENV"), os.Getenv("KSEF_NIP"), os.Getenv("KSEF_TOKEN")
	simulated := envName == ""
	if simulated {
		if baseURL == "" {
			return fmt.Errorf("give --base-url of a running ksef-sim, or set KSEF_ENV, KSEF_NIP and KSEF_TOKEN for a real environment")
		}
		cfg.Environment, cfg.BaseURL = "test", baseURL
	} else {
		if nip == "" || token == "" {
			return fmt.Errorf("KSEF_ENV=%s needs KSEF_NIP and KSEF_TOKEN", envName)
		}
		cfg.Environment, cfg.BaseURL = envName, baseURL
	}
	c, err := ksef.New(cfg)
	if err != nil {
		return err
	}
	e := c.Environment()
	fmt.Fprintf(w, "environment      %s (%s)\n", e.Name, e.APIBase)

	if simulated {
		nip = ids.RandomNIP()
		if err := c.API().CreateTestSubject(ctx, &api.SubjectCreateRequest{SubjectNip: nip, SubjectType: "VatGroup", Description: "ksefkit demo subject"}); err != nil {
			return fmt.Errorf("creating the test subject: %w", err)
		}
		fmt.Fprintf(w, "test subject     NIP %s created (POST /testdata/subject)\n", nip)
		var issued struct {
			ReferenceNumber string `json:"referenceNumber"`
			Token           string `json:"token"`
		}
		if _, err := c.API().Do(ctx, api.Call{Method: "POST", Path: "/_sim/tokens", Route: "POST /_sim/tokens",
			JSON: map[string]any{"contextIdentifier": ids.ContextIdentifier{Type: ids.ContextNip, Value: nip},
				"permissions": []string{"InvoiceRead", "InvoiceWrite"}, "description": "ksefkit demo token"}}, &issued); err != nil {
			return fmt.Errorf("issuing a KSeF token on the simulator: %w", err)
		}
		token = issued.Token
		fmt.Fprintf(w, "KSeF token       %s issued (simulator-only endpoint)\n", issued.ReferenceNumber)
	}

	start := time.Now()
	info, err := c.AuthenticateWithToken(ctx, ksef.TokenAuth{Token: token, Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
	if err != nil {
		return describe("authentication", err)
	}
	fmt.Fprintf(w, "authenticated    context %s, reference %s, in %s\n", info.Context, info.ReferenceNumber, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(w, "access token     valid until %s\n", info.AccessTokenValidUntil.Format(time.RFC3339))
	fmt.Fprintf(w, "refresh token    valid until %s\n", info.RefreshTokenValidUntil.Format(time.RFC3339))

	if info, err = c.Refresh(ctx); err != nil {
		return describe("refresh", err)
	}
	fmt.Fprintf(w, "refreshed        access token now valid until %s\n", info.AccessTokenValidUntil.Format(time.RFC3339))

	// TEST (and the simulator) accept self-signed certificates: authenticate
	// a second time, now with a XAdES-signed AuthTokenRequest.
	if e.SelfSignedAllowed {
		tc, err := certs.GenerateTest(certs.TestOptions{Kind: "personal", NIP: nip, GivenName: "Jan", Surname: "Demo"})
		if err != nil {
			return describe("generating a test certificate", err)
		}
		fmt.Fprintf(w, "test certificate %s carries %s %s (from %s)\n", tc.Info.Subject, tc.Info.Identity.Type, tc.Info.Identity.Value, tc.Info.Identity.Source)
		signer, err := xades.NewSigner(tc.Credential.Signer, tc.Credential.Certificate)
		if err != nil {
			return describe("preparing the signer", err)
		}
		info, err = c.Authenticate(ctx, &auth.XAdES{Signer: signer, Ctx: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
		if err != nil {
			return describe("XAdES authentication", err)
		}
		fmt.Fprintf(w, "XAdES auth       reference %s, access token valid until %s\n", info.ReferenceNumber, info.AccessTokenValidUntil.Format(time.RFC3339))
	}

	sessions, err := c.AllAuthSessions(ctx)
	if err != nil {
		return describe("listing sessions", err)
	}
	fmt.Fprintf(w, "auth sessions    %d in this context\n", len(sessions))
	for _, s := range sessions {
		cur := ""
		if s.IsCurrent {
			cur = " (current)"
		}
		method := s.AuthenticationMethod
		if s.AuthenticationMethodInfo != nil {
			method = s.AuthenticationMethodInfo.DisplayName
		}
		fmt.Fprintf(w, "  %s  %s  status %d  %s%s\n", s.ReferenceNumber, s.StartDate.Format(time.RFC3339), s.Status.Code, method, cur)
	}
	return nil
}

// describe prints the KSeF codes of a failure, which is what users search for.
func describe(what string, err error) error {
	e := errs.As(err)
	return fmt.Errorf("%s failed: %s", what, e.Error())
}
