package step_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/step"
	"github.com/ksefkit/ksefkit/core/step/steptest"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

// TestExportAndSyncThroughTheHost: invoices.export (to a directory, to a
// file, inline) and invoices.sync under the wasm module's file rules —
// every part's body read through read events, the package spooled in the
// host's scratch file, directories made and the sync state renamed by the
// host — end as they do natively; a tampered part leaves no file behind.
func TestExportAndSyncThroughTheHost(t *testing.T) {
	defer func(v bool) { *step.HostFiles = v }(*step.HostFiles)
	*step.HostFiles = true
	e := &step.Engine{Table: step.New().Table}
	noLeaks(t, e) // before the simulator, as in TestBatchThroughTheHost
	s := simtest.Start(t, sim.Options{ExportPartSize: 64_000, ExportDelay: 20 * time.Millisecond})
	buyer, buyerNIP := simtest.Party(t, s)
	_, sellerNIP := simtest.Party(t, s)
	start := time.Now().Add(-time.Hour)
	const n = 60
	if _, err := s.SeedInvoices(sim.Seed{SellerNIP: sellerNIP, BuyerNIP: buyerNIP, Count: n, Size: 5000, StoredFrom: start, Spacing: "1s"}); err != nil {
		t.Fatal(err)
	}
	filters := map[string]any{"subjectType": "Subject2", "dateRange": map[string]any{"dateType": "PermanentStorage", "from": start, "restrictToPermanentStorageHwmDate": true}}
	run := func(c *ksef.Client, op string, in map[string]any) (steptest.Event, *steptest.Host) {
		t.Helper()
		b, _ := json.Marshal(in)
		h := &steptest.Host{}
		ev, err := h.Run(steptest.Engine{E: e}, e.StartWith(c, op, b, step.Options{Streams: true}))
		if err != nil {
			t.Fatal(err)
		}
		if h.MaxChunkSeen > step.MaxChunk {
			t.Fatalf("%s: a chunk of %d bytes", op, h.MaxChunkSeen)
		}
		return ev, h
	}
	type exported struct {
		Package  struct{ Parts []any }
		Invoices []struct {
			Path string
			XML  []byte
		}
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		in   map[string]any
	}{
		{"dir", map[string]any{"dir": filepath.Join(dir, "x", "y")}},
		{"path", map[string]any{"path": filepath.Join(dir, "p.zip")}},
		{"inline", map[string]any{}},
	} {
		tc.in["filters"] = filters
		ev, h := run(buyer, "invoices.export", tc.in)
		if !ev.Envelope.OK {
			t.Fatalf("%s: %+v", tc.name, ev.Envelope.Error)
		}
		var r exported
		json.Unmarshal(ev.Envelope.Result, &r)
		if len(r.Package.Parts) < 2 || h.Seen["read"] < len(r.Package.Parts) {
			t.Fatalf("%s: %d parts, events %v", tc.name, len(r.Package.Parts), h.Seen)
		}
		switch tc.name {
		case "dir":
			if len(r.Invoices) != n || h.Seen["spool"] != 1 || h.Seen["mkdir"] != 1 {
				t.Fatalf("dir: %d invoices, events %v", len(r.Invoices), h.Seen)
			}
			if b, err := os.ReadFile(r.Invoices[7].Path); err != nil || len(b) < 1000 {
				t.Fatalf("dir: %s: %v", r.Invoices[7].Path, err)
			}
		case "path":
			if st, err := os.Stat(filepath.Join(dir, "p.zip")); err != nil || st.Size() == 0 || h.Seen["create"] != 1 {
				t.Fatalf("path: %v, events %v", err, h.Seen)
			}
		case "inline":
			if len(r.Invoices) != n || len(r.Invoices[0].XML) < 1000 {
				t.Fatalf("inline: %d invoices", len(r.Invoices))
			}
		}
	}

	f, _ := sim.ParseFault("GET /storage#2=part-tamper")
	s.AddFault(f)
	tampered := filepath.Join(dir, "t.zip")
	ev, h := run(buyer, "invoices.export", map[string]any{"filters": filters, "path": tampered})
	s.ClearFaults()
	if code, _ := failure(t, ev); code != "ksef.protocol" {
		t.Fatalf("tampered part: %s", code)
	}
	if _, err := os.Stat(tampered); !os.IsNotExist(err) || h.Seen["remove"] != 1 {
		t.Fatalf("a tampered export left %s behind (%v), events %v", tampered, err, h.Seen)
	}

	state := filepath.Join(dir, "sync", "state.json")
	os.Mkdir(filepath.Dir(state), 0o700)
	in := map[string]any{"statePath": state, "dir": filepath.Join(dir, "in"), "since": start.Add(-time.Minute)}
	for i, want := range []int{n, 0} {
		ev, h := run(buyer, "invoices.sync", in)
		if !ev.Envelope.OK {
			t.Fatalf("sync %d: %+v", i, ev.Envelope.Error)
		}
		var r struct{ Documents []any }
		json.Unmarshal(ev.Envelope.Result, &r)
		if len(r.Documents) != want || h.Seen["rename"] == 0 {
			t.Fatalf("sync %d: %d documents, want %d; events %v", i, len(r.Documents), want, h.Seen)
		}
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatal(err)
	}
}
