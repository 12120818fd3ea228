package sim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ksefkit/ksefkit/core/ids"
)

// The seam to core/invoice: the pre-flight rules and the facts KSeF reads
// from an invoice. The client and the simulator must apply ONE
// implementation of them, core/invoice.Check and core/invoice.Metadata
// (team contract); until that package is on main, this file stands in for
// it with the same rules and field names, and is replaced by calls into
// core/invoice when it lands. Nothing else in the simulator reads invoice
// XML.

// invoiceFacts are what KSeF reads from the document.
type invoiceFacts struct {
	SellerNIP     string
	SellerName    string
	BuyerNIP      string
	BuyerName     string
	IssueDate     string // P_1 (FA), P_4B (FA_RR), cbc:IssueDate (PEF); "YYYY-MM-DD"
	InvoiceNumber string // P_2, P_4C, cbc:ID
	InvoiceType   string // RodzajFaktury; the root element for PEF
	Currency      string
	Gross         string // P_15, P_12_1, or "" when the document does not say
	HasAttachment bool
}

// ruleFailure is a broken pre-flight rule: the field (as core/invoice names
// it) and what was found.
type ruleFailure struct {
	Field    string
	Findings []string
}

// invoiceSizeLimit is KSeF's limit, SI megabytes.
func invoiceSizeLimit(withAttachment bool) int {
	if withAttachment {
		return 3_000_000
	}
	return 1_000_000
}

// checkInvoice applies the pre-flight rules for a session of form f at now
// and returns the facts, or the first broken rule with every finding.
func checkInvoice(doc []byte, f formSpec, now time.Time) (*invoiceFacts, *ruleFailure) {
	fail := func(field string, findings ...string) (*invoiceFacts, *ruleFailure) {
		return nil, &ruleFailure{field, findings}
	}
	switch {
	case len(doc) == 0:
		return fail("invoice", "the document is empty")
	case bytes.HasPrefix(doc, []byte("\xef\xbb\xbf")):
		return fail("invoice.bom", "the document starts with a byte order mark; KSeF wants UTF-8 without BOM")
	case !utf8.Valid(doc):
		return fail("invoice.encoding", "the document is not valid UTF-8")
	}
	if bad := discouraged(doc); bad != "" {
		return fail("invoice.characters", bad)
	}
	facts, root, kod, err := readFacts(doc)
	if err != nil {
		var r *ruleFailure
		if errors.As(err, &r) {
			return nil, r
		}
		return fail("invoice.xml", "not well-formed XML: "+err.Error())
	}
	if root.Space != f.namespace {
		return fail("invoice.formCode", fmt.Sprintf("the document's namespace %q is not that of %s (%q)", root.Space, f.code.SystemCode, f.namespace))
	}
	if f.code.Value != "PEF" && (kod.system != f.code.SystemCode || kod.version != f.code.SchemaVersion || kod.value != f.code.Value) {
		return fail("invoice.formCode", fmt.Sprintf("Naglowek/KodFormularza says kodSystemowy=%q wersjaSchemy=%q %q; the session is %s",
			kod.system, kod.version, kod.value, f.code))
	}
	if limit := invoiceSizeLimit(facts.HasAttachment); len(doc) > limit {
		return fail("invoice.size", fmt.Sprintf("%d bytes; the limit is %d", len(doc), limit))
	}
	if d, err := time.ParseInLocation("2006-01-02", facts.IssueDate, warsaw); err == nil {
		if today := now.In(warsaw).Format("2006-01-02"); facts.IssueDate > today {
			return fail("invoice.P_1", fmt.Sprintf("issue date %s is after today (%s, Europe/Warsaw)", d.Format("2006-01-02"), today))
		}
	}
	if facts.SellerNIP != "" {
		if err := ids.ValidateNIP(facts.SellerNIP); err != nil {
			return fail("invoice.Podmiot1.NIP", err.Error())
		}
	}
	if facts.InvoiceNumber == "" {
		return fail("invoice.P_2", "the document has no invoice number")
	}
	return facts, nil
}

// discouraged finds a code point the W3C discourages in XML (control
// characters other than tab, CR and LF, C1 controls, non-characters).
func discouraged(doc []byte) string {
	for i, r := range string(doc) {
		switch {
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r',
			r >= 0x7f && r <= 0x84, r >= 0x86 && r <= 0x9f,
			r >= 0xfdd0 && r <= 0xfdef, r&0xfffe == 0xfffe:
			return fmt.Sprintf("code point U+%04X at byte %d is not allowed", r, i)
		}
	}
	return ""
}

type kodFormularza struct{ system, version, value string }

// readFacts walks the document once: well-formedness, the prolog and
// processing instructions, KodFormularza and the facts.
func readFacts(doc []byte) (*invoiceFacts, xml.Name, kodFormularza, error) {
	var (
		f     invoiceFacts
		root  xml.Name
		kod   kodFormularza
		path  []string
		text  strings.Builder
		first = true
	)
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		return nil, &ruleFailure{"invoice.encoding", []string{fmt.Sprintf("the prolog declares encoding %q; KSeF accepts UTF-8 only", label)}}
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var r *ruleFailure
			if errors.As(err, &r) {
				return nil, root, kod, r
			}
			return nil, root, kod, err
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target != "xml" || !first {
				return nil, root, kod, &ruleFailure{"invoice.processingInstruction", []string{"processing instruction <?" + t.Target + "?> is not allowed"}}
			}
			if enc := prologEncoding(string(t.Inst)); enc != "" && !strings.EqualFold(enc, "utf-8") {
				return nil, root, kod, &ruleFailure{"invoice.encoding", []string{fmt.Sprintf("the prolog declares encoding %q; KSeF accepts UTF-8 only", enc)}}
			}
		case xml.StartElement:
			if len(path) == 0 {
				root = t.Name
			}
			path = append(path, t.Name.Local)
			text.Reset()
			if p := strings.Join(path, "/"); p == "Faktura/Naglowek/KodFormularza" {
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "kodSystemowy":
						kod.system = a.Value
					case "wersjaSchemy":
						kod.version = a.Value
					}
				}
			} else if p == "Faktura/Zalacznik" {
				f.HasAttachment = true
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			v := strings.TrimSpace(text.String())
			switch strings.Join(path, "/") {
			case "Faktura/Naglowek/KodFormularza":
				kod.value = v
			case "Faktura/Podmiot1/DaneIdentyfikacyjne/NIP":
				f.SellerNIP = v
			case "Faktura/Podmiot1/DaneIdentyfikacyjne/Nazwa":
				f.SellerName = v
			case "Faktura/Podmiot2/DaneIdentyfikacyjne/NIP":
				f.BuyerNIP = v
			case "Faktura/Podmiot2/DaneIdentyfikacyjne/Nazwa":
				f.BuyerName = v
			case "Faktura/Fa/P_1", "Faktura/FakturaRR/P_4B", "Invoice/IssueDate", "CreditNote/IssueDate":
				f.IssueDate = v
			case "Faktura/Fa/P_2", "Faktura/FakturaRR/P_4C", "Invoice/ID", "CreditNote/ID":
				f.InvoiceNumber = v
			case "Faktura/Fa/RodzajFaktury", "Faktura/FakturaRR/RodzajFaktury":
				f.InvoiceType = v
			case "Faktura/Fa/KodWaluty", "Faktura/FakturaRR/KodWaluty", "Invoice/DocumentCurrencyCode", "CreditNote/DocumentCurrencyCode":
				f.Currency = v
			case "Faktura/Fa/P_15", "Faktura/FakturaRR/P_12_1":
				f.Gross = v
			case "Invoice/AccountingSupplierParty/Party/PartyTaxScheme/CompanyID", "CreditNote/AccountingSupplierParty/Party/PartyTaxScheme/CompanyID":
				f.SellerNIP = strings.TrimPrefix(v, "PL")
			}
			text.Reset()
			path = path[:len(path)-1]
		}
		first = false
	}
	if root.Local == "Invoice" || root.Local == "CreditNote" {
		f.InvoiceType = root.Local
	}
	return &f, root, kod, nil
}

func prologEncoding(inst string) string {
	i := strings.Index(inst, "encoding")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(inst[i+len("encoding"):], " \t\r\n=")
	if rest == "" {
		return ""
	}
	q := rest[0]
	if end := strings.IndexByte(rest[1:], q); end >= 0 {
		return rest[1 : 1+end]
	}
	return ""
}

func (r *ruleFailure) Error() string { return r.Field + ": " + strings.Join(r.Findings, "; ") }

// statusOfRule maps a broken rule to the invoice status KSeF reports: the
// semantic rules (issue date, NIP checksum) to 450, everything about the
// file itself to 430.
func statusOfRule(r *ruleFailure) int {
	switch r.Field {
	case "invoice.P_1", "invoice.Podmiot1.NIP":
		return 450
	}
	return 430
}
