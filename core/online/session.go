package online

import (
	"context"
	"encoding/base64"
	"sync"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/symkey"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Session is one open online session. Safe for concurrent use: invoices
// may be sent from several goroutines.
type Session struct {
	m          *Sessions
	ref        string
	formCode   invoice.FormCode
	validUntil time.Time
	openedAt   time.Time
	context    ids.ContextIdentifier
	key        *symkey.Key

	mu     sync.Mutex
	sent   map[string]*Sent // by invoice reference number: what this process sent
	closed bool
}

// ReferenceNumber is the session's KSeF reference (…-SO-…).
func (s *Session) ReferenceNumber() string { return s.ref }

// FormCode is the form code every invoice of the session must have.
func (s *Session) FormCode() invoice.FormCode { return s.formCode }

// ValidUntil is when KSeF closes the session by itself.
func (s *Session) ValidUntil() time.Time { return s.validUntil }

// SendOptions qualify one invoice.
type SendOptions struct {
	// OfflineMode declares an invoice issued offline (offline24, outage,
	// emergency); KOD II is then the caller's business.
	OfflineMode bool
	// HashOfCorrectedInvoice (Base64 SHA-256 of the rejected original)
	// marks a technical correction of an offline invoice; it requires
	// OfflineMode.
	HashOfCorrectedInvoice string
}

// Sent is what KSeF acknowledged for one invoice (202): processing goes on
// asynchronously; Wait tells the outcome.
type Sent struct {
	InvoiceReferenceNumber string `json:"invoiceReferenceNumber"`
	// InvoiceHash is Base64 SHA-256 of exactly the bytes given.
	InvoiceHash   string `json:"invoiceHash"`
	InvoiceSize   int64  `json:"invoiceSize"`
	InvoiceNumber string `json:"invoiceNumber,omitempty"`
	SellerNIP     string `json:"sellerNip,omitempty"`
	IssueDate     string `json:"issueDate,omitempty"`
	// VerificationLink is KOD I, the link every printout of the invoice
	// carries (with the KSeF number, or "OFFLINE", under the QR code). It
	// is empty only when the client does not know its environment: a bare
	// base URL — name the environment it stands for (test, demo, prod) too.
	VerificationLink string `json:"verificationLink,omitempty"`
	// Recovered reports that the answer to the send was lost and the
	// invoice was found in the session's list instead of being sent again.
	Recovered bool `json:"recovered,omitempty"`
	// Attempts is how many times the invoice was posted (1 normally).
	Attempts int `json:"attempts"`
}

// maxSendAttempts bounds re-sending after lost answers. Each re-send is
// preceded by a look at the session's invoice list.
const maxSendAttempts = 3

// Send checks doc locally (package invoice: well-formedness, encoding,
// form code, P_1, seller NIP, size — nothing goes out when it fails),
// encrypts it with the session key and posts it. The answer is the invoice
// reference; the KSeF number comes with Wait.
func (s *Session) Send(ctx context.Context, doc []byte, o SendOptions) (*Sent, error) {
	facts, err := invoice.Check(doc, invoice.CheckOptions{FormCode: s.formCode, Now: s.m.clock(ctx).Now()})
	if err != nil {
		return nil, err
	}
	return s.send(ctx, doc, facts, o)
}

// send is Send for a document whose checks passed (SendAll checks every
// document before opening the session, and does not check twice).
func (s *Session) send(ctx context.Context, doc []byte, facts *invoice.Facts, o SendOptions) (*Sent, error) {
	if err := checkCorrection(o); err != nil {
		return nil, err
	}
	if s.isClosed() {
		return nil, errs.Invalid("referenceNumber", "online session %s is closed; open a new one", s.ref)
	}
	sealed := s.key.Seal(doc)
	sent := &Sent{
		InvoiceHash: sealed.Plain.Base64(), InvoiceSize: sealed.Plain.Size,
		InvoiceNumber: facts.InvoiceNumber, SellerNIP: facts.SellerNIP, IssueDate: facts.IssueDate,
	}
	if s.m.cfg.QRBase != "" {
		if link, err := invoice.VerificationLink(s.m.cfg.QRBase, facts.SellerNIP, facts.IssueDate, sealed.Plain.SHA256); err == nil {
			sent.VerificationLink = link
		}
	}
	req := &api.SendInvoiceRequest{
		InvoiceHash: sent.InvoiceHash, InvoiceSize: sealed.Plain.Size,
		EncryptedInvoiceHash: sealed.Cipher.Base64(), EncryptedInvoiceSize: sealed.Cipher.Size,
		EncryptedInvoice: sealed.Ciphertext, OfflineMode: o.OfflineMode, HashOfCorrectedInvoice: o.HashOfCorrectedInvoice,
	}
	for {
		sent.Attempts++
		ref, err := s.post(ctx, req)
		if err == nil {
			sent.InvoiceReferenceNumber = ref
			s.remember(sent)
			return sent, nil
		}
		if !outcomeUnknown(err) {
			return nil, withRef(err, s.ref)
		}
		// The request may have reached KSeF. Ask the session before sending
		// the same invoice again.
		s.m.cfg.Logger.Warn("ksef invoice send answer lost; checking the session before sending again",
			"session", s.ref, "attempt", sent.Attempts, "err", errs.CodeOf(err))
		found, lerr := s.findSent(ctx, sent.InvoiceHash)
		if lerr != nil {
			return nil, withRef(errs.Wrap(errs.CodeOf(err), err, "the answer to sending the invoice was lost and the session's invoice list could not be read to find out whether it arrived (%v); send it again later: a copy that did arrive is reported as a duplicate with its KSeF number", errs.CodeOf(lerr)), s.ref)
		}
		if found != nil {
			sent.InvoiceReferenceNumber, sent.Recovered = found.ReferenceNumber, true
			s.remember(sent)
			s.m.cfg.Logger.Info("ksef invoice found in the session after a lost answer", "session", s.ref, "invoice", found.ReferenceNumber)
			return sent, nil
		}
		if sent.Attempts >= maxSendAttempts {
			return nil, withRef(err, s.ref)
		}
		if err := s.m.clock(ctx).Sleep(ctx, s.resendDelay(sent.Attempts)); err != nil {
			return nil, errs.FromContext(err, "sending an invoice into session "+s.ref)
		}
	}
}

// resendDelay grows with each attempt from the client's retry base delay:
// a lost answer is usually a network blip, and hammering does not help.
func (s *Session) resendDelay(attempt int) time.Duration {
	base := s.m.cfg.API.Sender.Policy.BaseDelay
	if base <= 0 {
		base = transport.DefaultRetryPolicy().BaseDelay
	}
	return base * time.Duration(attempt)
}

func (s *Session) post(ctx context.Context, req *api.SendInvoiceRequest) (string, error) {
	tok, err := s.m.token(ctx)
	if err != nil {
		return "", err
	}
	resp, err := s.m.cfg.API.SendInvoice(ctx, tok, s.ref, req)
	if err != nil {
		return "", err
	}
	return resp.ReferenceNumber, nil
}

// OutcomeUnknown is outcomeUnknown for the other workflows (batch
// sessions), which resolve lost answers the same way.
func OutcomeUnknown(err error) bool { return outcomeUnknown(err) }

// outcomeUnknown reports a failure after which KSeF may or may not have
// the request: no HTTP answer, or a 5xx (a gateway may answer after the
// service accepted it). 4xx answers are KSeF's decision, never retried here.
func outcomeUnknown(err error) bool {
	e := errs.As(err)
	switch e.Code {
	case errs.Transport, errs.Timeout, errs.Protocol: // no answer, or one that cannot be read
		return true
	case errs.API:
		return e.HTTPStatus >= 500
	}
	return false
}

func checkCorrection(o SendOptions) error {
	if o.HashOfCorrectedInvoice == "" {
		return nil
	}
	if !o.OfflineMode {
		return errs.Invalid("hashOfCorrectedInvoice", "a technical correction (hashOfCorrectedInvoice) is only for invoices issued offline: set offlineMode")
	}
	if b, err := base64.StdEncoding.DecodeString(o.HashOfCorrectedInvoice); err != nil || len(b) != 32 {
		return errs.Invalid("hashOfCorrectedInvoice", "hashOfCorrectedInvoice must be Base64 of a SHA-256 digest (44 characters)")
	}
	return nil
}

func (s *Session) remember(sent *Sent) {
	s.mu.Lock()
	s.sent[sent.InvoiceReferenceNumber] = sent
	s.mu.Unlock()
}

func (s *Session) known(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sent[ref]
	return ok
}

func (s *Session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// findSent looks for an invoice with this hash that this process has not
// already accounted for (the same document may legitimately be sent twice;
// KSeF then reports the second as a duplicate).
func (s *Session) findSent(ctx context.Context, hash string) (*api.SessionInvoice, error) {
	var found *api.SessionInvoice
	err := s.m.eachInvoice(ctx, s.ref, false, func(inv *api.SessionInvoice) bool {
		if inv.InvoiceHash == hash && !s.known(inv.ReferenceNumber) {
			found = inv
			return false
		}
		return true
	})
	return found, err
}

// Close asks KSeF to close the session (POST …/close), which starts the
// session UPO. When the answer is lost, the session's status tells whether
// the close arrived; it is repeated only if not.
func (s *Session) Close(ctx context.Context) error {
	tok, err := s.m.token(ctx)
	if err != nil {
		return err
	}
	err = s.m.cfg.API.CloseOnlineSession(ctx, tok, s.ref)
	if err != nil && outcomeUnknown(err) {
		st, serr := s.m.Status(ctx, s.ref)
		switch {
		case serr != nil:
			return withRef(err, s.ref)
		case st.Status.Code != 100:
			err = nil // closed (170 …) or already over
		default:
			if tok, terr := s.m.token(ctx); terr == nil {
				err = s.m.cfg.API.CloseOnlineSession(ctx, tok, s.ref)
			}
		}
	}
	if err != nil {
		return withRef(err, s.ref)
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.m.retire(s)
	s.m.cfg.Logger.Info("ksef online session closed", "reference", s.ref)
	return nil
}
