package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/profile"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// ksef invoices send: one invalid file stops it before anything is sent;
// with --skip-invalid the valid files get KSeF numbers and a verified UPO
// on disk, the exit code is 0 only when every file sent is in KSeF, and
// the UPO of one invoice comes with ksef online upo.
func TestInvoicesSend(t *testing.T) {
	s := startSim(t)
	home := t.TempDir()
	c := &cli{t: t, env: profile.Env{"HOME": home}}
	nip := ids.RandomNIP()
	c.ok(nil, "profile", "create", "me", "--env", s.URL(), "--nip", nip, "--test-cert", "--auth-poll-interval", "100ms")

	dir := t.TempDir()
	write := func(name string, doc []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var good []string
	for _, n := range []string{"FV-1.xml", "FV-2.xml"} {
		doc, err := samples.Invoice("fa3", samples.Fill{SellerNIP: nip})
		if err != nil {
			t.Fatal(err)
		}
		good = append(good, write(n, doc))
	}
	broken := write("broken.xml", []byte("<Faktura>"))

	if e := c.fails(2, "invoices", "send", good[0], broken); e.Field != "invoices[1].xml" && !strings.HasPrefix(e.Field, "invoices[1]") {
		t.Fatalf("an invalid file: %+v", e)
	}
	if e := c.fails(2, "invoices", "send", good[0], filepath.Join(dir, "missing.xml")); e.Field != "invoices[1].path" {
		t.Fatalf("a missing file: %+v", e)
	}
	if n := s.InvoiceCount(); n != 0 {
		t.Fatalf("an invalid file let %d invoices through", n)
	}

	upoDir := filepath.Join(home, "upo")
	var rep struct {
		ReferenceNumber string `json:"referenceNumber"`
		Documents       []struct {
			Name       string `json:"name"`
			OK         bool   `json:"ok"`
			KSeFNumber string `json:"ksefNumber"`
			Outcome    string `json:"outcome"`
		} `json:"documents"`
		UPO []struct {
			Verified bool `json:"verified"`
		} `json:"upo"`
	}
	c.ok(&rep, "invoices", "send", "--skip-invalid", "--upo-dir", upoDir, good[0], broken, good[1])
	if len(rep.Documents) != 3 || !rep.Documents[0].OK || rep.Documents[1].Outcome != "invalid" || !rep.Documents[2].OK ||
		rep.Documents[0].Name != good[0] || rep.Documents[2].KSeFNumber == "" || len(rep.UPO) != 1 || !rep.UPO[0].Verified {
		t.Fatalf("invoices send --skip-invalid: %+v", rep)
	}
	pages, _ := filepath.Glob(filepath.Join(upoDir, "UPO-"+rep.ReferenceNumber+"-*.xml"))
	if len(pages) != 1 {
		t.Fatalf("UPO pages written: %v", pages)
	}
	if xml, _ := os.ReadFile(pages[0]); !bytes.Contains(xml, []byte(rep.Documents[2].KSeFNumber)) {
		t.Fatal("the session UPO on disk does not list the invoice")
	}

	out := filepath.Join(home, "one-upo.xml")
	var upo struct {
		Documents []struct {
			Verified bool `json:"verified"`
		} `json:"documents"`
	}
	c.ok(&upo, "online", "upo", rep.ReferenceNumber, "--ksef-number", rep.Documents[0].KSeFNumber, "--out", out)
	if xml, _ := os.ReadFile(out); len(upo.Documents) != 1 || !upo.Documents[0].Verified || !bytes.Contains(xml, []byte(rep.Documents[0].KSeFNumber)) {
		t.Fatalf("online upo of one invoice: %+v", upo)
	}

	// KSeF rejects one file (the XSD has no such element): exit 1, and the
	// report — for people here — names the file, KSeF's code and the other
	// file's KSeF number. The same file sent again is a duplicate (in KSeF).
	doc, err := samples.Invoice("fa3", samples.Fill{SellerNIP: nip})
	if err != nil {
		t.Fatal(err)
	}
	bad := write("FV-bad.xml", bytes.Replace(doc, []byte("</P_2>"), []byte("</P_2><NieMaTakiegoPola>x</NieMaTakiegoPola>"), 1))
	r := c.run("invoices", "send", good[1], bad)
	if r.code != 1 || !strings.Contains(r.errOut, "1 of 2 invoices are not in KSeF") {
		t.Fatalf("a rejected invoice: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	for _, want := range []string{"1 of 2 invoices in KSeF", "FV-2.xml", "duplicate", rep.Documents[2].KSeFNumber, "FV-bad.xml", "rejected", "430 "} {
		if !strings.Contains(r.out, want) {
			t.Fatalf("the report lacks %q:\n%s", want, r.out)
		}
	}
	if n := s.InvoiceCount(); n != 2 {
		t.Fatalf("the simulator holds %d invoices, want 2", n)
	}
}
