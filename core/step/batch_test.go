package step_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/step"
	"github.com/ksefkit/ksefkit/core/step/steptest"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/samples"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

// TestBatchThroughTheHost: batch.send under the wasm module's rules — the
// documents read through open/read events from a directory the host
// lists, every part's body pulled by the host, the state file written
// through create/write — ends as it does natively, and the host sees
// upload progress.
func TestBatchThroughTheHost(t *testing.T) {
	defer func(v bool) { *step.HostFiles = v }(*step.HostFiles)
	*step.HostFiles = true
	// Before the simulator: the check runs after it is closed (cleanups go
	// last in, first out), so its goroutines are not counted.
	e := &step.Engine{Table: step.New().Table, ProgressInterval: time.Millisecond}
	noLeaks(t, e)
	s := simtest.Start(t, sim.Options{ProcessingDelay: 20 * time.Millisecond})
	nip := ids.RandomNIP()
	issued, err := s.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ksef.New(ksef.Config{BaseURL: s.URL(), Environment: "test",
		SessionPoll: poll.Policy{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Timeout: 30 * time.Second},
		Retry:       transport.RetryPolicy{BaseDelay: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.AuthenticateWithToken(ctx, ksef.TokenAuth{Token: secret.NewString(issued.Token), Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}}); err != nil {
		t.Fatal(err)
	}
	g, err := samples.NewGenerator(samples.Fill{SellerNIP: nip}, 40_000)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const n = 60
	for i := range n {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("FV-%03d.xml", i)), g.Invoice(i), 0o600)
	}
	in, _ := json.Marshal(map[string]any{"dir": dir, "partSize": 1_000_000, "store": true, "statePath": filepath.Join(t.TempDir(), "state.json")})

	var stages = map[string]progress.Event{}
	h := &steptest.Host{Progress: func(p progress.Event) { stages[p.Stage] = p }}
	ev, err := h.Run(steptest.Engine{E: e}, e.StartWith(c, "batch.send", in, step.Options{Streams: true, Progress: true}))
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Envelope.OK {
		t.Fatalf("batch.send: %+v", ev.Envelope.Error)
	}
	var rep struct {
		Parts     []struct{ Uploaded bool }
		Documents []struct{ Outcome string }
	}
	json.Unmarshal(ev.Envelope.Result, &rep)
	accepted := 0
	for _, d := range rep.Documents {
		if d.Outcome == "accepted" {
			accepted++
		}
	}
	if accepted != n || len(rep.Parts) < 2 {
		t.Fatalf("%d of %d accepted in %d parts", accepted, n, len(rep.Parts))
	}
	up := stages["upload"]
	if h.Seen["body"] < len(rep.Parts) || h.Seen["open"] < n || h.Seen["list"] != 1 || h.Seen["write"] == 0 || h.MaxChunkSeen > step.MaxChunk ||
		up.Done != int64(len(rep.Parts)) || up.Bytes != up.BytesTotal || up.Bytes == 0 {
		t.Fatalf("events %v, largest chunk %d, upload progress %+v", h.Seen, h.MaxChunkSeen, up)
	}
}
