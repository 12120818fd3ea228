package online_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/core/transport/nethttp"
	"github.com/ksefkit/ksefkit/core/upo"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// world is one simulator (over real loopback HTTP, so connection faults
// are real) and a client authenticated in a fresh NIP context.
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
		opts.ProcessingDelay = 30 * time.Millisecond
	}
	srv, err := sim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w := &world{t: t, sim: srv, nip: ids.RandomNIP()}
	issued, err := srv.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: w.nip}})
	if err != nil {
		t.Fatal(err)
	}
	w.tok = issued.Token
	w.c = w.client()
	t.Cleanup(func() {
		if v := srv.SpecViolations(); len(v) > 0 {
			t.Errorf("OpenAPI violations: %v", v)
		}
	})
	return w
}

// client makes a new client authenticated in the world's context.
func (w *world) client() *ksef.Client {
	w.t.Helper()
	c, err := ksef.New(ksef.Config{
		BaseURL: w.sim.URL(), Environment: "test",
		SessionPoll: poll.Policy{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Timeout: 20 * time.Second},
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
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	w.t.Cleanup(cancel)
	return ctx
}

// invoice fills a sample for the world's seller.
func (w *world) invoice(name string, f samples.Fill) []byte {
	w.t.Helper()
	f.SellerNIP = w.nip
	b, err := samples.Invoice(name, f)
	if err != nil {
		w.t.Fatal(err)
	}
	return b
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

// checkUPO verifies the session UPO: signed by the simulator's "MF"
// certificate, naming every accepted invoice's KSeF number and hash.
func (w *world) checkUPO(rep *online.Report) {
	w.t.Helper()
	if rep.UPOError != nil || len(rep.UPOs) == 0 {
		w.t.Fatalf("no UPO: %v", rep.UPOError)
	}
	block, _ := pem.Decode(w.sim.UPOCertificatePEM())
	listed := map[string]string{}
	for _, u := range rep.UPOs {
		if !u.Verified || !u.HashChecked {
			w.t.Fatalf("UPO %s not verified: %v (hash checked %v)", u.ReferenceNumber, u.VerificationError, u.HashChecked)
		}
		if !bytes.Equal(u.Verification.Certificate.Raw, block.Bytes) {
			w.t.Fatalf("UPO signed by %s, not the simulator's MF certificate", u.Verification.Signer.Subject)
		}
		if u.Verification.UPO.SessionReferenceNumber != rep.ReferenceNumber {
			w.t.Fatalf("UPO of session %s, want %s", u.Verification.UPO.SessionReferenceNumber, rep.ReferenceNumber)
		}
		for _, d := range u.Verification.UPO.Documents {
			listed[d.KSeFNumber] = d.Hash
		}
	}
	for _, inv := range rep.Invoices {
		if inv.Outcome == online.Accepted && listed[inv.KSeFNumber] != inv.InvoiceHash {
			w.t.Fatalf("UPO does not list %s with hash %s", inv.KSeFNumber, inv.InvoiceHash)
		}
	}
}

func mustOK(t *testing.T, rep *online.Report, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Documents {
		if !d.OK {
			t.Fatalf("document %d (%s): %s %+v %v", d.Index, d.Name, d.Outcome, d.Result, d.Error)
		}
		if err := ids.ValidateKSeFNumber(d.KSeFNumber); err != nil {
			t.Fatalf("document %d: KSeF number %q: %v", d.Index, d.KSeFNumber, err)
		}
	}
}

// Every official sample, grouped by form code, through one session each:
// KSeF numbers, KOD I links and a verified UPO.
func TestSendEverySample(t *testing.T) {
	w := newWorld(t, sim.Options{})
	if err := w.c.API().EnableTestAttachments(w.ctx(), w.nip); err != nil {
		t.Fatal(err)
	}
	byForm := map[invoice.FormCode][]online.Document{}
	for _, name := range samples.Names() {
		fc, err := samples.FormCode(name)
		if err != nil {
			t.Fatal(err)
		}
		if fc.Value == "PEF" {
			continue // UBL samples are not in the official set the simulator validates
		}
		byForm[fc] = append(byForm[fc], online.Document{Name: name, XML: w.invoice(name, samples.Fill{})})
	}
	if len(byForm) < 3 {
		t.Fatalf("samples cover only %d form codes", len(byForm))
	}
	for fc, docs := range byForm {
		t.Run(fc.SystemCode, func(t *testing.T) {
			rep, err := w.c.SendInvoices(w.ctx(), docs, online.SendAllOptions{FormCode: fc})
			mustOK(t, rep, err)
			if !rep.OK || rep.SuccessfulInvoiceCount != len(docs) {
				t.Fatalf("session %+v", rep.Processed)
			}
			w.checkUPO(rep)
			for _, d := range rep.Documents {
				link := d.Sent.VerificationLink
				if !strings.HasPrefix(link, "https://qr-test.ksef.mf.gov.pl/invoice/"+w.nip+"/") || d.Result.VerificationLink != link {
					t.Fatalf("KOD I %q", link)
				}
			}
		})
	}
}

// An invoice the XSD rejects ends as a typed failure (430 with KSeF's
// details) while the others of the session succeed; the same invoice sent
// twice is one invoice in KSeF and a duplicate naming the original.
func TestRejectedAndDuplicateAmongAccepted(t *testing.T) {
	w := newWorld(t, sim.Options{})
	good := w.invoice("fa3", samples.Fill{})
	bad := bytes.Replace(w.invoice("fa3", samples.Fill{}), []byte("</P_2>"), []byte("</P_2><NieMaTakiegoPola>x</NieMaTakiegoPola>"), 1)
	docs := []online.Document{{Name: "good", XML: good}, {Name: "bad", XML: bad}, {Name: "again", XML: good}}
	rep, err := w.c.SendInvoices(w.ctx(), docs, online.SendAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g, b, d := rep.Documents[0], rep.Documents[1], rep.Documents[2]
	if !g.OK || g.Outcome != online.Accepted {
		t.Fatalf("good: %+v", g)
	}
	if b.OK || b.Outcome != online.Rejected || b.Result.Status.Code != 430 || len(b.Result.Status.Details) == 0 {
		t.Fatalf("bad: %+v", b.Result)
	}
	if !d.OK || d.Outcome != online.Duplicate || d.KSeFNumber != g.KSeFNumber || d.Result.Status.Code != 440 ||
		d.Result.OriginalSessionReferenceNumber != rep.ReferenceNumber {
		t.Fatalf("duplicate: %+v", d.Result)
	}
	if n := w.sim.InvoiceCount(); n != 1 {
		t.Fatalf("the simulator holds %d invoices, want 1", n)
	}
	w.checkUPO(rep)
}

// The answers to sends are lost after KSeF processed them (drop-after), or
// before it did (drop, 500): N documents still give exactly N invoices in
// KSeF and N KSeF numbers.
func TestLostAnswersNeverLoseOrDuplicate(t *testing.T) {
	const route = "POST /sessions/online/{referenceNumber}/invoices"
	for _, c := range []struct {
		name      string
		faults    []string
		recovered int
	}{
		{"drop-after", []string{route + "#2+=drop-after:count=3"}, 3},
		{"drop", []string{route + "#1=drop", route + "#3=drop", route + "#5+=drop:count=2"}, 0},
		{"500", []string{route + "#2=500", route + "#7=500"}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, sim.Options{})
			const n = 8
			docs := make([]online.Document, n)
			for i := range docs {
				docs[i] = online.Document{Name: fmt.Sprint(i), XML: w.invoice("fa3", samples.Fill{})}
			}
			for _, f := range c.faults {
				w.fault(f)
			}
			rep, err := w.c.SendInvoices(w.ctx(), docs, online.SendAllOptions{})
			mustOK(t, rep, err)
			numbers := map[string]bool{}
			recovered := 0
			for _, d := range rep.Documents {
				numbers[d.KSeFNumber] = true
				if d.Sent.Recovered {
					recovered++
				}
				if d.Outcome != online.Accepted {
					t.Fatalf("document %d: %s", d.Index, d.Outcome)
				}
			}
			if len(numbers) != n || w.sim.InvoiceCount() != n || rep.InvoiceCount != n {
				t.Fatalf("%d numbers, simulator holds %d, session counts %d; want %d", len(numbers), w.sim.InvoiceCount(), rep.InvoiceCount, n)
			}
			if recovered != c.recovered {
				t.Fatalf("%d sends recovered from the session list, want %d", recovered, c.recovered)
			}
		})
	}
}

// Status 550 (cancelled by the system) is answered by sending again.
func TestCancelledBySystemIsSentAgain(t *testing.T) {
	w := newWorld(t, sim.Options{})
	w.fault("POST /sessions/online/{referenceNumber}/invoices#2=invoice-550")
	docs := []online.Document{{XML: w.invoice("fa3", samples.Fill{})}, {XML: w.invoice("fa3", samples.Fill{})}}
	rep, err := w.c.SendInvoices(w.ctx(), docs, online.SendAllOptions{})
	mustOK(t, rep, err)
	if rep.Documents[1].Sent.Attempts != 2 || w.sim.InvoiceCount() != 2 {
		t.Fatalf("attempts %d, stored %d", rep.Documents[1].Sent.Attempts, w.sim.InvoiceCount())
	}
	// The session lists the cancelled attempt too: 3 records, 2 invoices.
	if len(rep.Invoices) != 3 || rep.SuccessfulInvoiceCount != 2 {
		t.Fatalf("%d records, %d successful", len(rep.Invoices), rep.SuccessfulInvoiceCount)
	}
}

// A session exported by one client (a service before its restart) is
// restored by another, which sends into it and closes it.
func TestRestoredSessionSendsAndCloses(t *testing.T) {
	w := newWorld(t, sim.Options{})
	s, err := w.c.OpenOnlineSession(w.ctx(), online.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(w.ctx(), w.invoice("fa3", samples.Fill{}), online.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	state := s.State()
	if strings.Contains(fmt.Sprintf("%v %+v %#v", state, state, state), string(state.Key.Reveal())) {
		t.Fatal("the session key prints")
	}

	other := w.client()
	r, err := other.Online().Restore(state, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Send(w.ctx(), w.invoice("fa3", samples.Fill{}), online.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(w.ctx()); err != nil {
		t.Fatal(err)
	}
	p, err := r.Wait(w.ctx())
	if err != nil || !p.OK || p.SuccessfulInvoiceCount != 2 || len(p.Invoices) != 2 {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := other.Online().Restore(state, state.ValidUntil.Add(time.Second)); errs.CodeOf(err) != errs.InputInvalid {
		t.Fatalf("an expired state was restored: %v", err)
	}
}

// Invalid documents never leave: one bad invoice stops the call before
// any network use, naming the document and field; with SkipInvalid it is
// reported and the rest are sent.
func TestPreflightStopsBeforeTheNetwork(t *testing.T) {
	w := newWorld(t, sim.Options{})
	future := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	docs := []online.Document{{XML: w.invoice("fa3", samples.Fill{})}, {Name: "late", XML: w.invoice("fa3", samples.Fill{IssueDate: future})}}
	_, err := w.c.SendInvoices(w.ctx(), docs, online.SendAllOptions{})
	e := errs.As(err)
	if e.Code != errs.InputInvalid || e.Field != "invoices[1].invoice.P_1" || !strings.Contains(e.Message, "late") {
		t.Fatalf("%#v", e)
	}
	if st := w.sim.Invoices(); len(st) != 0 {
		t.Fatal("something was sent")
	}
	rep, err := w.c.SendInvoices(w.ctx(), docs, online.SendAllOptions{SkipInvalid: true})
	if err != nil || !rep.Documents[0].OK || rep.Documents[1].Outcome != online.Invalid || rep.Documents[1].Error.Field != "invoices[1].invoice.P_1" {
		t.Fatalf("%+v %v", rep, err)
	}
}

// A withdrawn public key (21470) on open is met by reloading the keys; a
// lost answer to close is resolved from the session's status.
func TestKeyRotationAndLostClose(t *testing.T) {
	w := newWorld(t, sim.Options{})
	w.fault("POST /sessions/online=rotate-keys")
	w.fault("POST /sessions/online/{referenceNumber}/close=drop-after")
	rep, err := w.c.SendInvoices(w.ctx(), []online.Document{{XML: w.invoice("fa3", samples.Fill{})}}, online.SendAllOptions{})
	mustOK(t, rep, err)
}

// A deadline passed while KSeF still works is a resumable timeout carrying
// the session's reference; waiting again later gets the outcome.
func TestTimeoutIsResumable(t *testing.T) {
	w := newWorld(t, sim.Options{ProcessingDelay: 1500 * time.Millisecond})
	s, err := w.c.OpenOnlineSession(w.ctx(), online.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(w.ctx(), w.invoice("fa3", samples.Fill{}), online.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(w.ctx()); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(w.ctx(), 200*time.Millisecond)
	defer cancel()
	_, err = w.c.Online().WaitProcessed(short, s.ReferenceNumber())
	if e := errs.As(err); e.Code != errs.Timeout || e.ReferenceNumber != s.ReferenceNumber() {
		t.Fatalf("%#v", e)
	}
	p, err := w.c.Online().WaitProcessed(w.ctx(), s.ReferenceNumber())
	if err != nil || !p.OK || p.Invoices[0].VerificationLink == "" {
		t.Fatalf("%+v %v", p, err)
	}
}

// Parallel sends (native driver) keep every document with its own result.
func TestConcurrentSends(t *testing.T) {
	w := newWorld(t, sim.Options{})
	docs := make([]online.Document, 24)
	for i := range docs {
		docs[i] = online.Document{Name: fmt.Sprint(i), XML: w.invoice("fa3", samples.Fill{})}
	}
	rep, err := w.c.SendInvoices(w.ctx(), docs, online.SendAllOptions{Concurrency: 4})
	mustOK(t, rep, err)
	for i, d := range rep.Documents {
		if d.Sent.InvoiceHash != invoice.Hash(docs[i].XML) {
			t.Fatalf("document %d got another document's result", i)
		}
	}
	w.checkUPO(rep)
}

// A UPO whose hash header lies is refused; one whose bytes were changed
// after signing fails verification.
func TestTamperedUPO(t *testing.T) {
	w := newWorld(t, sim.Options{})
	w.fault("GET /storage=upo-hash")
	rep, err := w.c.SendInvoices(w.ctx(), []online.Document{{XML: w.invoice("fa3", samples.Fill{})}}, online.SendAllOptions{})
	mustOK(t, rep, err)
	if rep.UPOError == nil || rep.UPOError.Code != errs.Protocol {
		t.Fatalf("upo-hash: %+v", rep.UPOError)
	}
	up, err := w.c.Online().InvoiceUPO(w.ctx(), rep.ReferenceNumber, apiSel(rep.Documents[0].Result.InvoiceReferenceNumber))
	if err != nil || !up.Verified {
		t.Fatalf("%v %+v", err, up)
	}
	number := rep.Documents[0].Result.InvoiceNumber
	tampered := bytes.Replace(up.XML, []byte(number), []byte(strings.ToLower(number)), 1)
	if bytes.Equal(tampered, up.XML) {
		t.Fatal("nothing tampered")
	}
	if _, err := upo.Verify(tampered, upo.VerifyOptions{}); errs.CodeOf(err) != errs.Signature {
		t.Fatalf("tampered UPO: %v", err)
	}
}

func apiSel(invoiceRef string) api.UPOSelector {
	return api.UPOSelector{InvoiceReferenceNumber: invoiceRef}
}

// Real KSeF's pre-signed URLs are https: with the simulator's --tls the UPO
// comes from an https listener whose CA the client is given to trust, and
// without that CA the download fails as a typed transport error (TLS
// verification can never be switched off).
func TestUPOOverHTTPS(t *testing.T) {
	w := newWorld(t, sim.Options{TLS: true})
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(w.sim.CACertificatePEM()) {
		t.Fatal("no CA")
	}
	trusting, err := ksef.New(ksef.Config{
		BaseURL: w.sim.URL(), Environment: "test", Doer: nethttp.New(nethttp.Options{TLSConfig: &tls.Config{RootCAs: roots}}),
		SessionPoll: poll.Policy{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trusting.AuthenticateWithToken(w.ctx(), ksef.TokenAuth{Token: secret.NewString(w.tok), Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: w.nip}}); err != nil {
		t.Fatal(err)
	}
	rep, err := trusting.SendInvoices(w.ctx(), []online.Document{{XML: w.invoice("fa3", samples.Fill{})}}, online.SendAllOptions{})
	mustOK(t, rep, err)
	st, err := trusting.Online().Status(w.ctx(), rep.ReferenceNumber)
	if err != nil || !strings.HasPrefix(st.UPO.Pages[0].DownloadURL, "https://") {
		t.Fatalf("%v %+v", err, st.UPO)
	}
	w.checkUPO(rep)

	rep, err = w.c.SendInvoices(w.ctx(), []online.Document{{XML: w.invoice("fa3", samples.Fill{})}}, online.SendAllOptions{})
	mustOK(t, rep, err)
	if rep.UPOError == nil || rep.UPOError.Code != errs.Transport {
		t.Fatalf("a UPO from an untrusted https server was accepted: %+v", rep.UPOError)
	}
}
