package ops

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/hwm"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

// result runs an operation and decodes its result, failing on an error.
func result[Out any](t *testing.T, c *ksef.Client, op string, in any) *Out {
	t.Helper()
	b, _ := json.Marshal(in)
	env := call(t, c, op, string(b))
	if !env.OK {
		t.Fatalf("%s: %+v", op, env.Error)
	}
	out := new(Out)
	if err := json.Unmarshal(env.Result, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The receiving operations over a simulator: a download to a file, an
// export extracted into a directory, a sync into an inbox (twice: nothing
// new the second time), and the window-by-window protocol the bindings'
// iterators use.
func TestReceiveOperations(t *testing.T) {
	srv := simtest.Start(t, sim.Options{ExportInvoiceLimit: 15, ExportDelay: 10 * time.Millisecond})
	buyer, buyerNIP := simtest.Party(t, srv)
	_, sellerNIP := simtest.Party(t, srv)
	since := time.Now().Add(-24 * time.Hour)
	seeded, err := srv.SeedInvoices(sim.Seed{SellerNIP: sellerNIP, BuyerNIP: buyerNIP, Count: 40, StoredFrom: since.Add(time.Minute), Spacing: "10m"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	got := result[InvoiceGetResult](t, buyer, "invoices.get", map[string]any{"ksefNumber": seeded.KSeFNumbers[0], "path": filepath.Join(dir, "one.xml")})
	if b, _ := os.ReadFile(got.Path); len(b) != got.Size || !got.HashChecked {
		t.Fatalf("invoices.get to a file: %+v", got)
	}

	filters := map[string]any{"subjectType": "Subject2", "dateRange": map[string]any{"dateType": "PermanentStorage", "from": since, "restrictToPermanentStorageHwmDate": true}}
	ex := result[InvoicesExportResult](t, buyer, "invoices.export", map[string]any{"filters": filters, "dir": filepath.Join(dir, "export")})
	if ex.Package.InvoiceCount != 15 || !ex.Package.IsTruncated || len(ex.Invoices) != 15 {
		t.Fatalf("invoices.export: %+v", ex.Package)
	}
	if _, err := os.Stat(filepath.Join(dir, "export", "_metadata.json")); err != nil {
		t.Fatal(err)
	}

	state := filepath.Join(dir, "sync.json")
	inbox := filepath.Join(dir, "inbox")
	sync := func() *SyncResult {
		return result[SyncResult](t, buyer, "invoices.sync", map[string]any{"statePath": state, "dir": inbox, "since": since})
	}
	first := sync()
	if first.Delivered != 40 || len(first.Documents) != 40 || !first.CaughtUp || len(first.Windows) < 3 {
		t.Fatalf("first sync: %d delivered in %d windows", first.Delivered, len(first.Windows))
	}
	files, _ := os.ReadDir(inbox)
	if len(files) != 80 {
		t.Fatalf("the inbox holds %d files, want an XML and a JSON for each of 40", len(files))
	}
	if again := sync(); again.Delivered != 0 || len(again.Documents) != 0 {
		t.Fatalf("second sync: %d delivered", again.Delivered)
	}

	// The iterators' protocol, with the state kept by the caller.
	st := &hwm.State{}
	var until time.Time
	n := 0
	for {
		w := result[SyncWindowResult](t, buyer, "invoices.sync.window", map[string]any{"state": st, "dir": filepath.Join(dir, "win"), "since": since, "until": until})
		if w.Done {
			break
		}
		until, st = w.Until, w.Next
		n += len(w.Documents)
	}
	if n != 40 {
		t.Fatalf("windows delivered %d", n)
	}
	saved := result[SyncCommitResult](t, buyer, "invoices.sync.commit", map[string]any{"statePath": filepath.Join(dir, "win.json"), "state": st})
	if b, err := os.ReadFile(filepath.Join(dir, "win.json")); !saved.Saved || err != nil || len(b) == 0 {
		t.Fatal("invoices.sync.commit wrote nothing")
	}
}
