package batch

import (
	"context"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/online"
)

// Outcomes of documents that never became an invoice of the session,
// besides online.Invalid (failed the pre-flight checks).
const (
	// NotSent: the batch stopped before the session took the document
	// (another document was invalid, or the session could not be opened).
	NotSent online.Outcome = "notSent"
	// NotInBatch: a resumed batch's source holds a document the batch was
	// not packed with (added since); send it in another batch.
	NotInBatch online.Outcome = "notInBatch"
)

// DocumentResult is the fate of one document of the source.
type DocumentResult struct {
	// Index is the document's position in the source.
	Index int    `json:"index"`
	Name  string `json:"name"`
	// OK: the invoice is in KSeF under KSeFNumber (accepted now, or
	// earlier — a duplicate, status 440, reports the original's number).
	OK         bool                  `json:"ok"`
	KSeFNumber string                `json:"ksefNumber,omitempty"`
	Outcome    online.Outcome        `json:"outcome"`
	Result     *online.InvoiceResult `json:"result,omitempty"`
	// Error is why the document is not in KSeF when KSeF has no record of
	// it: its pre-flight checks, or the session's failure.
	Error *errs.Error `json:"error,omitempty"`
}

// PartResult is one part of the archive.
type PartResult struct {
	OrdinalNumber int   `json:"ordinalNumber"`
	Size          int64 `json:"size" doc:"encrypted bytes"`
	Uploaded      bool  `json:"uploaded"`
	// Attempts is how many uploads of the part this process started.
	Attempts int `json:"attempts,omitempty"`
}

// Report is the outcome of a batch: the session's (status, counts, every
// invoice KSeF lists), each source document's, the archive's and the
// session UPO.
type Report struct {
	online.Processed
	Packing   Packing          `json:"packing"`
	Archive   Digest           `json:"archive"`
	Parts     []PartResult     `json:"parts"`
	Documents []DocumentResult `json:"documents"`
	// UPOs are the pages of the session UPO (one per 10 000 invoices).
	UPOs []online.UPODocument `json:"upo,omitempty"`
	// UPOError says why the session UPO could not be downloaded (the
	// results stand; fetch it later: Sessions.SessionUPO).
	UPOError *errs.Error `json:"upoError,omitempty"`
}

// report pairs the documents with KSeF's records of them (by
// invoiceFileName); p is nil before processing.
func (b *Batch) report(p *online.Processed) *Report {
	st := b.State()
	b.mu.Lock()
	sent := append([]int(nil), b.sent...)
	b.mu.Unlock()
	rep := &Report{Packing: st.Packing, Archive: st.Archive, Documents: append([]DocumentResult(nil), b.results...)}
	rep.ReferenceNumber = st.ReferenceNumber
	for i, pt := range st.Parts {
		rep.Parts = append(rep.Parts, PartResult{OrdinalNumber: pt.OrdinalNumber, Size: pt.Size, Uploaded: pt.Uploaded, Attempts: sent[i]})
	}
	if p == nil {
		return rep
	}
	rep.Processed = *p
	if rep.Invoices == nil {
		rep.Invoices = []online.InvoiceResult{}
	}
	byName := map[string]*online.InvoiceResult{}
	for i := range rep.Invoices {
		if n := rep.Invoices[i].InvoiceFileName; n != "" {
			byName[n] = &rep.Invoices[i]
		}
	}
	for i := range rep.Documents {
		d := &rep.Documents[i]
		if d.Outcome != online.Processing {
			continue // invalid, or not in this batch
		}
		if r := byName[d.Name]; r != nil {
			d.Result, d.Outcome, d.OK, d.KSeFNumber = r, r.Outcome, r.OK, r.KSeFNumber
			continue
		}
		d.Outcome = online.Failed
		if p.Status.Code != 200 && p.Status.Code != 445 {
			d.Error = errs.New(errs.API, "batch session %s ended with status %d (%s): KSeF processed none of its invoices", st.ReferenceNumber, p.Status.Code, p.Status.Description)
			d.Error.Status, d.Error.StatusDescription, d.Error.StatusDetails = p.Status.Code, p.Status.Description, p.Status.Details
		} else {
			d.Error = errs.New(errs.Protocol, "KSeF lists no invoice of this document's file name in batch session %s", st.ReferenceNumber)
		}
		d.Error.ReferenceNumber = st.ReferenceNumber
	}
	return rep
}

// Resume takes up a batch from its state — after a crash, in another
// process — and returns it ready to Finish: src must yield the batch's
// documents again (matched by name; only those of parts still to upload
// are read, each checked against the size and SHA-256 it was packed
// with). Documents of src the batch was not packed with are reported
// NotInBatch. The upload time is KSeF's: a state past its deadline can
// only be waited on once closed.
func (m *Batches) Resume(ctx context.Context, st State, src Source, o UploadOptions) (*Batch, error) {
	key, lay, err := st.validate()
	if err != nil {
		return nil, err
	}
	if cur := m.currentContext(); st.Context.Value != "" && cur.Value != "" && cur != st.Context {
		return nil, errs.Invalid("state.context", "batch %s was opened in another context than the one the client is authenticated in (%s)", st.ReferenceNumber, cur)
	}
	docs, err := collect(src, MaxInvoices+len(st.Skipped))
	if err != nil {
		return nil, err
	}
	byName := make(map[string]int, len(docs))
	for i, d := range docs {
		byName[d.Name] = i
	}
	skipped := map[string]*errs.Error{}
	for _, s := range st.Skipped {
		skipped[s.Name] = s.Error
	}
	results := make([]DocumentResult, len(docs))
	for i, d := range docs {
		results[i] = DocumentResult{Index: i, Name: d.Name, Outcome: NotInBatch}
		if e, ok := skipped[d.Name]; ok {
			results[i].Outcome, results[i].Error = online.Invalid, e
		}
	}
	for k := range lay.docs {
		name := lay.name(k)
		i, ok := byName[name]
		if !ok {
			return nil, errs.Invalid("documents", "the source has no document of the name of the batch state's documents[%d]; a resumed batch needs the documents it was packed with", k)
		}
		lay.docs[k].src = int32(i)
		results[i].Outcome = online.Processing
	}
	lay.src = docs
	st.Parts = append([]Part(nil), st.Parts...)
	b := &Batch{m: m, key: key, lay: lay, up: o, results: results, st: st, sent: make([]int, len(st.Parts))}
	m.remember(b)
	m.cfg.Logger.Info("ksef batch resumed", "reference", st.ReferenceNumber, "closed", st.Closed, "partsMissing", b.missing())
	if !st.Closed && !m.clock(ctx).Now().Before(st.UploadDeadline) && b.missing() > 0 {
		return b, errs.New(errs.Timeout, "batch %s: the upload time ended at %s with %d parts missing; KSeF cancels the session (21208) — send the documents in a new batch", st.ReferenceNumber, st.UploadDeadline.UTC().Format(time.RFC3339), b.missing())
	}
	return b, nil
}

func (b *Batch) missing() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, p := range b.st.Parts {
		if !p.Uploaded {
			n++
		}
	}
	return n
}

func (m *Batches) currentContext() (c ids.ContextIdentifier) {
	if m.cfg.Context != nil {
		c = m.cfg.Context()
	}
	return c
}
