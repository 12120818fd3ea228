package batch_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/batch"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/samples"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

// world is a simulator on loopback and a client authenticated in a fresh
// NIP context.
type world struct {
	t   *testing.T
	sim *sim.Server
	c   *ksef.Client
	nip string
	tok string
}

func newWorld(t *testing.T, opts sim.Options) *world {
	t.Helper()
	if opts.ProcessingDelay == 0 {
		opts.ProcessingDelay = 20 * time.Millisecond
	}
	w := &world{t: t, sim: simtest.Start(t, opts), nip: ids.RandomNIP()}
	issued, err := w.sim.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: w.nip}})
	if err != nil {
		t.Fatal(err)
	}
	w.tok = issued.Token
	w.c = w.client()
	return w
}

// client is a new client (a new process, as far as state goes)
// authenticated in the world's context.
func (w *world) client() *ksef.Client {
	w.t.Helper()
	c, err := ksef.New(ksef.Config{
		BaseURL: w.sim.URL(), Environment: "test",
		SessionPoll: poll.Policy{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Timeout: 30 * time.Second},
		Retry:       transport.RetryPolicy{BaseDelay: 10 * time.Millisecond},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := c.AuthenticateWithToken(w.ctx(), ksef.TokenAuth{Token: w.tok, Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: w.nip}}); err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	w.t.Cleanup(cancel)
	return ctx
}

func (w *world) fault(spec string) {
	w.t.Helper()
	f, err := sim.ParseFault(spec)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.sim.AddFault(f); err != nil {
		w.t.Fatal(err)
	}
}

// mixed is a batch whose documents end in every way: 100 valid invoices,
// one of them twice (the second copy a duplicate, 440), one without a
// currency (the XSD refuses it, 430), one of a seller the context may not
// issue for (410), and one that is not XML at all (refused locally).
type mixed struct {
	docs  []batch.Document
	want  map[string]online.Outcome
	valid int
}

func (w *world) mixed(n int) mixed {
	w.t.Helper()
	g, err := samples.NewGenerator(samples.Fill{SellerNIP: w.nip}, 3000)
	if err != nil {
		w.t.Fatal(err)
	}
	m := mixed{want: map[string]online.Outcome{}, valid: n}
	add := func(name string, doc []byte, o online.Outcome) {
		m.docs = append(m.docs, batch.Bytes(name, doc))
		m.want[name] = o
	}
	for i := 1; i <= n; i++ {
		add(fmt.Sprintf("FV-%04d.xml", i), g.Invoice(i), online.Accepted)
	}
	add("FV-0005-copy.xml", g.Invoice(5), online.Duplicate)
	add("no-currency.xml", bytes.Replace(g.Invoice(n+1), []byte("<KodWaluty>PLN</KodWaluty>"), nil, 1), online.Rejected)
	other, _ := samples.NewGenerator(samples.Fill{SellerNIP: ids.RandomNIP()}, 3000)
	add("other-seller.xml", other.Invoice(1), online.Rejected)
	add("not-xml.xml", []byte("this is no invoice"), online.Invalid)
	return m
}

// check holds a report to the outcomes wanted, and the UPO to the
// accepted invoices.
func (w *world) check(rep *batch.Report, m mixed) {
	w.t.Helper()
	if !rep.OK || rep.Status.Code != 200 {
		w.t.Fatalf("session status %d %s %v", rep.Status.Code, rep.Status.Description, rep.Status.Details)
	}
	accepted := map[string]string{} // KSeF number → hash
	for _, d := range rep.Documents {
		if d.Outcome != m.want[d.Name] {
			w.t.Errorf("%s: outcome %s, want %s (%+v %v)", d.Name, d.Outcome, m.want[d.Name], d.Result, d.Error)
		}
		switch d.Outcome {
		case online.Accepted:
			if !d.OK || d.KSeFNumber == "" || d.Result.InvoiceFileName != d.Name {
				w.t.Errorf("%s: accepted without a KSeF number: %+v", d.Name, d.Result)
			}
			accepted[d.KSeFNumber] = d.Result.InvoiceHash
		case online.Duplicate:
			if !d.OK || d.KSeFNumber != rep.Documents[4].KSeFNumber {
				w.t.Errorf("%s: a duplicate must carry the original's KSeF number %s, got %q", d.Name, rep.Documents[4].KSeFNumber, d.KSeFNumber)
			}
		case online.Invalid:
			if d.Error == nil || d.Error.Code != errs.InputInvalid {
				w.t.Errorf("%s: invalid without its error: %v", d.Name, d.Error)
			}
		}
	}
	if len(accepted) != m.valid {
		w.t.Fatalf("%d invoices accepted, want %d", len(accepted), m.valid)
	}
	if rep.UPOError != nil || len(rep.UPOs) == 0 {
		w.t.Fatalf("no session UPO: %v", rep.UPOError)
	}
	block, _ := pem.Decode(w.sim.UPOCertificatePEM())
	listed := 0
	for _, u := range rep.UPOs {
		if !u.Verified || !u.HashChecked || !bytes.Equal(u.Verification.Certificate.Raw, block.Bytes) {
			w.t.Fatalf("UPO %s not verified against the simulator's seal: %v", u.ReferenceNumber, u.VerificationError)
		}
		if u.Verification.UPO.SessionReferenceNumber != rep.ReferenceNumber {
			w.t.Fatalf("UPO of session %s, want %s", u.Verification.UPO.SessionReferenceNumber, rep.ReferenceNumber)
		}
		for _, doc := range u.Verification.UPO.Documents {
			if accepted[doc.KSeFNumber] != doc.Hash {
				w.t.Fatalf("UPO lists %s with hash %s, which was not accepted so", doc.KSeFNumber, doc.Hash)
			}
			listed++
		}
	}
	if listed != m.valid {
		w.t.Fatalf("the UPO lists %d documents, want %d", listed, m.valid)
	}
}

// A batch of over 100 invoices, some invalid, in at least three parts, as
// ZIP and as tar.gz: each document ends as it should and the UPO lists the
// accepted ones.
func TestSendBatch(t *testing.T) {
	for _, c := range []batch.Compression{batch.Zip, batch.TarGz} {
		t.Run(string(c), func(t *testing.T) {
			w := newWorld(t, sim.Options{})
			m := w.mixed(100)
			partSize := int64(40_000)
			if c == batch.TarGz {
				partSize = 2_000
			}
			var stages []string
			ctx := progress.With(w.ctx(), func(e progress.Event) {
				if len(stages) == 0 || stages[len(stages)-1] != e.Stage {
					stages = append(stages, e.Stage)
				}
			})
			rep, err := w.c.SendBatch(ctx, batch.Documents(m.docs...), batch.Options{Compression: c, PartSize: partSize, SkipInvalid: true, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Parts) < 3 {
				t.Fatalf("%d parts, the test wants at least 3", len(rep.Parts))
			}
			w.check(rep, m)
			for _, p := range rep.Parts {
				if !p.Uploaded || p.Attempts != 1 {
					t.Fatalf("part %+v", p)
				}
			}
			if fmt.Sprint(stages) != "[pack open upload close process upo]" {
				t.Fatalf("progress stages %v", stages)
			}
		})
	}
}
