package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/batch"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// batch.send over a directory keeps its state file up to date; a batch
// whose upload failed (an expired URL here) is taken up again by
// batch.resume from that file, and the state never prints its secrets.
func TestBatchOps(t *testing.T) {
	w := startSimWorld(t, sim.Options{ProcessingDelay: 10 * time.Millisecond})
	c, err := ksef.New(ksef.Config{Environment: "test", BaseURL: w.sim.URL(), Poll: fast,
		SessionPoll: poll.Policy{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Timeout: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if e := call(t, c, "auth.token", fmt.Sprintf(`{"token":%q,"nip":%q}`, w.token, w.nip)); !e.OK {
		t.Fatal(e.Error)
	}
	dir := filepath.Join(w.dir, "invoices")
	os.Mkdir(dir, 0o755)
	g, err := samples.NewGenerator(samples.Fill{SellerNIP: w.nip}, 3000)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 30; i++ {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("FV-%02d.xml", i)), g.Invoice(i), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not an invoice, and not *.xml"), 0o644)
	statePath := filepath.Join(w.dir, "batch.json")
	f, _ := sim.ParseFault("PUT /storage#2=expired")
	w.sim.AddFault(f)
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }

	e := call(t, c, "batch.send", js(map[string]any{"dir": dir, "partSize": 20_000, "uploadConcurrency": 1, "statePath": statePath}))
	if e.OK || e.Error.Code != "ksef.api" || !strings.Contains(e.Error.Message, "expired") {
		t.Fatalf("an expired upload URL: %+v", e.Error)
	}
	saved, err := batch.ReadStateFile(context.Background(), statePath)
	if err != nil {
		t.Fatal(err)
	}
	if !saved.Parts[0].Uploaded || saved.Parts[1].Uploaded || len(saved.Documents) != 30 {
		t.Fatalf("the state file after the failure: %+v", saved.Parts)
	}
	if fi, _ := os.Stat(statePath); fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v", fi.Mode())
	}
	if s := fmt.Sprintf("%v %+v %#v", saved, saved.Export(), saved); strings.Contains(s, saved.URLs[0].Reveal()) {
		t.Fatal("a printed state shows an upload URL")
	}

	e = call(t, c, "batch.resume", js(map[string]any{"statePath": statePath, "dir": dir}))
	if !e.OK {
		t.Fatalf("resume: %+v", e.Error)
	}
	var rep batch.Report
	if err := json.Unmarshal(e.Result, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.SuccessfulInvoiceCount != 30 || len(rep.UPOs) != 1 || !rep.UPOs[0].Verified {
		t.Fatalf("after the resume: %d accepted, UPO %+v", rep.SuccessfulInvoiceCount, rep.UPOs)
	}
	for i, n := range w.sim.BatchUploads(rep.ReferenceNumber) {
		if n != 1 {
			t.Fatalf("part %d uploaded %d times", i+1, n)
		}
	}
	if e := call(t, c, "batch.state.export", js(map[string]any{"referenceNumber": rep.ReferenceNumber})); !e.OK || !strings.Contains(string(e.Result), `"closed":true`) {
		t.Fatalf("export: %+v %s", e.Error, e.Result)
	}
	if e := call(t, c, "sessions.status", js(map[string]any{"referenceNumber": rep.ReferenceNumber})); !e.OK || !strings.Contains(string(e.Result), `"code":200`) {
		t.Fatalf("sessions.status of a batch: %+v", e.Error)
	}
}
