// Command ksef-demo runs ksefkit's main job end to end and prints a short
// summary: authenticate, then send the official FA(3) sample invoice through
// an online session, print its KSeF number and KOD I link, close the
// session, wait for processing and verify the invoice's UPO — against the
// bundled simulator by default, or against a real KSeF environment when
// KSEF_ENV (test|demo|prod), KSEF_NIP and KSEF_TOKEN are set. The invoice's
// buyer is a second test subject on the simulator (KSEF_BUYER_NIP in a
// real environment); with --buyer-out its NIP and token go to a file, for
// the demo's last step: the buyer's sync (build/scripts/demo.d/90-sync.sh).
//
//	ksef-demo --base-url http://127.0.0.1:PORT/v2   # simulator: creates the test subjects and KSeF tokens first
//	KSEF_ENV=test KSEF_NIP=… KSEF_TOKEN=… ksef-demo  # the real TEST environment
//	KSEF_NIP=… KSEF_TOKEN=… ksef-demo --base-url … --batch 200  # a batch session of 200 generated invoices
//
// Tokens are never printed; only their validity.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/xades"
	"github.com/ksefkit/ksefkit/sim/samples"
)

func main() {
	baseURL := flag.String("base-url", "", "simulator (or proxy) API base URL including /v2")
	verbose := flag.Bool("v", false, "log retries, refreshes and warnings to stderr")
	buyerOut := flag.String("buyer-out", "", "simulator: write the NIP and KSeF token of the invoice's buyer (a second test subject) as JSON to this file, for the demo's sync")
	batchOf := flag.Int("batch", 0, "instead: send this many generated invoices in one batch session (context from KSEF_NIP, KSEF_TOKEN)")
	writeDir := flag.String("write-invoices", "", "instead: write --count generated FA (3) invoices of the seller KSEF_NIP into this directory")
	count := flag.Int("count", 2, "with --write-invoices: how many")
	flag.Parse()
	if *writeDir != "" {
		if err := writeInvoices(*writeDir, *count); err != nil {
			fmt.Fprintln(os.Stderr, "ksef-demo:", err)
			os.Exit(1)
		}
		return
	}
	if *batchOf > 0 {
		if err := runBatch(os.Stdout, *baseURL, *batchOf); err != nil {
			fmt.Fprintln(os.Stderr, "ksef-demo:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Stdout, *baseURL, *verbose, *buyerOut); err != nil {
		fmt.Fprintln(os.Stderr, "ksef-demo:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, baseURL string, verbose bool, buyerOut string) error {
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

	// The buyer of the demo's invoice: a second test subject on the
	// simulator (its token lets the demo's end sync the buyer's side), or
	// KSEF_BUYER_NIP in a real environment.
	buyer := os.Getenv("KSEF_BUYER_NIP")
	if simulated {
		nip = ids.RandomNIP()
		issued, err := simSubject(ctx, c, nip, "ksefkit demo subject")
		if err != nil {
			return err
		}
		token = issued.Token
		fmt.Fprintf(w, "test subject     NIP %s created (POST /testdata/subject)\n", nip)
		fmt.Fprintf(w, "KSeF token       %s issued (simulator-only endpoint)\n", issued.ReferenceNumber)
		buyer = ids.RandomNIP()
		b, err := simSubject(ctx, c, buyer, "ksefkit demo buyer")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "buyer subject    NIP %s created, with a KSeF token of its own\n", buyer)
		if buyerOut != "" {
			j, _ := json.Marshal(map[string]string{"nip": buyer, "token": b.Token})
			if err := os.WriteFile(buyerOut, j, 0o600); err != nil {
				return err
			}
		}
	}

	start := time.Now()
	info, err := c.AuthenticateWithToken(ctx, ksef.TokenAuth{Token: secret.NewString(token), Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
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

	if err := sendSample(ctx, w, c, nip, buyer); err != nil {
		return err
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

// simSubject creates a test subject on the simulator and issues a KSeF
// token for its context (a simulator-only endpoint).
func simSubject(ctx context.Context, c *ksef.Client, nip, description string) (*issuedToken, error) {
	if err := c.API().CreateTestSubject(ctx, &api.SubjectCreateRequest{SubjectNip: nip, SubjectType: "VatGroup", Description: description}); err != nil {
		return nil, fmt.Errorf("creating the test subject: %w", err)
	}
	var issued issuedToken
	if _, err := c.API().Do(ctx, api.Call{Method: "POST", Path: "/_sim/tokens", Route: "POST /_sim/tokens",
		JSON: map[string]any{"contextIdentifier": ids.ContextIdentifier{Type: ids.ContextNip, Value: nip},
			"permissions": []string{"InvoiceRead", "InvoiceWrite"}, "description": description + " token"}}, &issued); err != nil {
		return nil, fmt.Errorf("issuing a KSeF token on the simulator: %w", err)
	}
	return &issued, nil
}

type issuedToken struct {
	ReferenceNumber string `json:"referenceNumber"`
	Token           string `json:"token"`
}

// sendSample issues the official FA(3) sample — placeholders filled with
// the context NIP as seller, the buyer's NIP (random when empty), a unique
// number and today's date — through one online session, and checks its
// receipt.
func sendSample(ctx context.Context, w io.Writer, c *ksef.Client, nip, buyer string) error {
	doc, err := samples.Invoice("fa3", samples.Fill{SellerNIP: nip, BuyerNIP: buyer, Number: "KSEFKIT/DEMO/" + strconv.FormatInt(time.Now().UnixNano(), 36)})
	if err != nil {
		return describe("filling the sample invoice", err)
	}
	s, err := c.OpenOnlineSession(ctx, online.OpenOptions{FormCode: invoice.FA3})
	if err != nil {
		return describe("opening an online session", err)
	}
	fmt.Fprintf(w, "online session   %s (%s, open until %s)\n", s.ReferenceNumber(), s.FormCode().SystemCode, s.ValidUntil().Format(time.RFC3339))
	sent, err := s.Send(ctx, doc, online.SendOptions{})
	if err != nil {
		return describe("sending the invoice", err)
	}
	fmt.Fprintf(w, "invoice sent     %s, %d bytes, SHA-256 %s\n", sent.InvoiceNumber, sent.InvoiceSize, sent.InvoiceHash)
	results, err := s.WaitInvoices(ctx)
	if err != nil {
		return describe("waiting for the invoice", err)
	}
	r := results[0]
	if !r.OK {
		return fmt.Errorf("KSeF did not accept the invoice: status %d %s %v", r.Status.Code, r.Status.Description, r.Status.Details)
	}
	fmt.Fprintf(w, "KSeF number      %s\n", r.KSeFNumber)
	fmt.Fprintf(w, "KOD I            %s\n", sent.VerificationLink)
	if err := s.Close(ctx); err != nil {
		return describe("closing the session", err)
	}
	p, err := s.Wait(ctx)
	if err != nil {
		return describe("waiting for the session", err)
	}
	fmt.Fprintf(w, "session closed   status %d %s: %d of %d invoices accepted\n", p.Status.Code, p.Status.Description, p.SuccessfulInvoiceCount, p.InvoiceCount)
	u, err := c.Online().InvoiceUPO(ctx, s.ReferenceNumber(), api.UPOSelector{KSeFNumber: r.KSeFNumber})
	if err != nil {
		return describe("downloading the UPO", err)
	}
	if !u.Verified {
		return describe("verifying the UPO", u.VerificationError)
	}
	d := u.Verification.UPO.Documents[0]
	fmt.Fprintf(w, "UPO              signed by %q at %s; lists %s, hash %s (%s)\n",
		u.Verification.Signer.Subject, u.Verification.SigningTime.Format(time.RFC3339), d.KSeFNumber, d.Hash, d.Mode)
	if d.KSeFNumber != r.KSeFNumber || d.Hash != sent.InvoiceHash {
		return fmt.Errorf("the UPO does not confirm the invoice sent")
	}
	return nil
}

// describe prints the KSeF codes of a failure, which is what users search for.
func describe(what string, err error) error {
	e := errs.As(err)
	return fmt.Errorf("%s failed: %s", what, e.Error())
}
