package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/profile"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// An online session across commands: open keeps its state (mode 0600),
// send resumes it, close --wait gives the KSeF numbers and removes the
// state, upo downloads a verified receipt. The session key is in no output.
func TestOnlineSessionAcrossCommands(t *testing.T) {
	s := startSim(t)
	home := t.TempDir()
	c := &cli{t: t, env: profile.Env{"HOME": home}}
	nip := ids.RandomNIP()
	c.ok(nil, "profile", "create", "me", "--env", s.URL(), "--nip", nip, "--test-cert", "--auth-poll-interval", "100ms")

	var files []string
	for range 2 {
		doc, err := samples.Invoice("fa3", samples.Fill{SellerNIP: nip})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "fv.xml")
		if err := os.WriteFile(p, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}

	var opened struct {
		ReferenceNumber string `json:"referenceNumber"`
	}
	c.ok(&opened, "online", "open")
	state := filepath.Join(home, ".local/state/ksefkit/online", opened.ReferenceNumber+".json")
	st, err := os.Stat(state)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("kept session state: %v %v", err, st)
	}
	raw, _ := os.ReadFile(state)
	var kept struct {
		Key string `json:"key"`
	}
	json.Unmarshal(raw, &kept)
	key, _ := base64.StdEncoding.DecodeString(kept.Key)
	if len(key) != 32 {
		t.Fatalf("the kept state holds no key: %s", raw)
	}

	var sent struct {
		Sent []struct {
			InvoiceReferenceNumber string `json:"invoiceReferenceNumber"`
			VerificationLink       string `json:"verificationLink"`
		} `json:"sent"`
	}
	c.ok(&sent, append([]string{"online", "send", opened.ReferenceNumber}, files...)...)
	if len(sent.Sent) != 2 || !strings.HasPrefix(sent.Sent[0].VerificationLink, "https://qr-test.ksef.mf.gov.pl/invoice/"+nip+"/") {
		t.Fatalf("online send: %+v", sent)
	}
	var listed struct {
		Sessions []struct{ ReferenceNumber string } `json:"sessions"`
	}
	c.ok(&listed, "online", "list")
	if len(listed.Sessions) != 1 || listed.Sessions[0].ReferenceNumber != opened.ReferenceNumber {
		t.Fatalf("online list: %+v", listed)
	}

	var closed struct {
		Closed    bool `json:"closed"`
		Processed *struct {
			OK       bool `json:"ok"`
			Invoices []struct {
				KSeFNumber string `json:"ksefNumber"`
				Outcome    string `json:"outcome"`
			} `json:"invoices"`
			UPO []struct {
				Verified bool `json:"verified"`
			} `json:"upo"`
		} `json:"processed"`
	}
	c.ok(&closed, "online", "close", opened.ReferenceNumber, "--wait")
	if !closed.Closed || closed.Processed == nil || !closed.Processed.OK || len(closed.Processed.Invoices) != 2 ||
		closed.Processed.Invoices[0].Outcome != "accepted" || len(closed.Processed.UPO) != 1 || !closed.Processed.UPO[0].Verified {
		t.Fatalf("online close --wait: %+v", closed.Processed)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Fatalf("the session state outlived its close: %v", err)
	}
	// Sending into a closed session is refused before anything is sent.
	c.fails(2, "online", "send", opened.ReferenceNumber, files[0])

	out := filepath.Join(t.TempDir(), "upo.xml")
	var upo struct {
		Documents []struct {
			Verified bool `json:"verified"`
		} `json:"documents"`
	}
	c.ok(&upo, "online", "upo", opened.ReferenceNumber, "--ksef-number", closed.Processed.Invoices[1].KSeFNumber, "--out", out)
	if xml, _ := os.ReadFile(out); len(upo.Documents) != 1 || !upo.Documents[0].Verified || !strings.Contains(string(xml), closed.Processed.Invoices[1].KSeFNumber) {
		t.Fatalf("online upo: %+v", upo)
	}
	var status struct {
		Invoices []struct{ Outcome string } `json:"invoices"`
	}
	c.ok(&status, "online", "status", opened.ReferenceNumber)
	if len(status.Invoices) != 2 {
		t.Fatalf("online status: %+v", status)
	}
	if r := c.run("online", "close", opened.ReferenceNumber); r.code != 2 || !strings.Contains(r.errOut, "no open session") {
		t.Fatalf("closing twice: %d %s", r.code, r.errOut)
	}
	b64 := base64.StdEncoding.EncodeToString(key)
	for i, o := range c.outputs {
		if strings.Contains(o, b64) || strings.Contains(o, string(key)) {
			t.Errorf("output %d contains the session key", i)
		}
	}
}
