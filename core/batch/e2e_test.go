package batch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/batch"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/samples"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

// world is a simulator on loopback and a client authenticated in a fresh
// NIP context.
type world struct {
	t   testing.TB
	sim *sim.Server
	c   *ksef.Client
	nip string
	tok string
}

func newWorld(t testing.TB, opts sim.Options) *world {
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
	if _, err := c.AuthenticateWithToken(w.ctx(), ksef.TokenAuth{Token: secret.NewString(w.tok), Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: w.nip}}); err != nil {
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

// A batch interrupted between part uploads (the process "crashes" after
// the second of five parts) is resumed by another client from its exported
// state: only the missing parts are uploaded, each part exactly once in
// all, and every invoice is in KSeF exactly once.
func TestResumeAfterCrash(t *testing.T) {
	w := newWorld(t, sim.Options{})
	m := w.mixed(100)
	m.docs = m.docs[:100] // valid invoices only
	var saved []byte
	ctx, crash := context.WithCancel(w.ctx())
	uploaded := 0
	_, err := w.c.SendBatch(ctx, batch.Documents(m.docs...), batch.Options{
		PartSize: 25_000, Level: 1,
		UploadOptions: batch.UploadOptions{Concurrency: 1, OnState: func(st batch.State) {
			var err error
			if saved, err = json.Marshal(st.Export()); err != nil {
				t.Error(err)
			}
			n := 0
			for _, p := range st.Parts {
				if p.Uploaded {
					n++
				}
			}
			if uploaded = n; n == 2 {
				crash()
			}
		}},
	})
	if errs.CodeOf(err) != errs.Canceled {
		t.Fatalf("the crash: %v", err)
	}
	var st batch.SavedState
	if err := json.Unmarshal(saved, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Parts) < 5 || uploaded != 2 {
		t.Fatalf("%d parts, %d uploaded at the crash", len(st.Parts), uploaded)
	}
	if got := w.sim.BatchUploads(st.ReferenceNumber); got[0] != 1 || got[1] != 1 || got[2] != 0 {
		t.Fatalf("uploads before the resume: %v", got)
	}

	c := w.client() // another process
	b, err := c.Batches().Resume(w.ctx(), st.State(), batch.Documents(m.docs...), batch.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := b.Finish(w.ctx(), false, false)
	if err != nil {
		t.Fatal(err)
	}

	for i, n := range w.sim.BatchUploads(st.ReferenceNumber) {
		if n != 1 {
			t.Fatalf("part %d uploaded %d times", i+1, n)
		}
	}
	if rep.SuccessfulInvoiceCount != 100 {
		t.Fatalf("%d invoices accepted", rep.SuccessfulInvoiceCount)
	}
	numbers := map[string]int{}
	for _, inv := range w.sim.Invoices() {
		numbers[inv.InvoiceNumber]++
	}
	if len(numbers) != 100 {
		t.Fatalf("%d distinct invoices in KSeF, want 100", len(numbers))
	}
	for n, k := range numbers {
		if k != 1 {
			t.Fatalf("invoice %s is in KSeF %d times", n, k)
		}
	}
	for _, d := range rep.Documents {
		if !d.OK {
			t.Fatalf("%s: %s %v", d.Name, d.Outcome, d.Error)
		}
	}
}

// A part upload that fails once is retried alone; a slow one still
// arrives; an expired URL is a clear, typed failure and the state keeps
// what is in.
func TestPartUploadFaults(t *testing.T) {
	w := newWorld(t, sim.Options{})
	docs := w.mixed(40).docs[:40]
	w.fault("PUT /storage#2=503")
	w.fault("PUT /storage#3=slow:ms=200")
	rep, err := w.c.SendBatch(w.ctx(), batch.Documents(docs...), batch.Options{PartSize: 30_000, Level: 1, UploadOptions: batch.UploadOptions{Concurrency: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Parts[1].Attempts != 2 || rep.Parts[0].Attempts != 1 || rep.SuccessfulInvoiceCount != 40 {
		t.Fatalf("parts %+v, %d accepted", rep.Parts, rep.SuccessfulInvoiceCount)
	}
	if got := w.sim.BatchUploads(rep.ReferenceNumber); fmt.Sprint(got) != fmt.Sprint([]int{1, 1, 1, 1}[:len(got)]) {
		t.Fatalf("uploads per part %v", got)
	}

	w.sim.ClearFaults()
	w.fault("PUT /storage#2=expired")
	more := w.mixed(10).docs[:10]
	var last batch.State
	rep, err = w.c.SendBatch(w.ctx(), batch.Documents(more...), batch.Options{PartSize: 10_000, Level: 1,
		UploadOptions: batch.UploadOptions{Concurrency: 1, OnState: func(st batch.State) { last = st }}})
	e := errs.As(err)
	if e == nil || e.Code != errs.API || e.HTTPStatus != 403 || e.ReferenceNumber == "" || !strings.Contains(e.Message, "expired") {
		t.Fatalf("an expired upload URL: %v", err)
	}
	if !last.Parts[0].Uploaded || last.Parts[1].Uploaded || rep.Parts[1].Attempts != 1 {
		t.Fatalf("state after the expired URL: %+v; report %+v", last.Parts, rep.Parts)
	}
}

// What KSeF would refuse is refused before anything is sent, as
// input.invalid naming the field.
func TestRefusedBeforeSending(t *testing.T) {
	w := newWorld(t, sim.Options{})
	docs := w.mixed(3).docs
	cases := []struct {
		name  string
		src   batch.Source
		o     batch.Options
		field string
	}{
		{"part too large", batch.Documents(docs[:3]...), batch.Options{PartSize: batch.MaxPartSize + 1}, "partSize"},
		{"negative part", batch.Documents(docs[:3]...), batch.Options{PartSize: -1}, "partSize"},
		{"too many parts", batch.Documents(docs[:3]...), batch.Options{PartSize: 100, Store: true}, "partSize"},
		{"level", batch.Documents(docs[:3]...), batch.Options{Level: 10}, "level"},
		{"store and level", batch.Documents(docs[:3]...), batch.Options{Level: 3, Store: true}, "level"},
		{"compression", batch.Documents(docs[:3]...), batch.Options{Compression: "Rar"}, "compression"},
		{"PEF", batch.Documents(docs[:3]...), batch.Options{FormCode: invoice.PEF3}, "formCode"},
		{"duplicate names", batch.Documents(docs[0], batch.Bytes("fv-0001.XML", nil)), batch.Options{}, "documents[1].name"},
		{"path in a name", batch.Documents(batch.Bytes("../evil.xml", nil)), batch.Options{}, "documents[0].name"},
		{"backslash", batch.Documents(batch.Bytes(`a\b.xml`, nil)), batch.Options{}, "documents[0].name"},
		{"long name", batch.Documents(batch.Bytes(strings.Repeat("ą", 129), nil)), batch.Options{}, "documents[0].name"},
		{"nothing", batch.Documents(), batch.Options{}, "documents"},
		{"more than 10 000", tooMany(), batch.Options{}, "documents"},
		{"an invalid document", batch.Documents(docs...), batch.Options{}, "documents[6].invoice.xml"},
	}
	for _, tc := range cases {
		rep, err := w.c.SendBatch(w.ctx(), tc.src, tc.o)
		e := errs.As(err)
		if e == nil || e.Code != errs.InputInvalid || e.Field != tc.field {
			t.Errorf("%s: %v (field %q)", tc.name, err, e.Field)
			continue
		}
		if tc.name == "an invalid document" {
			if rep == nil || rep.Documents[6].Outcome != online.Invalid || rep.Documents[0].Outcome != batch.NotSent {
				t.Errorf("%s: report %+v", tc.name, rep)
			}
		}
	}
	if st := w.sim.BatchUploads("none"); st != nil || w.sim.InvoiceCount() != 0 {
		t.Fatal("something was sent")
	}
}

func tooMany() batch.Source {
	return func(yield func(batch.Document, error) bool) {
		for i := range batch.MaxInvoices + 1 {
			if !yield(batch.Bytes(fmt.Sprintf("%d.xml", i), nil), nil) {
				return
			}
		}
	}
}

// End to end against the simulator on loopback: 10 000 generated 10 KB
// invoices (100 MB) in one batch session — check, pack, encrypt, upload,
// KSeF's processing (the simulator decrypts, unpacks and decides every
// invoice, with or without its XSD validation), results and UPO. Wall
// time per batch; the simulator shares the machine's cores.
func benchmarkSendBatch(b *testing.B, opts sim.Options) {
	opts.ProcessingDelay = -1
	w := newWorld(b, opts)
	const n = 10_000
	for b.Loop() {
		b.StopTimer()
		g, err := samples.NewGenerator(samples.Fill{SellerNIP: w.nip}, 10_000)
		if err != nil {
			b.Fatal(err)
		}
		docs := make([]batch.Document, n)
		for i := range docs {
			docs[i] = batch.Document{Name: fmt.Sprintf("FV-%05d.xml", i+1), Open: func(context.Context) (io.ReadCloser, error) {
				return io.NopCloser(g.Reader(i + 1)), nil
			}}
		}
		b.StartTimer()
		rep, err := w.c.SendBatch(context.Background(), batch.Documents(docs...), batch.Options{})
		if err != nil || rep.SuccessfulInvoiceCount != n {
			b.Fatalf("%v: %+v", err, rep.Status)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
}

func BenchmarkSendBatch10000(b *testing.B)      { benchmarkSendBatch(b, sim.Options{}) }
func BenchmarkSendBatch10000NoXSD(b *testing.B) { benchmarkSendBatch(b, sim.Options{SkipXSD: true}) }
