// Package upo reads KSeF's official receipt, the UPO (Urzędowe Poświadczenie
// Odbioru, schema upo-v4-3.xsd), into a typed value, and verifies the
// XAdES signature the Ministry of Finance puts on it.
//
// Parse is strict about what a receipt proves — the session, the context,
// and per document the KSeF number, invoice number, dates, hash and mode
// must be there and well-formed — and tolerant of the rest: an environment
// suffix on the receiving entity's name ("… - środowisko testowe (TE)"),
// whitespace the schema collapses, elements a newer schema adds, and the
// ds:Signature the schema does not declare.
package upo

import (
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
)

// Namespace is the namespace of UPO v4-3, KSeF's default since 2025-12-22.
const Namespace = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"

// MaxSize bounds what Parse reads: a session UPO page lists at most 10 000
// documents (~600 bytes each) plus the signature.
const MaxSize = 16 << 20

// UPO is one receipt (one page of a session's receipt, or an invoice's).
type UPO struct {
	// ReceivingEntity is NazwaPodmiotuPrzyjmujacego as written,
	// "Ministerstwo Finansów", on TEST and DEMO with a suffix.
	ReceivingEntity string `json:"receivingEntity"`
	// Environment is "TE" (TEST) or "TR" (DEMO) when the name carries that
	// suffix, "" otherwise (production).
	Environment            string                `json:"environment,omitempty"`
	SessionReferenceNumber string                `json:"sessionReferenceNumber"`
	Context                ids.ContextIdentifier `json:"contextIdentifier"`
	Authentication         Authentication        `json:"authentication"`
	// Page is OpisPotwierdzenia, present when a session's receipt is paged.
	Page *Page `json:"page,omitempty"`
	// LogicalStructure is NazwaStrukturyLogicznej ("Schemat_FA(3)_v1-0E.xsd").
	LogicalStructure string `json:"logicalStructure"`
	// FormCode is KodFormularza, the system code ("FA (3)").
	FormCode string `json:"formCode"`
	// SchemaVersion is the optional wersjaSchemy attribute.
	SchemaVersion string     `json:"schemaVersion,omitempty"`
	Documents     []Document `json:"documents"`
}

// Authentication says how the session was authenticated: with a KSeF
// token (its reference number) or a signed document (its hash).
type Authentication struct {
	KSeFTokenReference string `json:"ksefTokenReference,omitempty"`
	DocumentHash       string `json:"documentHash,omitempty"`
}

// Page is OpisPotwierdzenia: which page of how many, and which documents.
type Page struct {
	Number         int `json:"number"`
	Count          int `json:"count"`
	FirstDocument  int `json:"firstDocument"`
	LastDocument   int `json:"lastDocument"`
	TotalDocuments int `json:"totalDocuments"`
}

// Document is one Dokument: an invoice KSeF accepted.
type Document struct {
	SellerNIP     string    `json:"sellerNip"`
	KSeFNumber    string    `json:"ksefNumber"`
	InvoiceNumber string    `json:"invoiceNumber"`
	IssueDate     string    `json:"issueDate"`  // DataWystawieniaFaktury, YYYY-MM-DD
	SentAt        time.Time `json:"sentAt"`     // DataPrzeslaniaDokumentu
	NumberedAt    time.Time `json:"numberedAt"` // DataNadaniaNumeruKSeF
	Hash          string    `json:"hash"`       // SkrotDokumentu: Base64 SHA-256 of the invoice
	Mode          string    `json:"mode"`       // TrybWysylki: Online or Offline
}

// contextTypes maps the IdKontekstu choice to the context types of ids.
var contextTypes = [...]struct {
	element string
	typ     ids.ContextType
}{
	{"Nip", ids.ContextNip},
	{"IdWewnetrzny", ids.ContextInternalID},
	{"IdZlozonyVatUE", ids.ContextNipVatUe},
	{"IdDostawcyUslugPeppol", ids.ContextPeppolID},
}

// Parse reads a UPO v4-3 document. Errors are input.invalid naming the
// element at fault ("upo.Dokument[2].NumerKSeFDokumentu").
func Parse(doc []byte) (*UPO, error) {
	root, err := parseXML(doc)
	if err != nil {
		return nil, err
	}
	p := &parser{}
	u := &UPO{
		ReceivingEntity:        p.text(root, "NazwaPodmiotuPrzyjmujacego", "upo"),
		SessionReferenceNumber: p.text(root, "NumerReferencyjnySesji", "upo"),
		LogicalStructure:       p.text(root, "NazwaStrukturyLogicznej", "upo"),
		FormCode:               p.text(root, "KodFormularza", "upo"),
	}
	if v := root.SelectAttr("wersjaSchemy"); v != nil {
		u.SchemaVersion = v.Value
	}
	u.Environment = environment(u.ReceivingEntity)
	if p.err == nil && !isReferenceNumber(u.SessionReferenceNumber) {
		p.fail("upo.NumerReferencyjnySesji", "%q is not a KSeF reference number", u.SessionReferenceNumber)
	}
	auth := child(root, "Uwierzytelnienie")
	if auth == nil {
		p.fail("upo.Uwierzytelnienie", "missing")
	} else {
		u.Context = p.context(auth)
		u.Authentication = p.authentication(auth)
	}
	if op := child(root, "OpisPotwierdzenia"); op != nil {
		u.Page = p.page(op)
	}
	for i, d := range children(root, "Dokument") {
		u.Documents = append(u.Documents, p.document(d, fmt.Sprintf("upo.Dokument[%d]", i+1)))
	}
	if p.err == nil && len(u.Documents) == 0 {
		p.fail("upo.Dokument", "the receipt lists no document")
	}
	if p.err != nil {
		return nil, p.err
	}
	return u, nil
}

// parseXML reads the document with etree (already linked for XAdES),
// bounded, UTF-8 only, without a DOCTYPE, and checks the root.
func parseXML(doc []byte) (*etree.Element, error) {
	if len(doc) == 0 {
		return nil, errs.Invalid("upo", "the UPO is empty")
	}
	if len(doc) > MaxSize {
		return nil, errs.Invalid("upo", "the UPO has %d bytes; more than %d are not read", len(doc), MaxSize)
	}
	d := etree.NewDocument()
	d.ReadSettings.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") {
			return r, nil
		}
		return nil, fmt.Errorf("encoding %q is not UTF-8", charset)
	}
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, errs.Invalid("upo", "not well-formed XML: %v", err)
	}
	for _, t := range d.Child {
		if _, ok := t.(*etree.Directive); ok {
			return nil, errs.Invalid("upo", "a DOCTYPE is not allowed")
		}
	}
	root := d.Root()
	if root == nil || root.Tag != "Potwierdzenie" || root.NamespaceURI() != Namespace {
		name := ""
		if root != nil {
			name = "{" + root.NamespaceURI() + "}" + root.Tag
		}
		return nil, errs.Invalid("upo", "the root element %s is not {%s}Potwierdzenie (UPO v4-3)", name, Namespace)
	}
	return root, nil
}

// environment reads the "(TE)" / "(TR)" suffix of the receiving entity.
func environment(name string) string {
	for _, env := range []string{"TE", "TR"} {
		if strings.HasSuffix(name, "("+env+")") {
			return env
		}
	}
	return ""
}

// parser collects the first error with the element path it concerns.
type parser struct{ err error }

func (p *parser) fail(field, format string, args ...any) {
	if p.err == nil {
		p.err = errs.Invalid(field, field+": "+format, args...)
	}
}

// text is the collapsed text of the required child name of el.
func (p *parser) text(el *etree.Element, name, path string) string {
	c := child(el, name)
	if c == nil {
		p.fail(path+"."+name, "missing")
		return ""
	}
	s := strings.Join(strings.Fields(c.Text()), " ")
	if s == "" {
		p.fail(path+"."+name, "empty")
	}
	return s
}

func (p *parser) context(auth *etree.Element) ids.ContextIdentifier {
	ctx := child(auth, "IdKontekstu")
	if ctx == nil {
		p.fail("upo.Uwierzytelnienie.IdKontekstu", "missing")
		return ids.ContextIdentifier{}
	}
	for _, t := range contextTypes {
		if child(ctx, t.element) != nil {
			c := ids.ContextIdentifier{Type: t.typ, Value: p.text(ctx, t.element, "upo.Uwierzytelnienie.IdKontekstu")}
			if err := c.Validate(); err != nil && p.err == nil {
				p.fail("upo.Uwierzytelnienie.IdKontekstu."+t.element, "%s", err)
			}
			return c
		}
	}
	p.fail("upo.Uwierzytelnienie.IdKontekstu", "none of Nip, IdWewnetrzny, IdZlozonyVatUE, IdDostawcyUslugPeppol")
	return ids.ContextIdentifier{}
}

func (p *parser) authentication(auth *etree.Element) Authentication {
	const path = "upo.Uwierzytelnienie"
	switch {
	case child(auth, "NumerReferencyjnyTokenaKSeF") != nil:
		ref := p.text(auth, "NumerReferencyjnyTokenaKSeF", path)
		if p.err == nil && !isReferenceNumber(ref) {
			p.fail(path+".NumerReferencyjnyTokenaKSeF", "%q is not a KSeF reference number", ref)
		}
		return Authentication{KSeFTokenReference: ref}
	case child(auth, "SkrotDokumentuUwierzytelniajacego") != nil:
		h := p.hash(auth, "SkrotDokumentuUwierzytelniajacego", path)
		return Authentication{DocumentHash: h}
	}
	p.fail(path, "neither NumerReferencyjnyTokenaKSeF nor SkrotDokumentuUwierzytelniajacego")
	return Authentication{}
}

func (p *parser) page(op *etree.Element) *Page {
	n := func(name string) int {
		s := p.text(op, name, "upo.OpisPotwierdzenia")
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			p.fail("upo.OpisPotwierdzenia."+name, "%q is not a positive integer", s)
		}
		return v
	}
	return &Page{Number: n("Strona"), Count: n("LiczbaStron"), FirstDocument: n("ZakresDokumentowOd"),
		LastDocument: n("ZakresDokumentowDo"), TotalDocuments: n("CalkowitaLiczbaDokumentow")}
}

func (p *parser) document(d *etree.Element, path string) Document {
	doc := Document{
		SellerNIP:     p.text(d, "NipSprzedawcy", path),
		KSeFNumber:    p.text(d, "NumerKSeFDokumentu", path),
		InvoiceNumber: p.text(d, "NumerFaktury", path),
		IssueDate:     p.text(d, "DataWystawieniaFaktury", path),
		SentAt:        p.dateTime(d, "DataPrzeslaniaDokumentu", path),
		NumberedAt:    p.dateTime(d, "DataNadaniaNumeruKSeF", path),
		Hash:          p.hash(d, "SkrotDokumentu", path),
		Mode:          p.text(d, "TrybWysylki", path),
	}
	if p.err != nil {
		return doc
	}
	if err := ids.ValidateNIP(doc.SellerNIP); err != nil {
		p.fail(path+".NipSprzedawcy", "%s", err)
	}
	if err := ids.ValidateKSeFNumber(doc.KSeFNumber); err != nil {
		p.fail(path+".NumerKSeFDokumentu", "%s", err)
	}
	if _, err := time.Parse(time.DateOnly, doc.IssueDate); err != nil {
		p.fail(path+".DataWystawieniaFaktury", "%q is not a date (YYYY-MM-DD)", doc.IssueDate)
	}
	if doc.Mode != "Online" && doc.Mode != "Offline" {
		p.fail(path+".TrybWysylki", "%q is neither Online nor Offline", doc.Mode)
	}
	return doc
}

// dateTime reads an xsd:dateTime; KSeF writes an offset, which is kept.
func (p *parser) dateTime(el *etree.Element, name, path string) time.Time {
	s := p.text(el, name, path)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		p.fail(path+"."+name, "%q is not a date-time with an offset", s)
	}
	return t
}

// hash reads a Base64 SHA-256 digest (44 characters).
func (p *parser) hash(el *etree.Element, name, path string) string {
	s := strings.Join(strings.Fields(p.text(el, name, path)), "")
	if s == "" {
		return ""
	}
	if b, err := base64.StdEncoding.DecodeString(s); err != nil || len(b) != 32 {
		p.fail(path+"."+name, "%q is not a Base64 SHA-256 digest", s)
	}
	return s
}

// isReferenceNumber is the shape of KSeF reference numbers (TNumerReferencyjny):
// YYYYMMDD-XX-XXXXXXXXXX-XXXXXXXXXX-XX, 36 characters, upper-case hex
// groups, a two-character kind.
func isReferenceNumber(s string) bool {
	if len(s) != 36 || s[8] != '-' || s[11] != '-' || s[22] != '-' || s[33] != '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 11 || i == 22 || i == 33:
		case i < 8:
			if c < '0' || c > '9' {
				return false
			}
		case i < 11:
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// child is the first child element {Namespace}name of el.
func child(el *etree.Element, name string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == name && c.NamespaceURI() == Namespace {
			return c
		}
	}
	return nil
}

func children(el *etree.Element, name string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == name && c.NamespaceURI() == Namespace {
			out = append(out, c)
		}
	}
	return out
}
