package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/batch"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/profile"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// ksef batch send / status / upo / resume against the simulator: a report
// per file, plain progress lines on a stream that is no terminal, the UPO
// written out, and a state file that finishes an interrupted batch.
func TestBatchCommands(t *testing.T) {
	s := startSim(t)
	nip := ids.RandomNIP()
	tok, err := s.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	c := &cli{t: t, env: profile.Env{"HOME": home, "KSEF_TOKEN": tok.Token}}
	g, err := samples.NewGenerator(samples.Fill{SellerNIP: nip}, 3000)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, "invoices")
	os.Mkdir(dir, 0o755)
	for i := 1; i <= 20; i++ {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("FV-%02d.xml", i)), g.Invoice(i), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "broken.xml"), []byte("<Faktura>"), 0o644)
	global := []string{"--env", s.URL(), "--nip", nip}

	// One invalid file stops the batch before anything is sent (exit 2).
	e := c.fails(2, append(global, "batch", "send", dir)...)
	if e.Field != "documents[20].invoice.xml" {
		t.Fatalf("an invalid file: %+v", e)
	}

	upoDir := filepath.Join(home, "upo")
	r := c.run(append(global, "batch", "send", dir, "--skip-invalid", "--tar-gz", "--part-size", "3000", "--upo-dir", upoDir)...)
	if r.code != 0 {
		t.Fatalf("batch send: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	for _, want := range []string{": 200 ", "documents: 1 invalid, 20 accepted", "broken.xml", "documents, signature valid"} {
		if !strings.Contains(r.out, want) {
			t.Fatalf("batch send report lacks %q:\n%s", want, r.out)
		}
	}
	for _, want := range []string{"checking and packing: ", "uploading parts: ", "KSeF is processing"} {
		if !strings.Contains(r.errOut, want) {
			t.Fatalf("progress lines lack %q:\n%s", want, r.errOut)
		}
	}
	ref := strings.Fields(strings.TrimPrefix(r.out, "batch "))[0]
	ref = strings.TrimSuffix(ref, ":")
	if pages, _ := filepath.Glob(filepath.Join(upoDir, "UPO-"+ref+"-*.xml")); len(pages) != 1 {
		t.Fatalf("UPO pages written: %v", pages)
	}
	st := c.run(append(global, "batch", "status", ref)...)
	if st.code != 0 || !strings.Contains(st.out, "invoices: 20, successful 20, failed 0") {
		t.Fatalf("batch status: %d\n%s%s", st.code, st.out, st.errOut)
	}
	var upo struct {
		Pages []struct {
			Verified bool `json:"verified"`
		} `json:"pages"`
	}
	c.ok(&upo, append(global, "batch", "upo", ref)...)
	if len(upo.Pages) != 1 || !upo.Pages[0].Verified {
		t.Fatalf("batch upo: %+v", upo)
	}

	// An interrupted batch (an upload URL expired) is finished from its
	// state file.
	fresh := filepath.Join(home, "fresh")
	os.Mkdir(fresh, 0o755)
	for i := 21; i <= 30; i++ {
		os.WriteFile(filepath.Join(fresh, fmt.Sprintf("FV-%02d.xml", i)), g.Invoice(i), 0o644)
	}
	f, _ := sim.ParseFault("PUT /storage#2=expired")
	s.AddFault(f)
	state := filepath.Join(home, "batch.json")
	e = c.fails(1, append(global, "batch", "send", fresh, "--part-size", "10000", "--concurrency", "1", "--state", state)...)
	if e.HTTPStatus != 403 {
		t.Fatalf("expired URL: %+v", e)
	}
	s.ClearFaults()
	var rep batch.Report
	c.ok(&rep, append(global, "batch", "resume", "--state", state, fresh)...)
	if rep.SuccessfulInvoiceCount != 10 {
		t.Fatalf("resume: %+v", rep.Status)
	}
	for _, out := range c.outputs {
		if strings.Contains(out, tok.Token) {
			t.Fatal("an output shows the KSeF token")
		}
	}
}
