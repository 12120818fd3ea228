package online

import (
	"context"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/poll"
)

// Outcome of one invoice, from its KSeF status code.
type Outcome string

// The outcomes. Accepted and Duplicate both mean "the invoice is in KSeF
// with KSeFNumber"; Rejected means it is not and will not be (send a
// corrected document); Processing means KSeF is not done; Retry is status
// 550 (cancelled by the system: send the same document again).
const (
	Accepted   Outcome = "accepted"
	Duplicate  Outcome = "duplicate"
	Rejected   Outcome = "rejected"
	Processing Outcome = "processing"
	Retry      Outcome = "retry"
)

// InvoiceResult is one invoice of a session as KSeF reports it.
type InvoiceResult struct {
	OrdinalNumber          int    `json:"ordinalNumber"`
	InvoiceReferenceNumber string `json:"invoiceReferenceNumber"`
	InvoiceNumber          string `json:"invoiceNumber,omitempty"`
	// KSeFNumber is the number KSeF gave the invoice — for a duplicate, the
	// number the first copy got.
	KSeFNumber      string  `json:"ksefNumber,omitempty"`
	InvoiceHash     string  `json:"invoiceHash"`
	InvoiceFileName string  `json:"invoiceFileName,omitempty"`
	Outcome         Outcome `json:"outcome"`
	// OK is true for Accepted and Duplicate: the invoice is legally in KSeF.
	OK bool `json:"ok"`
	// Status is KSeF's code, description, details and extensions (440:
	// originalKsefNumber, originalSessionReferenceNumber).
	Status                         api.StatusInfo `json:"status"`
	OriginalSessionReferenceNumber string         `json:"originalSessionReferenceNumber,omitempty"`
	AcquisitionDate                *time.Time     `json:"acquisitionDate,omitempty"`
	InvoicingDate                  time.Time      `json:"invoicingDate"`
	PermanentStorageDate           *time.Time     `json:"permanentStorageDate,omitempty"`
	InvoicingMode                  string         `json:"invoicingMode,omitempty"`
	// VerificationLink is KOD I when this process sent the invoice.
	VerificationLink string `json:"verificationLink,omitempty"`
	// Attempts counts posts of the document, resends after 550 included,
	// when this process sent it.
	Attempts int `json:"attempts,omitempty"`
}

// outcomeOf maps KSeF's invoice status codes (protocol.md §8).
func outcomeOf(code int) Outcome {
	switch code {
	case 100, 150:
		return Processing
	case 200:
		return Accepted
	case 440:
		return Duplicate
	case 550:
		return Retry
	}
	return Rejected // 405, 410, 415, 430, 435, 450, 500 and anything new
}

// resultOf turns KSeF's record into a result, adding what this process
// knows of the invoice.
func (s *Session) resultOf(inv *api.SessionInvoice) InvoiceResult {
	r := InvoiceResult{
		OrdinalNumber: inv.OrdinalNumber, InvoiceReferenceNumber: inv.ReferenceNumber, InvoiceNumber: inv.InvoiceNumber,
		KSeFNumber: inv.KSeFNumber, InvoiceHash: inv.InvoiceHash, InvoiceFileName: inv.InvoiceFileName,
		Outcome: outcomeOf(inv.Status.Code), Status: inv.Status, InvoicingDate: inv.InvoicingDate.Time,
		InvoicingMode: inv.InvoicingMode, AcquisitionDate: timePtr(inv.AcquisitionDate), PermanentStorageDate: timePtr(inv.PermanentStorageDate),
	}
	if r.Outcome == Duplicate {
		if n := inv.Status.Extensions["originalKsefNumber"]; n != "" && r.KSeFNumber == "" {
			r.KSeFNumber = n
		}
		r.OriginalSessionReferenceNumber = inv.Status.Extensions["originalSessionReferenceNumber"]
	}
	r.OK = (r.Outcome == Accepted || r.Outcome == Duplicate) && r.KSeFNumber != ""
	s.mu.Lock()
	if sent := s.sent[inv.ReferenceNumber]; sent != nil {
		r.VerificationLink, r.Attempts = sent.VerificationLink, sent.Attempts
	}
	s.mu.Unlock()
	return r
}

func timePtr(t *api.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	v := t.Time
	return &v
}

// MaxInvoicePages bounds paging through a session's invoices (KSeF allows
// 10 000 invoices per session, pages of up to 1000).
const MaxInvoicePages = 100

// eachInvoice pages through a session's invoices (or failed invoices)
// until fn returns false.
func (m *Sessions) eachInvoice(ctx context.Context, ref string, failed bool, fn func(*api.SessionInvoice) bool) error {
	cont := ""
	for range MaxInvoicePages {
		p, err := m.InvoicesPage(ctx, ref, failed, 1000, cont)
		if err != nil {
			return err
		}
		for i := range p.Invoices {
			if !fn(&p.Invoices[i]) {
				return nil
			}
		}
		if p.ContinuationToken == "" {
			return nil
		}
		if p.ContinuationToken == cont {
			return errs.New(errs.Protocol, "GET /sessions/{referenceNumber}/invoices returned the same continuation token twice")
		}
		cont = p.ContinuationToken
	}
	return errs.New(errs.Protocol, "session %s: invoice list did not end within %d pages", ref, MaxInvoicePages)
}

// InvoicesPage returns one page of a session's invoices (failed: only the
// failed ones), pageSize 10–1000 (0: KSeF's default).
func (m *Sessions) InvoicesPage(ctx context.Context, ref string, failed bool, pageSize int, continuationToken string) (*api.SessionInvoicesPage, error) {
	if err := checkRef("referenceNumber", ref); err != nil {
		return nil, err
	}
	if pageSize != 0 && (pageSize < 10 || pageSize > 1000) {
		return nil, errs.Invalid("pageSize", "pageSize must be between 10 and 1000, got %d", pageSize)
	}
	tok, err := m.token(ctx)
	if err != nil {
		return nil, err
	}
	p, err := m.cfg.API.SessionInvoices(ctx, tok, ref, failed, pageSize, continuationToken)
	return p, withRef(err, ref)
}

// Invoice returns one invoice's status within a session.
func (m *Sessions) Invoice(ctx context.Context, ref, invoiceRef string) (*api.SessionInvoice, error) {
	if err := checkRef("referenceNumber", ref); err != nil {
		return nil, err
	}
	if err := checkRef("invoiceReferenceNumber", invoiceRef); err != nil {
		return nil, err
	}
	tok, err := m.token(ctx)
	if err != nil {
		return nil, err
	}
	inv, err := m.cfg.API.SessionInvoice(ctx, tok, ref, invoiceRef)
	return inv, withRef(err, ref)
}

// Results lists every invoice of the session as KSeF reports it now.
func (s *Session) Results(ctx context.Context) ([]InvoiceResult, error) {
	var out []InvoiceResult
	err := s.m.eachInvoice(ctx, s.ref, false, func(inv *api.SessionInvoice) bool {
		out = append(out, s.resultOf(inv))
		return true
	})
	return out, err
}

// WaitInvoices waits until every invoice this process sent into the
// session has left processing (100/150), and returns the results of the
// whole session. The session stays open: invoices KSeF cancelled (550) can
// still be sent again into it.
func (s *Session) WaitInvoices(ctx context.Context) ([]InvoiceResult, error) {
	pending := poll.Pending{What: "invoices of online session " + s.ref, ReferenceNumber: s.ref}
	return poll.Until(ctx, s.m.clock(ctx), s.m.policy(), pending, func(ctx context.Context) ([]InvoiceResult, bool, error) {
		res, err := s.Results(ctx)
		if err != nil {
			return nil, false, err
		}
		seen := map[string]bool{}
		for _, r := range res {
			seen[r.InvoiceReferenceNumber] = true
			if r.Outcome == Processing {
				return res, false, nil
			}
		}
		// An invoice KSeF acknowledged must appear in the list; until it
		// does, it is still on its way.
		s.mu.Lock()
		defer s.mu.Unlock()
		for ref := range s.sent {
			if !seen[ref] {
				return res, false, nil
			}
		}
		return res, true, nil
	}, nil)
}

// Terminal session status codes (protocol.md §8): online 200 processed,
// 415 key could not be decrypted, 440 cancelled (no invoices), 445 no valid
// invoice; batch adds 405, 420, 430, 435, 500.
func sessionDone(code int) bool { return code != 100 && code != 150 && code != 170 }

// Processed is the outcome of a closed session.
type Processed struct {
	ReferenceNumber string         `json:"referenceNumber"`
	Status          api.StatusInfo `json:"status"`
	// OK means KSeF processed the session (200); individual invoices may
	// still have failed — see Invoices and the counts.
	OK                     bool            `json:"ok"`
	InvoiceCount           int             `json:"invoiceCount"`
	SuccessfulInvoiceCount int             `json:"successfulInvoiceCount"`
	FailedInvoiceCount     int             `json:"failedInvoiceCount"`
	Invoices               []InvoiceResult `json:"invoices"`
	UPO                    []api.UPOPage   `json:"-"`
}

// WaitProcessed waits until KSeF has processed a closed session (any
// session of the context: online or batch, open here or not) and reads
// every invoice's result. A deadline passed while KSeF still works is a
// resumable timeout carrying the reference number.
func (m *Sessions) WaitProcessed(ctx context.Context, ref string) (*Processed, error) {
	if err := checkRef("referenceNumber", ref); err != nil {
		return nil, err
	}
	return m.waitProcessed(ctx, m.known(ref))
}

// Wait waits until KSeF has processed this (closed) session; see
// Sessions.WaitProcessed.
func (s *Session) Wait(ctx context.Context) (*Processed, error) {
	if !s.isClosed() {
		return nil, errs.Invalid("referenceNumber", "online session %s is still open: close it before waiting for its processing (or use WaitInvoices)", s.ref)
	}
	return s.m.waitProcessed(ctx, s)
}

func (m *Sessions) waitProcessed(ctx context.Context, s *Session) (*Processed, error) {
	ref := s.ref
	pending := poll.Pending{What: "processing of session " + ref, ReferenceNumber: ref}
	st, err := poll.Until(ctx, m.clock(ctx), m.policy(), pending, func(ctx context.Context) (*api.SessionStatus, bool, error) {
		st, err := m.Status(ctx, ref)
		if err != nil {
			return nil, false, err
		}
		// The session UPO comes with the final status; wait for both.
		return st, sessionDone(st.Status.Code) && (st.Status.Code != 200 || st.UPO != nil && len(st.UPO.Pages) > 0), nil
	}, func(st *api.SessionStatus) (int, string) {
		if st == nil {
			return 0, ""
		}
		return st.Status.Code, st.Status.Description
	})
	if err != nil {
		return nil, err
	}
	p := &Processed{ReferenceNumber: ref, Status: st.Status, OK: st.Status.Code == 200}
	p.InvoiceCount, p.SuccessfulInvoiceCount, p.FailedInvoiceCount = deref(st.InvoiceCount), deref(st.SuccessfulInvoiceCount), deref(st.FailedInvoiceCount)
	if st.UPO != nil {
		p.UPO = st.UPO.Pages
	}
	p.Invoices, err = s.Results(ctx)
	return p, err
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
