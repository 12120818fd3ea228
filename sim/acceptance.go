package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
)

// What KSeF does with a decrypted invoice (protocol.md §6 "Invoice
// validation applied"): the rules of core/invoice — the one implementation
// the client also runs before it sends — and the XSD of the session's form
// code, then the checks that depend on KSeF's state (attachment consent,
// the context's permission, uniqueness). An invoice that passes them all is
// numbered and stored with its metadata.

// verified is a document core/invoice could read.
type verified struct {
	facts *invoice.Facts
	meta  *invoice.Meta // nil unless the document passed every check
}

// verifyInvoice decides what KSeF makes of doc in a session of form at
// now. Like KSeF it verifies the file before its meaning: core/invoice's
// findings about the file, then the XSD, end as 430; only a valid file's
// semantic findings end as 450 (statusOfField). The details are the
// findings. The facts come back whenever the document could be read, so
// that a rejected invoice still shows its number.
func (s *Server) verifyInvoice(doc []byte, form formSpec, now time.Time) (invoiceStatus, *verified) {
	facts, err := invoice.Check(doc, invoice.CheckOptions{FormCode: form.code, Now: now})
	var v *verified
	if facts != nil {
		v = &verified{facts: facts}
	}
	file, semantic := splitFindings(err)
	if len(file) > 0 || v == nil && err != nil {
		return invStatus(430, append(file, semantic...)...), v
	}
	if form.schema != "" && !s.opts.SkipXSD {
		findings, err := validateXSD(form.schema, doc)
		if err != nil {
			s.log.Error("XSD validation failed to run", "err", err)
			return invStatus(500, err.Error()), v
		}
		if findings != nil {
			return invStatus(430, findings...), v
		}
	}
	if len(semantic) > 0 {
		return invStatus(450, semantic...), v
	}
	meta, err := invoice.Metadata(doc)
	if err != nil {
		// A document Check and the XSD (where there is one) let through but
		// whose values cannot be read, e.g. a PEF amount that is no number.
		e := errs.As(err)
		return invStatus(statusOfField(e.Field), e.Field+": "+e.Message), v
	}
	meta.FormCode = form.code
	if problems := s.offSchema(meta, now); problems != nil {
		if form.schema != "" {
			// The XSD let it through: core/invoice and the schema disagree,
			// a bug to hear about loudly.
			s.recordViolation("stored metadata", "POST", "/sessions/online/{referenceNumber}/invoices", problems)
		}
		return invStatus(430, problems...), v
	}
	v.meta = meta
	return invStatus(200), v
}

// offSchema holds the metadata the store would keep to the OpenAPI schema
// InvoiceMetadata, with provisional values for what KSeF adds on
// acceptance, and lists what does not fit. The FA schemas bound what the
// schema bounds (a number of at most 256 characters, names of 512, a
// three-letter currency); UBL does not, and a PEF document the metadata
// cannot carry is one KSeF's PEF schemas, which the simulator does not
// bundle, would refuse.
func (s *Server) offSchema(m *invoice.Meta, now time.Time) []string {
	rec := InvoiceMetadata{
		KSeFNumber: ksefNumber(m.Seller.NIP, now, "000000000000"), InvoicingDate: now, AcquisitionDate: now, PermanentStorageDate: now,
		InvoicingMode: "Online", Meta: *m,
	}
	if err := s.spec.validateValue("InvoiceMetadata", rec); err != nil {
		return flatten("InvoiceMetadata", err) // "InvoiceMetadata/currency: minimum string length is 3"
	}
	return nil
}

// statusOfField is the invoice status KSeF reports for a rule broken on
// the field core/invoice names (errs.Error.Field, and the "field: " of each
// finding): 450 "semantic verification error" for what the values mean —
// the issue date (FA P_1, FA_RR P_4B, PEF IssueDate: in the future) and the
// NIPs and internal identifier whose checksums KSeF verifies (PRD rules);
// 430 "file verification error" for everything about the file itself —
// size, encoding, BOM, well-formedness, processing instructions, code
// points, DOCTYPE, form code and namespace, the invoice number and any
// other element missing or unreadable.
func statusOfField(field string) int {
	switch field {
	case "invoice.P_1", "invoice.P_4B", "invoice.IssueDate",
		"invoice.Podmiot1.NIP", "invoice.Podmiot2.NIP", "invoice.Podmiot3.NIP", "invoice.Podmiot3.IDWew",
		"invoice.PodmiotUpowazniony.NIP", "invoice.AccountingSupplierParty.CompanyID":
		return 450
	}
	return 430
}

// splitFindings sorts the findings of invoice.Check's error ("field:
// message" each) by the status their field maps to.
func splitFindings(err error) (file, semantic []string) {
	if err == nil {
		return nil, nil
	}
	e := errs.As(err)
	findings := e.Findings
	if len(findings) == 0 {
		findings = []string{e.Field + ": " + e.Message}
	}
	for _, f := range findings {
		field, _, _ := strings.Cut(f, ": ")
		if statusOfField(field) == 450 {
			semantic = append(semantic, f)
		} else {
			file = append(file, f)
		}
	}
	return file, semantic
}

// admit runs the checks that depend on the simulator's state — attachment
// consent, the context's permission for the seller, uniqueness — and on
// success numbers and stores the invoice. Caller holds s.mu.
func (s *Server) admit(sess *onlineSession, inv *sessionInvoice, doc *verified, plain []byte, req sendInvoiceRequest, force550 bool) invoiceStatus {
	f, m := doc.facts, doc.meta
	if f.HasAttachment && !s.attachments[f.SellerNIP] {
		return invStatus(415, "Podatnik "+f.SellerNIP+" nie zgłosił możliwości wysyłania faktur z załącznikami (POST /testdata/attachment).")
	}
	// A VAT RR invoice is issued by its buyer (Podmiot2) for the farmer
	// who sells (Podmiot1); either may send it.
	buyerIssues := sess.form.code == invoice.FARR1 && m.Buyer.Identifier.Type == "Nip" && s.mayIssueFor(sess.context, m.Buyer.Identifier.Value)
	if !s.mayIssueFor(sess.context, f.SellerNIP) && !buyerIssues {
		return invStatus(410, fmt.Sprintf("Kontekst %s nie ma uprawnień do wystawiania faktur w imieniu %s.", sess.context, f.SellerNIP))
	}
	if force550 {
		return invStatus(550, "Przetwarzanie zostało przerwane z przyczyn wewnętrznych systemu. Spróbuj ponownie")
	}
	key := uniqueKeyOf(f)
	if orig := s.store.duplicateOf(key); orig != nil {
		st := invStatus(440, "Duplikat faktury. Faktura o numerze KSeF: "+orig.KSeFNumber+" została już prawidłowo przesłana do systemu w sesji: "+orig.SessionReferenceNumber)
		st.Extensions = map[string]string{"originalKsefNumber": orig.KSeFNumber, "originalSessionReferenceNumber": orig.SessionReferenceNumber}
		return st
	}
	acquired := inv.done
	meta := InvoiceMetadata{
		KSeFNumber:           ksefNumber(f.SellerNIP, acquired, randHex(6)),
		InvoicingDate:        inv.received,
		AcquisitionDate:      acquired,
		PermanentStorageDate: acquired.Add(s.opts.PermanentStorageDelay),
		InvoicingMode:        inv.mode,
		Meta:                 *m,
	}
	if h := req.HashOfCorrectedInvoice; h != nil {
		h := *h
		meta.HashOfCorrectedInvoice = &h
	}
	inv.stored = &StoredInvoice{
		InvoiceMetadata: meta, SessionReferenceNumber: sess.ref, InvoiceReferenceNumber: inv.ref,
		Context: sess.context.String(), XML: slices.Clone(plain),
	}
	s.store.add(inv.stored, key)
	return invStatus(200)
}

// ksefNumber is a KSeF number in the official format (protocol.md §15):
// the seller's NIP, the day of acceptance in Poland, 12 hex digits unique to
// the invoice, and the CRC-8 check that ids.ValidateKSeFNumber verifies.
func ksefNumber(seller string, acquired time.Time, unique string) string {
	body := seller + "-" + acquired.In(warsaw).Format("20060102") + "-" + unique
	return body + "-" + ids.KSeFNumberChecksum(body)
}

// mayIssueFor reports whether a context may send invoices of seller nip:
// its own, or those of a seller that granted the context's NIP InvoiceWrite
// (Server.Grant, POST /testdata/permissions). Caller holds s.mu.
func (s *Server) mayIssueFor(ctx ids.ContextIdentifier, nip string) bool {
	own := ownerNIP(ctx)
	if own == nip {
		return true
	}
	if own == "" {
		return false
	}
	return slices.Contains(s.permissionsIn(ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}, Identity{IdentityNip, own}), "InvoiceWrite")
}
