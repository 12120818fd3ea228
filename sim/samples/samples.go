// Package samples serves the official KSeF sample invoices — the templates
// the Ministry of Finance's own clients test with — with their placeholders
// filled, so that tests in every language send documents KSeF would accept:
// a seller NIP of the caller's context, a unique number, an issue date of
// today in Poland. Every sample passes invoice.Check and XSD validation
// (samples_test.go holds them to both). Generator makes any number of
// unique FA (3) invoices of a chosen size for batch and load tests.
//
// The templates under templates/ are byte-for-byte copies; README.md says
// where each comes from.
package samples

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"sort"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
)

//go:embed templates
var templates embed.FS

// sample is one template and what it is.
type sample struct {
	name, path string
	form       invoice.FormCode
}

var all = []sample{
	{"fa3", "ksef-client-csharp/invoice-template-fa-3.xml", invoice.FA3},
	{"fa3-attachment", "ksef-client-csharp/invoice-template-fa-3-with-attachment.xml", invoice.FA3},
	{"fa3-subject2", "ksef-client-csharp/invoice-template-fa-3-with-custom-Subject2.xml", invoice.FA3},
	{"fa3-subject3", "ksef-client-csharp/invoice-template-fa-3-with-custom-Subject3.xml", invoice.FA3},
	{"fa2", "ksef-client-csharp/invoice-template-fa-2.xml", invoice.FA2},
	{"fa-rr1", "ksef-client-csharp/invoice-template-fa-rr-1.xml", invoice.FARR1},
	{"fa3-java", "ksef-client-java/invoice-template_v3.xml", invoice.FA3},
	{"fa3-self-invoicing", "ksef-client-java/invoice_template_v3_self_invoicing.xml", invoice.FA3},
	{"fa3-pdf-generator", "ksef-pdf-generator/invoice.xml", invoice.FA3},
}

// Names lists the samples, sorted.
func Names() []string {
	out := make([]string, len(all))
	for i, s := range all {
		out[i] = s.name
	}
	sort.Strings(out)
	return out
}

func lookup(name string) (*sample, error) {
	for i := range all {
		if all[i].name == name {
			return &all[i], nil
		}
	}
	return nil, errs.Invalid("name", "no sample invoice %q; there are %s", name, strings.Join(Names(), ", "))
}

// FormCode is the form code of a sample: the form code of the session it
// must be sent in.
func FormCode(name string) (invoice.FormCode, error) {
	s, err := lookup(name)
	if err != nil {
		return invoice.FormCode{}, err
	}
	return s.form, nil
}

// Template is a sample as published, placeholders and all.
func Template(name string) ([]byte, error) {
	s, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return templates.ReadFile("templates/" + s.path)
}

// Fill is what goes into a sample. Empty fields get defaults.
type Fill struct {
	// SellerNIP is Podmiot1's NIP — the context the invoice is sent in
	// (#nip#, #nip_podmiot1#). Default: a random valid NIP.
	SellerNIP string
	// BuyerNIP is Podmiot2's NIP (#buyer_nip#, #nip_podmiot2#, and the
	// self-invoicing buyer #selfInvocingNip#). Default: a random valid NIP.
	BuyerNIP string
	// RecipientNIP is the NIP of the recipient in Podmiot3 of "fa3-subject3"
	// (#nipOdbiorca#). Default: a random valid NIP.
	RecipientNIP string
	// Number is the invoice number, unique per seller and invoice type
	// (#invoice_number#, which the templates embed in P_2; P_2 or P_4C
	// itself in templates without the placeholder). Default: random.
	Number string
	// IssueDate is P_1 (FA_RR: P_4B), "YYYY-MM-DD"; the delivery date P_6
	// (FA_RR: P_4A) is set to it too. Default: today in Poland.
	IssueDate string
}

// complete fills in the defaults and checks the values.
func (f Fill) complete() (Fill, error) {
	for _, p := range []*string{&f.SellerNIP, &f.BuyerNIP, &f.RecipientNIP} {
		if *p == "" {
			*p = ids.RandomNIP()
		}
	}
	for _, c := range []struct{ field, v string }{{"sellerNip", f.SellerNIP}, {"buyerNip", f.BuyerNIP}, {"recipientNip", f.RecipientNIP}} {
		if err := ids.ValidateNIP(c.v); err != nil {
			return f, errs.Invalid(c.field, "%s", err)
		}
	}
	if f.Number == "" {
		f.Number = randomNumber()
	}
	if len(f.Number) > 200 {
		return f, errs.Invalid("number", "an invoice number of at most 200 characters, please (P_2 holds 256 with the template's own text)")
	}
	if f.IssueDate == "" {
		f.IssueDate = invoice.DateInPoland(time.Now())
	}
	if _, err := time.Parse(time.DateOnly, f.IssueDate); err != nil {
		return f, errs.Invalid("issueDate", "the issue date %q is not YYYY-MM-DD", f.IssueDate)
	}
	return f, nil
}

func randomNumber() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// Invoice is sample name with f filled in.
func Invoice(name string, f Fill) ([]byte, error) {
	s, err := lookup(name)
	if err != nil {
		return nil, err
	}
	if f, err = f.complete(); err != nil {
		return nil, err
	}
	doc, err := templates.ReadFile("templates/" + s.path)
	if err != nil {
		return nil, err
	}
	return fill(doc, s.form, f), nil
}

// fill substitutes the placeholders (SOURCES.md lists them) and sets the
// parties, number and dates of templates that have fixed values there.
func fill(doc []byte, form invoice.FormCode, f Fill) []byte {
	number := escape(f.Number)
	hadNumber := bytes.Contains(doc, []byte("#invoice_number#"))
	doc = []byte(strings.NewReplacer(
		"#nip#", f.SellerNIP, "#nip_podmiot1#", f.SellerNIP,
		"#buyer_nip#", f.BuyerNIP, "#nip_podmiot2#", f.BuyerNIP, "#selfInvocingNip#", f.BuyerNIP,
		"#nipOdbiorca#", f.RecipientNIP,
		"#invoice_number#", number,
		"#invoicing_date#", f.IssueDate,
	).Replace(string(doc)))
	doc = setIn(doc, "Podmiot1", "NIP", f.SellerNIP)
	if bytes.Contains(section(doc, "Podmiot2"), []byte("<NIP>")) {
		doc = setIn(doc, "Podmiot2", "NIP", f.BuyerNIP)
	}
	if form == invoice.FARR1 {
		if !hadNumber {
			doc = setAll(doc, "P_4C", number)
		}
		doc = setAll(doc, "P_4B", f.IssueDate)
		return setAll(doc, "P_4A", f.IssueDate)
	}
	if !hadNumber {
		doc = setAll(doc, "P_2", number)
	}
	doc = setAll(doc, "P_1", f.IssueDate)
	return setAll(doc, "P_6", f.IssueDate)
}

// escape makes a caller's number safe as element text.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// section is the content of the first <name>…</name> (nil if absent).
func section(doc []byte, name string) []byte {
	open, end := []byte("<"+name+">"), []byte("</"+name+">")
	i := bytes.Index(doc, open)
	if i < 0 {
		return nil
	}
	j := bytes.Index(doc[i:], end)
	if j < 0 {
		return nil
	}
	return doc[i+len(open) : i+j]
}

// setIn sets the text of the first <child> inside the first <parent>.
func setIn(doc []byte, parent, child, value string) []byte {
	i := bytes.Index(doc, []byte("<"+parent+">"))
	if i < 0 {
		return doc
	}
	return append(doc[:i:i], setFirst(doc[i:], child, value)...)
}

// setAll sets the text of every <name>…</name> (exactly that name: <P_1>
// is not <P_1M>).
func setAll(doc []byte, name, value string) []byte {
	open, end := "<"+name+">", "</"+name+">"
	var out []byte
	for {
		i := bytes.Index(doc, []byte(open))
		if i < 0 {
			return append(out, doc...)
		}
		j := bytes.Index(doc[i:], []byte(end))
		if j < 0 {
			return append(out, doc...)
		}
		out = append(out, doc[:i+len(open)]...)
		out = append(out, value...)
		out = append(out, end...)
		doc = doc[i+j+len(end):]
	}
}

func setFirst(doc []byte, name, value string) []byte {
	open, end := "<"+name+">", "</"+name+">"
	i := bytes.Index(doc, []byte(open))
	if i < 0 {
		return doc
	}
	j := bytes.Index(doc[i:], []byte(end))
	if j < 0 {
		return doc
	}
	out := append([]byte{}, doc[:i+len(open)]...)
	out = append(out, value...)
	return append(out, doc[i+j:]...)
}
