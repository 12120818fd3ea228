package simcmd

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/sim"
)

func TestParseFlags(t *testing.T) {
	c, err := Parse([]string{
		"--fault", "POST /auth/ksef-token#1=429:retry-after=1",
		"--fault", "*#every=slow:ms=5",
		"--access-ttl", "2m", "--auth-delay", "0", "--no-strict", "--log-level", "debug",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Opts.Faults) != 2 || c.Opts.Faults[1].Kind != sim.FaultSlow || c.Opts.AccessTokenTTL != 2*time.Minute ||
		c.Opts.AuthDelay != sim.NoAuthDelay || !c.Opts.NoStrict || c.Addr != "127.0.0.1:0" ||
		c.Opts.TokenActivationDelay != 100*time.Millisecond {
		t.Fatalf("%+v", c)
	}
	if c, err := Parse([]string{"--token-activation", "0s"}, io.Discard); err != nil || c.Opts.TokenActivationDelay >= 0 {
		t.Fatalf("--token-activation 0s must make tokens active at once: %+v, %v", c, err)
	}
	for _, args := range [][]string{
		{"--fault", "POST /auth/ksef-token"},
		{"--auth-delay", "-1"},
		{"--log-level", "loud"},
		{"--access-ttl", "0s"},
		{"--token-activation", "-1s"},
		{"extra"},
		{"--ca-out", "/tmp/ca.pem"},
		{"--upo-page-size", "10001"},
		{"--session-invoice-limit", "0"},
	} {
		if _, err := Parse(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

func TestParseOnlineSessionFlags(t *testing.T) {
	c, err := Parse([]string{"--processing-delay", "0", "--storage-delay", "3s", "--upo-page-size", "2",
		"--session-invoice-limit", "5", "--download-url-ttl", "5m", "--tls", "--ca-out", "ca.pem"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Opts.ProcessingDelay >= 0 || c.Opts.PermanentStorageDelay != 3*time.Second || c.Opts.UPOPageSize != 2 ||
		c.Opts.SessionInvoiceLimit != 5 || c.Opts.DownloadURLTTL != 5*time.Minute || !c.Opts.TLS || c.CAOut != "ca.pem" {
		t.Fatalf("%+v", c.Opts)
	}
	if c, _ := Parse(nil, io.Discard); c.Opts.ProcessingDelay != 200*time.Millisecond || c.Opts.TLS {
		t.Fatalf("defaults: %+v", c.Opts)
	}
}

// --tls --ca-out writes the CA that issued the https listener's certificate.
func TestRunWritesCA(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	caPath := filepath.Join(t.TempDir(), "ca.pem")
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, []string{"--tls", "--ca-out", caPath, "--log-level", "error"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("no output: %v", <-done)
	}
	pemBytes, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	if block, _ := pem.Decode(pemBytes); block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s is not a PEM certificate", caPath)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRunPrintsURLAndSeedToken(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, []string{"--seed-token", "--log-level", "error", "--fault", "POST /auth/challenge#1=503"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("no output: %v", <-done)
	}
	m := regexp.MustCompile(`^ksef-sim listening on (http://127\.0\.0\.1:\d+/v2)$`).FindStringSubmatch(lines.Text())
	if m == nil {
		t.Fatalf("first line %q", lines.Text())
	}
	if !lines.Scan() {
		t.Fatal("no seed line")
	}
	var seed Seed
	if err := json.Unmarshal(lines.Bytes(), &seed); err != nil || !strings.HasPrefix(seed.Token, seed.ReferenceNumber+"|nip-"+seed.NIP+"|") {
		t.Fatalf("seed line %q: %v", lines.Text(), err)
	}
	go io.Copy(io.Discard, pr)

	for _, want := range []int{503, 200} { // the --fault took effect
		resp, err := http.Post(m[1]+"/auth/challenge", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("got %d, want %d", resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown")
	}
}

func TestRunRefusesPublicAddress(t *testing.T) {
	if err := Main(context.Background(), []string{"--addr", "0.0.0.0:0"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("got %v", err)
	}
}
