package online

import (
	"context"
	"fmt"
	"sync"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Document is one invoice to send: its XML exactly as it must be issued and
// a name for reports (a file name, an ERP id).
type Document struct {
	Name string
	XML  []byte
}

// SendAllOptions configure SendAll.
type SendAllOptions struct {
	// FormCode of every document; zero means FA (3).
	FormCode invoice.FormCode
	SendOptions
	// SkipInvalid reports documents that fail the local pre-flight checks
	// as results and sends the others; by default one invalid document
	// stops the call before anything is sent.
	SkipInvalid bool
	// Resend550 is how many times an invoice KSeF cancelled (status 550)
	// is sent again; 0 means 2, negative means never.
	Resend550 int
	// Concurrency bounds parallel sends (default 1). KSeF allows 10 sends
	// per second per context; under the step/resume driver sends are
	// always one at a time.
	Concurrency int
	// NoUPO skips downloading the session UPO.
	NoUPO bool
	// NoWait sends and closes, and returns without waiting for KSeF: the
	// report then has every document's Sent (its invoice reference) and
	// the session reference to wait on later (WaitProcessed). Invoices
	// cancelled with 550 are not sent again in this mode.
	NoWait bool
}

// DocumentResult is the fate of one input document.
type DocumentResult struct {
	Index int    `json:"index"`
	Name  string `json:"name,omitempty"`
	// OK: the invoice is in KSeF under KSeFNumber (accepted now, or
	// earlier — a duplicate).
	OK         bool    `json:"ok"`
	KSeFNumber string  `json:"ksefNumber,omitempty"`
	Outcome    Outcome `json:"outcome"`
	// Sent is what KSeF acknowledged on sending; Result its final status.
	Sent   *Sent          `json:"sent,omitempty"`
	Result *InvoiceResult `json:"result,omitempty"`
	// Error is why the document was not sent (pre-flight) or its sending
	// failed.
	Error *errs.Error `json:"error,omitempty"`
}

// Invalid and Failed are outcomes of documents that never became a KSeF
// invoice record: Invalid failed the local checks, Failed could not be sent.
const (
	Invalid Outcome = "invalid"
	Failed  Outcome = "failed"
)

// Report is the outcome of SendAll.
type Report struct {
	Processed
	Documents []DocumentResult `json:"documents"`
	// UPOs are the pages of the session UPO (one page per 10 000 invoices).
	UPOs []UPODocument `json:"upo,omitempty"`
	// UPOError says why the session UPO could not be downloaded (the
	// invoices' results stand; fetch it later with SessionUPO).
	UPOError *errs.Error `json:"upoError,omitempty"`
}

// SendAll sends documents through one online session and waits for the
// outcome: open, pre-flight and send each, wait for every invoice (sending
// again those KSeF cancelled with 550), close, wait for processing,
// download the session UPO. Documents rejected by KSeF are results, not
// errors; the error is for the session itself (it could not be opened,
// closed or waited for) and then carries the session's reference number —
// with the report of what was sent so far when anything was.
func (m *Sessions) SendAll(ctx context.Context, docs []Document, o SendAllOptions) (*Report, error) {
	if len(docs) == 0 {
		return nil, errs.Invalid("invoices", "no invoices to send")
	}
	if len(docs) > 10000 {
		return nil, errs.Invalid("invoices", "%d invoices: an online session takes at most 10 000 (send more in several calls, or use a batch session)", len(docs))
	}
	fc := o.FormCode
	if fc.IsZero() {
		fc = invoice.FA3
	}
	rep := &Report{Documents: make([]DocumentResult, len(docs))}
	now := m.clock(ctx).Now()
	facts := make([]*invoice.Facts, len(docs))
	valid := 0
	for i, d := range docs {
		rep.Documents[i] = DocumentResult{Index: i, Name: d.Name}
		f, err := invoice.Check(d.XML, invoice.CheckOptions{FormCode: fc, Now: now})
		facts[i] = f
		if err != nil {
			if !o.SkipInvalid {
				return nil, prefixField(err, i, d.Name)
			}
			rep.Documents[i].Outcome, rep.Documents[i].Error = Invalid, prefixField(err, i, d.Name)
			continue
		}
		valid++
	}
	if valid == 0 {
		return rep, errs.Invalid("invoices", "none of the %d invoices passed the pre-flight checks; nothing was sent", len(docs))
	}
	s, err := m.Open(ctx, OpenOptions{FormCode: fc})
	if err != nil {
		return nil, err
	}
	rep.ReferenceNumber = s.ref
	s.sendEach(ctx, docs, facts, rep, o, func(r *DocumentResult) bool { return r.Outcome != Invalid })
	if o.NoWait {
		return rep, s.Close(ctx)
	}

	resends := o.Resend550
	if resends == 0 {
		resends = 2
	}
	for round := 0; ; round++ {
		results, err := s.WaitInvoices(ctx)
		if err != nil {
			return rep, withRef(err, s.ref)
		}
		byRef := map[string]*InvoiceResult{}
		for i := range results {
			byRef[results[i].InvoiceReferenceNumber] = &results[i]
		}
		retry := false
		for i := range rep.Documents {
			d := &rep.Documents[i]
			if d.Sent != nil {
				if r := byRef[d.Sent.InvoiceReferenceNumber]; r != nil && r.Outcome == Retry && round < resends {
					d.Outcome, retry = Retry, true
				}
			}
		}
		if !retry {
			break
		}
		m.cfg.Logger.Info("ksef cancelled some invoices (550); sending them again", "session", s.ref, "round", round+1)
		s.sendEach(ctx, docs, facts, rep, o, func(r *DocumentResult) bool { return r.Outcome == Retry })
	}

	if err := s.Close(ctx); err != nil {
		return rep, err
	}
	p, err := s.Wait(ctx)
	if err != nil {
		return rep, err
	}
	rep.Processed = *p
	rep.reconcile(docs)
	if !o.NoUPO && len(p.UPO) > 0 {
		if rep.UPOs, err = m.SessionUPO(ctx, s.ref, p.UPO); err != nil {
			rep.UPOError = errs.As(err)
		}
	}
	return rep, nil
}

// sendEach sends the documents pick selects, at most o.Concurrency at a time.
func (s *Session) sendEach(ctx context.Context, docs []Document, facts []*invoice.Facts, rep *Report, o SendAllOptions, pick func(*DocumentResult) bool) {
	send := func(i int) {
		d := &rep.Documents[i]
		attempts := 0
		if d.Sent != nil {
			attempts = d.Sent.Attempts
		}
		sent, err := s.send(ctx, docs[i].XML, facts[i], o.SendOptions)
		if err != nil {
			d.Outcome, d.Error = Failed, errs.As(err)
			return
		}
		sent.Attempts += attempts
		d.Sent, d.Outcome, d.Error = sent, Processing, nil
	}
	workers := max(o.Concurrency, 1)
	if transport.Serial(ctx, s.m.cfg.API.Sender.Doer) {
		workers = 1
	}
	if workers == 1 {
		for i := range rep.Documents {
			if pick(&rep.Documents[i]) {
				send(i)
			}
		}
		return
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				send(i)
			}
		}()
	}
	for i := range rep.Documents {
		if pick(&rep.Documents[i]) {
			jobs <- i
		}
	}
	close(jobs)
	wg.Wait()
}

// reconcile pairs each sent document with KSeF's final record of it. A
// document whose every send failed may still have arrived (the answers
// were lost): it is matched by hash among the records no other document
// claims.
func (r *Report) reconcile(docs []Document) {
	byRef := map[string]*InvoiceResult{}
	claimed := map[string]bool{}
	for i := range r.Invoices {
		byRef[r.Invoices[i].InvoiceReferenceNumber] = &r.Invoices[i]
	}
	for i := range r.Documents {
		d := &r.Documents[i]
		if d.Sent == nil {
			continue
		}
		if res := byRef[d.Sent.InvoiceReferenceNumber]; res != nil {
			res.VerificationLink, res.Attempts = d.Sent.VerificationLink, d.Sent.Attempts
			d.Result, d.Outcome, d.OK, d.KSeFNumber = res, res.Outcome, res.OK, res.KSeFNumber
			claimed[res.InvoiceReferenceNumber] = true
		}
	}
	for i := range r.Documents {
		d := &r.Documents[i]
		if d.Outcome != Failed || d.Error == nil {
			continue
		}
		for j := range r.Invoices {
			res := &r.Invoices[j]
			if !claimed[res.InvoiceReferenceNumber] && d.Sent == nil && res.InvoiceHash == invoice.Hash(docs[d.Index].XML) {
				claimed[res.InvoiceReferenceNumber] = true
				d.Result, d.Outcome, d.OK, d.KSeFNumber = res, res.Outcome, res.OK, res.KSeFNumber
				break
			}
		}
	}
}

// prefixField points an input error at the document it came from.
func prefixField(err error, i int, name string) *errs.Error {
	e := *errs.As(err)
	field := fmt.Sprintf("invoices[%d]", i)
	if e.Field != "" {
		field += "." + e.Field
	}
	e.Field = field
	who := field
	if name != "" {
		who = fmt.Sprintf("%s (%s)", field, name)
	}
	e.Message = who + ": " + e.Message
	return &e
}
