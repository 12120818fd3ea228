package hosttest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/core/step"
	"github.com/ksefkit/ksefkit/core/step/steptest"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// wasmCore is ksef.wasm as the reference host drives it (steptest.Core):
// answers with bytes beside them through ksef_resume_data, the bytes beside
// an event through ksef_event_data.
type wasmCore struct{ h *host }

func (c wasmCore) Resume(op uint64, answer, data []byte) []byte {
	if len(data) == 0 {
		return c.h.withBytes("ksef_resume", []uint64{op}, answer)
	}
	return c.h.withBytes("ksef_resume_data", []uint64{op}, answer, data)
}

func (c wasmCore) EventData(op uint64) []byte { return c.h.out(c.h.call1("ksef_event_data", op)) }

func (c wasmCore) Cancel(op uint64) []byte { return c.h.out(c.h.call1("ksef_cancel", op)) }

func (h *host) startWith(client uint64, op, input, options string) []byte {
	return h.withBytes("ksef_start_with", []uint64{client}, []byte(op), []byte(input), []byte(options))
}

// batchWorld is a simulator, an authenticated client of a module instance
// and a directory of n invoices of size bytes each.
func batchWorld(t testing.TB, n, size int) (*host, uint64, string) {
	s, token := startSim(t, sim.Options{AuthDelay: sim.NoAuthDelay, ProcessingDelay: 20 * time.Millisecond})
	h := newHost(t)
	c := h.clientNew(`{"baseUrl":` + jsonString(s.URL()) + `,"sessionPollInitialMs":20,"sessionPollMaxMs":100}`)
	ev, err := (&steptest.Host{}).Run(wasmCore{h}, h.startWith(c, "auth.token", `{"token":`+jsonString(token)+`,"nip":"`+testNIP+`"}`, `{"streams":true}`))
	if err != nil || !ev.Envelope.OK {
		t.Fatalf("auth.token: %v %+v", err, ev.Envelope.Error)
	}
	return h, c, invoices(t, n, size)
}

func invoices(t testing.TB, n, size int) string {
	g, err := samples.NewGenerator(samples.Fill{SellerNIP: testNIP}, size)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("FV-%04d.xml", i)), g.Invoice(i), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type batchReport struct {
	Parts     []struct{ Size int64 }
	Documents []struct{ Outcome string }
}

func (r batchReport) accepted() int {
	n := 0
	for _, d := range r.Documents {
		if d.Outcome == "accepted" {
			n++
		}
	}
	return n
}

// TestBatchOverWasm: batch.send inside ksef.wasm, driven by the reference
// host — the documents read through the host's list/open/read events, every
// part's body pulled by the host in chunks of at most 1 MiB while its
// request is in flight, the state file written through create/write —
// ends with every invoice accepted and the upload reported.
func TestBatchOverWasm(t *testing.T) {
	const n = 80
	h, c, dir := batchWorld(t, n, 40_000)
	in, _ := json.Marshal(map[string]any{"dir": dir, "store": true, "partSize": 1_500_000, "statePath": filepath.Join(t.TempDir(), "state.json")})
	var up progress.Event
	sh := &steptest.Host{Progress: func(p progress.Event) {
		if p.Stage == "upload" {
			up = p
		}
	}}
	ev, err := sh.Run(wasmCore{h}, h.startWith(c, "batch.send", string(in), `{"streams":true,"progress":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Envelope.OK {
		t.Fatalf("batch.send: %+v", ev.Envelope.Error)
	}
	var r batchReport
	json.Unmarshal(ev.Envelope.Result, &r)
	if r.accepted() != n || len(r.Parts) < 2 {
		t.Fatalf("%d of %d accepted in %d parts", r.accepted(), n, len(r.Parts))
	}
	if sh.Seen["body"] <= len(r.Parts) || sh.Seen["open"] < n || sh.Seen["list"] != 1 || sh.Seen["write"] == 0 ||
		sh.MaxChunkSeen != step.MaxChunk || up.Done != int64(len(r.Parts)) || up.Bytes != up.BytesTotal {
		t.Fatalf("events %v, largest chunk %d, upload progress %+v", sh.Seen, sh.MaxChunkSeen, up)
	}
	if n := h.inflight(); n != 0 {
		t.Fatalf("%d operations in flight", n)
	}
}

// BenchmarkBatchUploadOverWasm: a batch's bytes through ksef.wasm and the
// host (documents in through read events, parts out through body events)
// to the in-process simulator; MB/s is of the uploaded (encrypted) parts.
func BenchmarkBatchUploadOverWasm(b *testing.B) {
	h, c, _ := batchWorld(b, 0, 0)
	b.ResetTimer()
	var total int64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		dir := invoices(b, 200, 100_000) // fresh numbers each time: a new batch, nothing duplicate
		in, _ := json.Marshal(map[string]any{"dir": dir, "store": true, "noWait": true})
		b.StartTimer()
		ev, err := (&steptest.Host{}).Run(wasmCore{h}, h.startWith(c, "batch.send", string(in), `{"streams":true}`))
		if err != nil || !ev.Envelope.OK {
			b.Fatalf("batch.send: %v %+v", err, ev.Envelope.Error)
		}
		var r batchReport
		json.Unmarshal(ev.Envelope.Result, &r)
		for _, p := range r.Parts {
			total += p.Size
		}
	}
	b.ReportMetric(float64(total)/float64(1<<20)/b.Elapsed().Seconds(), "MB/s")
}
