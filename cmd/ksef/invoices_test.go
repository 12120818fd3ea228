package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/profile"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

// ksef invoices query|get|export|sync against the simulator, as a buyer
// authenticated with a KSeF token from the environment.
func TestInvoicesCommands(t *testing.T) {
	s := simtest.Start(t, sim.Options{AuthDelay: sim.NoAuthDelay, ExportDelay: 10 * time.Millisecond})
	buyer, seller := ids.RandomNIP(), ids.RandomNIP()
	tok, err := s.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: buyer}})
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-48 * time.Hour)
	seeded, err := s.SeedInvoices(sim.Seed{SellerNIP: seller, BuyerNIP: buyer, Count: 12, StoredFrom: since.Add(time.Hour), Spacing: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := &cli{t: t, env: profile.Env{"HOME": t.TempDir(), "KSEF_TOKEN": tok.Token}}
	g := []string{"--env", s.URL(), "--nip", buyer, "--auth-poll-interval", "50ms"}
	args := func(a ...string) []string { return append(append([]string{}, g...), a...) }
	from := since.Format(time.RFC3339)

	var page struct {
		Invoices []struct {
			KSeFNumber string `json:"ksefNumber"`
		} `json:"invoices"`
	}
	c.ok(&page, args("invoices", "query", "--from", from, "--page-size", "10", "--all")...)
	if len(page.Invoices) != 12 || page.Invoices[0].KSeFNumber != seeded.KSeFNumbers[0] {
		t.Fatalf("invoices query --all: %d records", len(page.Invoices))
	}
	out := filepath.Join(dir, "one.xml")
	c.ok(nil, args("invoices", "get", seeded.KSeFNumbers[3], "--out", out)...)
	if b, _ := os.ReadFile(out); string(b) != string(s.Invoices()[3].XML) {
		t.Fatal("invoices get --out: not the stored invoice")
	}
	if r := c.run(args("invoices", "get", seeded.KSeFNumbers[3])...); r.code != 0 || r.out != string(s.Invoices()[3].XML) {
		t.Fatalf("invoices get to stdout: exit %d", r.code)
	}
	c.ok(nil, args("invoices", "export", "--from", from, "--restrict-hwm", "--dir", filepath.Join(dir, "export"))...)
	if files, _ := os.ReadDir(filepath.Join(dir, "export")); len(files) != 13 {
		t.Fatalf("invoices export --dir: %d files", len(files))
	}
	var synced struct {
		Delivered int  `json:"delivered"`
		CaughtUp  bool `json:"caughtUp"`
	}
	state, inbox := filepath.Join(dir, "sync.json"), filepath.Join(dir, "inbox")
	c.ok(&synced, args("invoices", "sync", "--state", state, "--dir", inbox, "--since", from)...)
	if synced.Delivered != 12 || !synced.CaughtUp {
		t.Fatalf("first sync: %+v", synced)
	}
	r := c.run(args("invoices", "sync", "--state", state, "--dir", inbox)...)
	if r.code != 0 || r.out != "0 new invoices in 1 window → "+inbox+"\n" {
		t.Fatalf("second sync: exit %d: %q %s", r.code, r.out, r.errOut)
	}
	if e := c.fails(2, args("invoices", "query", "--from", "2026-01-01", "--to", "2026-06-01")...); e.Field != "filters.dateRange.to" {
		t.Fatalf("a range over three months: %+v", e)
	}
	secret := tok.Token[strings.LastIndex(tok.Token, "|")+1:]
	for i, o := range c.outputs {
		if strings.Contains(o, secret) {
			t.Errorf("output %d contains the KSeF token", i)
		}
	}
}
