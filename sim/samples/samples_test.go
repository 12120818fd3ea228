package samples

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/invoice"
)

var fixed = Fill{SellerNIP: "5265877635", BuyerNIP: "7352765225", RecipientNIP: "6666666666", Number: "T/1&2", IssueDate: "2026-11-30"}

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// schemas maps a form code to its XSD in sim/xsd.
var schemas = map[invoice.FormCode]string{
	invoice.FA2:   "FA/schemat_FA(2)_v1-0E.xsd",
	invoice.FA3:   "FA/schemat_FA(3)_v1-0E.xsd",
	invoice.FARR1: "RR/schemat_FA_RR(1)_v1-1E.xsd",
}

// xsdValidate runs libxml2 on the documents (one xmllint per schema), the
// absolute StrukturyDanych URL mapped to sim/xsd/FA/bazowe by the catalog.
func xsdValidate(t *testing.T, form invoice.FormCode, docs map[string][]byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not installed (make deps installs libxml2-utils)")
	}
	xsd, err := filepath.Abs(filepath.Join("..", "xsd"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	args := []string{"--noout", "--nonet", "--schema", filepath.Join(xsd, schemas[form])}
	for name, doc := range docs {
		p := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(p, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	cmd := exec.Command("xmllint", args...)
	cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+filepath.Join(xsd, "catalog.xml"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("XSD validation (%s): %v\n%s", form, err, out)
	}
}

func TestEverySampleIsValid(t *testing.T) {
	byForm := map[invoice.FormCode]map[string][]byte{}
	for _, name := range Names() {
		doc, err := Invoice(name, fixed)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p := placeholder(doc); p != "" {
			t.Errorf("%s: placeholder %s left", name, p)
		}
		form, _ := FormCode(name)
		f, err := invoice.Check(doc, invoice.CheckOptions{FormCode: form, Now: now})
		if err != nil {
			t.Fatalf("%s: %v\n%v", name, err, errs.As(err).Findings)
		}
		if f.SellerNIP != fixed.SellerNIP || f.IssueDate != fixed.IssueDate || !strings.Contains(f.InvoiceNumber, fixed.Number) || f.FormCode != form {
			t.Errorf("%s: facts %+v", name, f)
		}
		m, err := invoice.Metadata(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name != "fa3-subject3" && (m.Buyer.Identifier != invoice.Identifier{Type: "Nip", Value: fixed.BuyerNIP}) {
			t.Errorf("%s: buyer %+v", name, m.Buyer)
		}
		if byForm[form] == nil {
			byForm[form] = map[string][]byte{}
		}
		byForm[form][name] = doc
	}
	if byForm[invoice.FA3]["fa3-attachment"] == nil {
		t.Fatal("no attachment sample")
	}
	for form, docs := range byForm {
		xsdValidate(t, form, docs)
	}
}

// placeholder finds a "#name#" left in doc.
func placeholder(doc []byte) string {
	for i := 0; i < len(doc); i++ {
		if doc[i] != '#' {
			continue
		}
		j := i + 1
		for j < len(doc) && (doc[j] == '_' || doc[j] >= 'a' && doc[j] <= 'z' || doc[j] >= 'A' && doc[j] <= 'Z' || doc[j] >= '0' && doc[j] <= '9') {
			j++
		}
		if j < len(doc) && j > i+1 && doc[j] == '#' {
			return string(doc[i : j+1])
		}
	}
	return ""
}

func TestSampleDetails(t *testing.T) {
	m := func(name string) *invoice.Meta {
		doc, err := Invoice(name, fixed)
		if err != nil {
			t.Fatal(err)
		}
		meta, err := invoice.Metadata(doc)
		if err != nil {
			t.Fatal(err)
		}
		return meta
	}
	if !m("fa3-attachment").HasAttachment {
		t.Error("fa3-attachment has no attachment")
	}
	if !m("fa3-self-invoicing").IsSelfInvoicing {
		t.Error("fa3-self-invoicing is not self-invoicing")
	}
	if ts := m("fa3-subject3").ThirdSubjects; len(ts) != 1 || ts[0].Identifier.Value != fixed.RecipientNIP {
		t.Errorf("fa3-subject3 third subjects %+v", ts)
	}
	if got := m("fa-rr1").InvoiceType; got != "VatRr" {
		t.Errorf("fa-rr1 type %s", got)
	}
}

func TestFillDefaults(t *testing.T) {
	a, err := Invoice("fa3", Fill{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Invoice("fa3", Fill{})
	fa, err := invoice.Check(a, invoice.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := invoice.Check(b, invoice.CheckOptions{})
	if fa.InvoiceNumber == fb.InvoiceNumber || fa.SellerNIP == fb.SellerNIP {
		t.Errorf("defaults repeat: %+v %+v", fa, fb)
	}
	if fa.IssueDate != invoice.DateInPoland(time.Now()) {
		t.Errorf("issue date %s", fa.IssueDate)
	}
}

func TestFillRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		f    Fill
		want string
	}{
		{"nope", Fill{}, "name"},
		{"fa3", Fill{SellerNIP: "1234567890"}, "sellerNip"},
		{"fa3", Fill{BuyerNIP: "1"}, "buyerNip"},
		{"fa3", Fill{IssueDate: "30.11.2026"}, "issueDate"},
		{"fa3", Fill{Number: strings.Repeat("x", 201)}, "number"},
	} {
		if _, err := Invoice(c.name, c.f); errs.As(err).Field != c.want {
			t.Errorf("%s %+v: %v", c.name, c.f, err)
		}
	}
}

func TestGenerator(t *testing.T) {
	const n, size = 200, 10_000
	docs, err := Generate(n, size, Fill{SellerNIP: fixed.SellerNIP, IssueDate: fixed.IssueDate})
	if err != nil {
		t.Fatal(err)
	}
	numbers := map[string]bool{}
	for i, doc := range docs {
		if len(doc) > size || len(doc) < size-300 {
			t.Fatalf("invoice %d has %d bytes, want about %d", i, len(doc), size)
		}
		f, err := invoice.Check(doc, invoice.CheckOptions{Now: now})
		if err != nil {
			t.Fatalf("invoice %d: %v", i, err)
		}
		if numbers[f.InvoiceNumber] {
			t.Fatalf("number %s twice", f.InvoiceNumber)
		}
		numbers[f.InvoiceNumber] = true
	}
	m, err := invoice.Metadata(docs[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := m.NetAmount + m.VatAmount; got-m.GrossAmount > 0.001 || m.GrossAmount-got > 0.001 || m.NetAmount < 1000 {
		t.Errorf("totals %v + %v != %v", m.NetAmount, m.VatAmount, m.GrossAmount)
	}
	big, err := Generate(1, 999_000, Fill{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := invoice.Check(big[0], invoice.CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	g, _ := NewGenerator(Fill{Number: "GEN"}, 0)
	if got := g.Number(7); got != "FA/GRQMB-GEN-7/05/2025" {
		t.Errorf("number %q", got)
	}
	xsdValidate(t, invoice.FA3, map[string][]byte{"first": docs[0], "last": docs[n-1], "1MB": big[0]})
}

func BenchmarkGenerator10KB(b *testing.B) {
	g, err := NewGenerator(Fill{}, 10_000)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		g.Invoice(i)
	}
}
