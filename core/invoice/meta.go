package invoice

import (
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
)

// Meta is what KSeF stores about an invoice and computes from its XML: the
// fields of the OpenAPI schema InvoiceMetadata that the document
// determines (the KSeF number, dates of receipt and storage and the
// invoicing mode come from KSeF, not from the document).
type Meta struct {
	InvoiceNumber     string             `json:"invoiceNumber"`
	IssueDate         string             `json:"issueDate"`
	Seller            Seller             `json:"seller"`
	Buyer             Buyer              `json:"buyer"`
	NetAmount         float64            `json:"netAmount"`
	GrossAmount       float64            `json:"grossAmount"`
	VatAmount         float64            `json:"vatAmount"`
	Currency          string             `json:"currency"`
	InvoiceType       string             `json:"invoiceType"` // KSeF's names: Vat, Zal, Kor, Roz, Upr, KorZal, KorRoz, VatRr, KorVatRr, VatPef, KorPef
	FormCode          FormCode           `json:"formCode"`
	IsSelfInvoicing   bool               `json:"isSelfInvoicing"`
	HasAttachment     bool               `json:"hasAttachment"`
	InvoiceHash       string             `json:"invoiceHash"`
	ThirdSubjects     []ThirdSubject     `json:"thirdSubjects,omitempty"`
	AuthorizedSubject *AuthorizedSubject `json:"authorizedSubject,omitempty"`
}

// Seller is InvoiceMetadataSeller.
type Seller struct {
	NIP  string `json:"nip"`
	Name string `json:"name,omitempty"`
}

// Identifier is InvoiceMetadataBuyerIdentifier / …ThirdSubjectIdentifier.
type Identifier struct {
	Type  string `json:"type"` // Nip, VatUe, Other, None (third subjects also InternalId)
	Value string `json:"value,omitempty"`
}

// Buyer is InvoiceMetadataBuyer.
type Buyer struct {
	Identifier Identifier `json:"identifier"`
	Name       string     `json:"name,omitempty"`
}

// ThirdSubject is InvoiceMetadataThirdSubject (a Podmiot3).
type ThirdSubject struct {
	Identifier Identifier `json:"identifier"`
	Name       string     `json:"name,omitempty"`
	Role       int        `json:"role"` // Podmiot3/Rola 1–11, 0 for RolaInna ("other role")
}

// AuthorizedSubject is InvoiceMetadataAuthorizedSubject (PodmiotUpowazniony).
type AuthorizedSubject struct {
	NIP  string `json:"nip"`
	Name string `json:"name,omitempty"`
	Role int    `json:"role"` // RolaPU 1–3
}

// invoiceTypes maps RodzajFaktury to KSeF's InvoiceType names.
var invoiceTypes = [...]struct{ xml, ksef string }{
	{"VAT", "Vat"}, {"KOR", "Kor"}, {"ZAL", "Zal"}, {"ROZ", "Roz"}, {"UPR", "Upr"},
	{"KOR_ZAL", "KorZal"}, {"KOR_ROZ", "KorRoz"}, {"VAT_RR", "VatRr"}, {"KOR_VAT_RR", "KorVatRr"},
}

// Metadata computes KSeF's InvoiceMetadata fields from the XML (parties, amounts, currency, type,
// third subjects, authorised subject, self-invoicing, attachment) — the simulator stores these.
//
// It reads what a schema-valid document holds and applies none of Check's
// rules: run Check (and, in the simulator, XSD validation) first. Amounts
// are summed in exact decimal cents: net is the sum of P_13_1…P_13_11
// (FA_RR: P_11_1; PEF: LegalMonetaryTotal/TaxExclusiveAmount), gross is P_15
// (P_12_1; TaxInclusiveAmount), VAT is the sum of P_14_1…P_14_5 taking the
// PLN amount P_14_xW where the invoice gives one (FA_RR: P_11_2W or P_11_2;
// PEF: the TaxTotal in PLN, else in the document currency), because KSeF
// reports VAT in PLN. For PEF documents the type is VatPef (Invoice) or
// KorPef (CreditNote); KSeF's VatPefSp is not told apart.
func Metadata(doc []byte) (*Meta, error) {
	p, err := readKnown(doc)
	if err != nil {
		return nil, err
	}
	n := p.form.layout.names()
	m := &Meta{
		InvoiceNumber: collapse(p.number),
		IssueDate:     strings.Trim(p.issueDate, xmlSpace),
		Seller:        Seller{NIP: sellerNIP(p), Name: collapse(p.sellerName)},
		Currency:      strings.Trim(p.currency, xmlSpace),
		FormCode:      p.form.code,
		HasAttachment: p.attachment,
		InvoiceHash:   Hash(doc),
	}
	switch {
	case m.Seller.NIP == "":
		return nil, errs.Invalid(n.seller, "the seller's NIP is missing")
	case m.InvoiceNumber == "":
		return nil, errs.Invalid(n.number, "the invoice number is missing")
	case m.IssueDate == "":
		return nil, errs.Invalid(n.date, "the issue date is missing")
	}
	if err := metaType(p, m); err != nil {
		return nil, err
	}
	if err := metaAmounts(p, m); err != nil {
		return nil, err
	}
	if p.form.layout == layoutUBL {
		if m.Seller.Name == "" {
			m.Seller.Name = collapse(p.sellerAltName)
		}
		m.Buyer = ublBuyer(&p.buyer)
		return m, nil
	}
	m.IsSelfInvoicing = strings.Trim(p.selfInvoicing, xmlSpace) == "1"
	m.Buyer = Buyer{Identifier: identifier(&p.buyer), Name: collapse(p.buyer.name)}
	for i := range p.third {
		t := &p.third[i]
		role := 0
		if strings.Trim(t.rolaInna, xmlSpace) != "1" {
			role = atoi(t.rola)
		}
		m.ThirdSubjects = append(m.ThirdSubjects, ThirdSubject{Identifier: identifier(t), Name: collapse(t.name), Role: role})
	}
	if a := p.authorized; a != nil {
		m.AuthorizedSubject = &AuthorizedSubject{NIP: strings.Trim(a.nip, xmlSpace), Name: collapse(a.name), Role: atoi(a.rolaPU)}
	}
	return m, nil
}

func metaType(p *parsed, m *Meta) error {
	if p.form.layout == layoutUBL {
		m.InvoiceType = "VatPef"
		if p.form.root == "CreditNote" {
			m.InvoiceType = "KorPef"
		}
		return nil
	}
	t := strings.Trim(p.invoiceType, xmlSpace)
	for _, x := range invoiceTypes {
		if x.xml == t {
			m.InvoiceType = x.ksef
			return nil
		}
	}
	return errs.Invalid("invoice.RodzajFaktury", "RodzajFaktury %q is not an invoice type KSeF knows", t)
}

func metaAmounts(p *parsed, m *Meta) error {
	var net, vat, gross cents
	for _, s := range p.netParts {
		c, err := parseCents(s)
		if err != nil {
			return errs.Invalid("invoice.net", "a net amount %q: %s", s, err)
		}
		net += c
	}
	switch p.form.layout {
	case layoutUBL:
		t := ublTax(p)
		if t != "" {
			c, err := parseCents(t)
			if err != nil {
				return errs.Invalid("invoice.TaxTotal", "TaxAmount %q: %s", t, err)
			}
			vat = c
		}
	default:
		for i := range p.vat {
			s := p.vatPLN[i]
			if strings.Trim(s, xmlSpace) == "" {
				s = p.vat[i]
			}
			if strings.Trim(s, xmlSpace) == "" {
				continue
			}
			c, err := parseCents(s)
			if err != nil {
				return errs.Invalid("invoice.vat", "a VAT amount %q: %s", s, err)
			}
			vat += c
		}
	}
	if p.grossSeen {
		c, err := parseCents(p.gross)
		if err != nil {
			return errs.Invalid("invoice.gross", "the gross amount %q: %s", p.gross, err)
		}
		gross = c
	}
	m.NetAmount, m.VatAmount, m.GrossAmount = net.float(), vat.float(), gross.float()
	return nil
}

// ublTax picks the TaxTotal/TaxAmount in PLN, else the one in the
// document currency, else the first.
func ublTax(p *parsed) string {
	cur := strings.Trim(p.currency, xmlSpace)
	for _, want := range []string{"PLN", cur} {
		for _, t := range p.vatUBL {
			if strings.Trim(t.currency, xmlSpace) == want {
				return t.amount
			}
		}
	}
	if len(p.vatUBL) > 0 {
		return p.vatUBL[0].amount
	}
	return ""
}

// identifier reads a DaneIdentyfikacyjne choice: NIP | IDWew | KodUE +
// NrVatUE | KodKraju? + NrID | BrakID.
func identifier(v *partyValues) Identifier {
	switch {
	case v.hasNIP:
		return Identifier{Type: "Nip", Value: strings.Trim(v.nip, xmlSpace)}
	case v.hasIDWew:
		return Identifier{Type: "InternalId", Value: strings.Trim(v.idWew, xmlSpace)}
	case v.nrVatUE != "":
		return Identifier{Type: "VatUe", Value: collapse(v.kodUE) + collapse(v.nrVatUE)}
	case v.nrID != "":
		return Identifier{Type: "Other", Value: collapse(v.nrID)}
	}
	return Identifier{Type: "None"}
}

// ublBuyer reads the customer of a PEF document: a Polish NIP ("PL" and
// ten digits, or ten digits), an EU VAT number (two-letter prefix), or any
// other identifier.
func ublBuyer(v *partyValues) Buyer {
	b := Buyer{Name: collapse(v.name)}
	if b.Name == "" {
		b.Name = collapse(v.altName)
	}
	for _, id := range []string{v.ublID, v.taxID} {
		id = collapse(id)
		if id == "" {
			continue
		}
		if nip, ok := polishNIP(id); ok {
			b.Identifier = Identifier{Type: "Nip", Value: nip}
		} else if len(id) > 2 && isASCIILetter(id[0]) && isASCIILetter(id[1]) && id[0] <= 'Z' && id[1] <= 'Z' {
			b.Identifier = Identifier{Type: "VatUe", Value: id}
		} else {
			b.Identifier = Identifier{Type: "Other", Value: id}
		}
		return b
	}
	b.Identifier = Identifier{Type: "None"}
	return b
}

// collapse is XSD's whitespace collapse (xsd:token): runs of space, tab,
// CR, LF become one space, leading and trailing ones go.
func collapse(s string) string {
	if !strings.ContainsAny(s, "\t\r\n") && !strings.Contains(s, "  ") {
		return strings.Trim(s, " ")
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n'
	}), " ")
}

// atoi reads a small non-negative integer code (Rola, RolaPU); anything
// else is 0.
func atoi(s string) int {
	s = strings.Trim(s, xmlSpace)
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' || n > 1000 {
			return 0
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}
