package invoice

import (
	"strconv"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
)

// Size limits of faktury/weryfikacja-faktury.md (decimal megabytes, as the
// document spells them out: 1 000 000 and 3 000 000 bytes).
const (
	MaxSize               = 1_000_000
	MaxSizeWithAttachment = 3_000_000
)

// CheckOptions tune Check.
type CheckOptions struct {
	FormCode FormCode  // the session's form code; zero means FA3
	Now      time.Time // P_1 must not be after Now's calendar date in Europe/Warsaw; zero means time.Now()
	MaxSize  int       // 0: 1 000 000 bytes, or 3 000 000 when the document carries attachments
}

// Facts are what KSeF reads from the document; the bytes themselves are never re-serialised.
type Facts struct {
	FormCode      FormCode `json:"formCode"`
	Namespace     string   `json:"namespace"`
	SellerNIP     string   `json:"sellerNip"`     // Podmiot1 NIP (FA/FA_RR; for FA_RR the supplier, whose invoice the buyer issues); PEF: the supplier's Polish NIP
	IssueDate     string   `json:"issueDate"`     // P_1 (FA_RR: P_4B, PEF: cbc:IssueDate), "YYYY-MM-DD"
	InvoiceNumber string   `json:"invoiceNumber"` // P_2 (FA_RR: P_4C, PEF: cbc:ID)
	InvoiceType   string   `json:"invoiceType"`   // RodzajFaktury as written (VAT, KOR, ZAL, …, VAT_RR); PEF: the type code (380, 381 …)
	HasAttachment bool     `json:"hasAttachment"`
	Size          int      `json:"size"`
}

// names are the error fields of a layout's facts.
type names struct{ seller, date, number string }

func (l layout) names() names {
	switch l {
	case layoutRR:
		return names{"invoice.Podmiot1.NIP", "invoice.P_4B", "invoice.P_4C"}
	case layoutUBL:
		return names{"invoice.AccountingSupplierParty.CompanyID", "invoice.IssueDate", "invoice.ID"}
	}
	return names{"invoice.Podmiot1.NIP", "invoice.P_1", "invoice.P_2"}
}

// Check runs every pre-flight rule KSeF would reject on (protocol.md §6 "Invoice validation applied"):
// not well-formed XML, not UTF-8, a BOM, a prolog encoding other than UTF-8, processing instructions,
// W3C-discouraged code points, form code ≠ the document's namespace / Naglowek/KodFormularza
// (kodSystemowy, wersjaSchemy, text), P_1 in the future, a bad seller NIP checksum, size over the limit.
// It returns *errs.Error{Code: input.invalid, Field: "<the field>", Findings: [every problem found]}.
// Field names: "invoice" (empty/size), "invoice.encoding", "invoice.bom", "invoice.xml",
// "invoice.processingInstruction", "invoice.characters", "invoice.formCode", "invoice.P_1",
// "invoice.Podmiot1.NIP", "invoice.P_2", "invoice.size".
//
// Beyond the contract above: a DOCTYPE is "invoice.doctype" (no entity is
// ever expanded); the other NIPs KSeF checksums on PRD are checked too
// ("invoice.Podmiot2.NIP", "invoice.Podmiot3.NIP", "invoice.Podmiot3.IDWew",
// "invoice.PodmiotUpowazniony.NIP"); FA_RR documents name their own fields
// ("invoice.P_4B", "invoice.P_4C") and PEF documents theirs
// ("invoice.IssueDate", "invoice.ID", "invoice.AccountingSupplierParty.CompanyID").
// Each finding is "field: message"; Field is the first one's field.
//
// The size is checked before anything is read: a document over the
// largest limit is not parsed at all. When the document is well-formed XML,
// Facts are returned even with an error (they may be incomplete); when it is
// not, Facts are nil.
func Check(doc []byte, o CheckOptions) (*Facts, error) {
	var probs problems
	session, ok := lookupForm(o.FormCode)
	if !ok {
		return nil, errs.Invalid("formCode", "unknown form code %+v", o.FormCode)
	}
	if len(doc) == 0 {
		probs.add("invoice", "the invoice is empty")
		return nil, probs.err()
	}
	limit := o.MaxSize
	hardLimit := limit
	if limit <= 0 {
		limit, hardLimit = MaxSize, MaxSizeWithAttachment
	}
	if len(doc) > hardLimit {
		probs.add("invoice.size", "the invoice has %d bytes; the limit is %d", len(doc), hardLimit)
		return nil, probs.err()
	}

	p := read(doc, &probs)
	if !p.wellFormed {
		return nil, probs.err()
	}
	f := factsOf(p, doc)
	checkForm(p, session, &probs)
	if p.form != nil {
		checkContent(p, f, o.Now, &probs)
	}
	if o.MaxSize <= 0 && len(doc) > MaxSize && !f.HasAttachment {
		probs.add("invoice.size", "the invoice has %d bytes; the limit is %d (%d with attachments)", len(doc), MaxSize, MaxSizeWithAttachment)
	}
	if len(probs) > 0 {
		return f, probs.err()
	}
	return f, nil
}

// factsOf is what a read document says.
func factsOf(p *parsed, doc []byte) *Facts {
	// No digest here: the sender hashes the bytes it encrypts anyway
	// (symkey.Seal), and hashing twice was a fifth of a 10 KB invoice's
	// pre-flight.
	f := &Facts{Namespace: p.rootNS, Size: len(doc)}
	if p.form != nil {
		f.FormCode = p.form.code
		f.SellerNIP = sellerNIP(p)
		f.IssueDate = strings.Trim(p.issueDate, xmlSpace)
		f.InvoiceNumber = collapse(p.number)
		f.InvoiceType = strings.Trim(p.invoiceType, xmlSpace)
		f.HasAttachment = p.attachment
	}
	return f
}

// ReadFacts reads the facts of a well-formed document of any form this
// package knows and applies none of Check's rules — for the KOD I link of
// an invoice KSeF already holds, say. It fails only when the document is
// not well-formed XML, not of a known form, or lacks the seller's NIP or
// the issue date.
func ReadFacts(doc []byte) (*Facts, error) {
	p, err := readKnown(doc)
	if err != nil {
		return nil, err
	}
	f := factsOf(p, doc)
	n := p.form.layout.names()
	switch {
	case f.SellerNIP == "":
		return nil, errs.Invalid(n.seller, "the seller's NIP is missing")
	case f.IssueDate == "":
		return nil, errs.Invalid(n.date, "the issue date is missing")
	}
	return f, nil
}

// readKnown reads a document that must be well-formed and of a known
// form, for the readers that apply no rules (ReadFacts, Metadata).
func readKnown(doc []byte) (*parsed, error) {
	var probs problems
	p := read(doc, &probs)
	if !p.wellFormed {
		return nil, probs.err()
	}
	if p.form == nil {
		return nil, errs.Invalid("invoice.formCode", "the root element {%s}%s is not a KSeF invoice document", p.rootNS, p.root)
	}
	return p, nil
}

// xmlSpace is XML's S, trimmed from values whose XSD type collapses
// whitespace (dates, codes, amounts).
const xmlSpace = " \t\r\n"

// checkForm compares the document's root and KodFormularza with the
// session's form code.
func checkForm(p *parsed, session *form, probs *problems) {
	if p.form == nil {
		probs.add("invoice.formCode", "the root element {%s}%s is not a %s document (expected {%s}%s)", p.rootNS, p.root, session.code.SystemCode, session.namespace, session.root)
		return
	}
	if p.form != session {
		probs.add("invoice.formCode", "the document's root namespace %[2]s is that of %[1]s, but the session's form code is %[3]s", p.form.code.SystemCode, p.rootNS, session.code.SystemCode)
	}
	if p.form.layout == layoutUBL {
		return // UBL documents carry no KodFormularza
	}
	want := p.form.code
	switch {
	case !p.kodSeen:
		probs.add("invoice.formCode", "Naglowek/KodFormularza is missing")
	default:
		if p.kodSystem != want.SystemCode {
			probs.add("invoice.formCode", "KodFormularza kodSystemowy is %q; the %s namespace requires %q", p.kodSystem, want.SystemCode, want.SystemCode)
		}
		if p.kodVersion != want.SchemaVersion {
			probs.add("invoice.formCode", "KodFormularza wersjaSchemy is %q; %s requires %q", p.kodVersion, want.SystemCode, want.SchemaVersion)
		}
		if p.kodText != want.Value {
			probs.add("invoice.formCode", "KodFormularza is %q; %s requires %q", p.kodText, want.SystemCode, want.Value)
		}
	}
}

// checkContent runs the rules on the values: seller NIP, issue date,
// invoice number, the other NIPs.
func checkContent(p *parsed, f *Facts, now time.Time, probs *problems) {
	n := p.form.layout.names()
	if p.form.layout == layoutUBL {
		if f.SellerNIP == "" {
			probs.add(n.seller, "the supplier has no Polish NIP (AccountingSupplierParty/Party/PartyLegalEntity/CompanyID, PL and 10 digits)")
		} else {
			checkNIP(probs, n.seller, f.SellerNIP)
		}
	} else if !p.sellerNIPSeen {
		probs.add(n.seller, "the seller's NIP is missing")
	} else {
		checkNIP(probs, n.seller, p.sellerNIP)
	}

	if !p.issueSeen {
		probs.add(n.date, "the issue date is missing")
	} else if _, err := time.Parse(time.DateOnly, f.IssueDate); err != nil {
		probs.add(n.date, "the issue date %q is not a date (YYYY-MM-DD)", p.issueDate)
	} else {
		if now.IsZero() {
			now = time.Now()
		}
		if today := DateInPoland(now); f.IssueDate > today {
			probs.add(n.date, "the issue date %s is after today's date in Poland (%s); KSeF rejects invoices issued in the future", f.IssueDate, today)
		}
	}

	if strings.Trim(p.number, xmlSpace) == "" {
		probs.add(n.number, "the invoice number is missing")
	}

	if p.buyer.hasNIP {
		checkNIP(probs, "invoice.Podmiot2.NIP", p.buyer.nip)
	}
	for _, t := range p.third {
		if t.hasNIP {
			checkNIP(probs, "invoice.Podmiot3.NIP", t.nip)
		}
		if t.hasIDWew {
			if err := ids.ValidateInternalID(t.idWew); err != nil {
				probs.add("invoice.Podmiot3.IDWew", "%s", err)
			}
		}
	}
	if a := p.authorized; a != nil && a.hasNIP {
		checkNIP(probs, "invoice.PodmiotUpowazniony.NIP", a.nip)
	}
}

func checkNIP(probs *problems, field, nip string) {
	if err := ids.ValidateNIP(nip); err != nil {
		probs.add(field, "%s", err)
	}
}

// sellerNIP is the seller's NIP as KSeF numbers the invoice under it. For
// UBL documents it is the supplier's legal-entity CompanyID (the official
// SDKs write "PL" and the NIP there), else its VAT identifier if Polish,
// else an EndpointID in scheme 9945 (the Peppol code for Polish NIPs).
func sellerNIP(p *parsed) string {
	if p.form.layout != layoutUBL {
		return p.sellerNIP
	}
	for _, id := range []string{p.sellerNIP, p.sellerTaxID} {
		if nip, ok := polishNIP(id); ok {
			return nip
		}
	}
	if strings.Trim(p.sellerEndpointScheme, xmlSpace) == "9945" {
		if nip, ok := polishNIP(p.sellerEndpoint); ok {
			return nip
		}
	}
	return ""
}

// polishNIP reads "PL1234567890" or "1234567890" (10 digits; the checksum
// is the rules' business).
func polishNIP(s string) (string, bool) {
	s = strings.Trim(s, xmlSpace)
	s = strings.TrimPrefix(s, "PL")
	if len(s) != 10 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return s, true
}

// err is the error of a non-empty list: input.invalid naming the first
// problem's field, every problem as a "field: message" finding.
func (p problems) err() error {
	first := p[0]
	e := errs.Invalid(first.field, "%s", first.msg)
	if len(p) > 1 {
		e.Message += " (and " + plural(len(p)-1, "more problem") + ")"
	}
	e.Findings = make([]string, len(p))
	for i, x := range p {
		e.Findings[i] = x.field + ": " + x.msg
	}
	return e
}

func plural(n int, what string) string {
	s := strconv.Itoa(n) + " " + what
	if n != 1 {
		s += "s"
	}
	return s
}
