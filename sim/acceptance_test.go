package sim

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// Every rule of core/invoice.Check, applied by the simulator to invoices
// sent into online sessions, ends as the status KSeF reports — 430 for the
// file, 450 for its meaning (statusOfField) — with the findings, which
// name the field, as the details. The file is verified before its
// meaning: a document broken both ways is a 430.
func TestInvoiceRules(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1})
	nip, access := accessFor(t, s, c)
	now := time.Now()
	good := invoiceFA3(t, nip, "C/1", now)
	prolog := regexp.MustCompile(`encoding="UTF-8"`)
	if !prolog.Match(good) {
		t.Fatal("the fa3 sample's prolog changed; the encoding case tests nothing")
	}
	bad := badNIP(nip)
	buyer := ids.RandomNIP()
	withBuyer := sample(t, "fa3", samples.Fill{SellerNIP: nip, BuyerNIP: buyer, Number: "C/4"})
	future := invoice.DateInPoland(now.AddDate(0, 0, 3))
	noSupplierNIP := strings.NewReplacer("PL"+nip, "GB123456789", `schemeID="9945"`, `schemeID="0088"`).Replace(string(pefInvoice(nip, "PEF/2", invoice.DateInPoland(now), false)))

	for _, tc := range []struct {
		name   string
		form   invoice.FormCode
		doc    []byte
		status int
		field  string // of the first detail
	}{
		{"BOM", invoice.FA3, append([]byte("\xef\xbb\xbf"), good...), 430, "invoice.bom"},
		{"prolog encoding", invoice.FA3, prolog.ReplaceAll(good, []byte(`encoding="ISO-8859-2"`)), 430, "invoice.encoding"},
		{"not UTF-8", invoice.FA3, bytes.Replace(good, []byte("<P_2>"), []byte("<P_2>\xff"), 1), 430, "invoice.encoding"},
		{"processing instruction", invoice.FA3, bytes.Replace(good, []byte("<Faktura"), []byte(`<?xml-stylesheet href="a"?><Faktura`), 1), 430, "invoice.processingInstruction"},
		{"discouraged code point", invoice.FA3, bytes.Replace(good, []byte("<P_2>"), []byte("<P_2>\u0086"), 1), 430, "invoice.characters"},
		{"not well-formed", invoice.FA3, good[:len(good)-20], 430, "invoice.xml"},
		{"DOCTYPE", invoice.FA3, bytes.Replace(good, []byte("<Faktura"), []byte("<!DOCTYPE Faktura><Faktura"), 1), 430, "invoice.doctype"},
		{"KodFormularza", invoice.FA3, bytes.Replace(good, []byte(`kodSystemowy="FA (3)"`), []byte(`kodSystemowy="FA (2)"`), 1), 430, "invoice.formCode"},
		{"namespace", invoice.FA2, good, 430, "invoice.formCode"},
		{"size", invoice.FA3, bytes.Replace(good, []byte("</Faktura>"), []byte("<!--"+strings.Repeat("x", invoice.MaxSize)+"--></Faktura>"), 1), 430, "invoice.size"},
		{"no number", invoice.FA3, regexp.MustCompile(`<P_2>[^<]*</P_2>`).ReplaceAll(invoiceFA3(t, nip, "C/2", now), []byte("<P_2> </P_2>")), 430, "invoice.P_2"},
		{"P_1 in the future", invoice.FA3, invoiceFA3(t, nip, "C/3", now.AddDate(0, 0, 3)), 450, "invoice.P_1"},
		{"seller NIP checksum", invoice.FA3, bytes.ReplaceAll(invoiceFA3(t, nip, "C/5", now), []byte(nip), []byte(bad)), 450, "invoice.Podmiot1.NIP"},
		{"buyer NIP checksum", invoice.FA3, bytes.ReplaceAll(withBuyer, []byte(buyer), []byte(badNIP(buyer))), 450, "invoice.Podmiot2.NIP"},
		{"file before meaning: BOM and P_1", invoice.FA3, append([]byte("\xef\xbb\xbf"), invoiceFA3(t, nip, "C/6", now.AddDate(0, 0, 3))...), 430, "invoice.bom"},
		{"file before meaning: XSD and NIP", invoice.FA3, bytes.Replace(bytes.ReplaceAll(invoiceFA3(t, nip, "C/7", now), []byte(nip), []byte(bad)), []byte("<P_2>"), []byte("<Nieznany/><P_2>"), 1), 430, "line "},
		{"FA_RR P_4B in the future", invoice.FARR1, sample(t, "fa-rr1", samples.Fill{SellerNIP: nip, IssueDate: future}), 450, "invoice.P_4B"},
		{"PEF IssueDate in the future", invoice.PEF3, pefInvoice(nip, "PEF/1", future, false), 450, "invoice.IssueDate"},
		{"PEF supplier without a Polish NIP", invoice.PEF3, []byte(noSupplierNIP), 450, "invoice.AccountingSupplierParty.CompanyID"},
		// What UBL does not bound but KSeF's metadata does.
		{"PEF number over 256 characters", invoice.PEF3, pefInvoice(nip, strings.Repeat("N", 257), invoice.DateInPoland(now), false), 430, "InvoiceMetadata/invoiceNumber"},
		{"PEF without a currency", invoice.PEF3, bytes.Replace(pefInvoice(nip, "PEF/4", invoice.DateInPoland(now), false), []byte("<cbc:DocumentCurrencyCode>PLN</cbc:DocumentCurrencyCode>"), nil, 1), 430, "InvoiceMetadata/currency"},
		{"PEF_KOR in a PEF session", invoice.PEF3, pefInvoice(nip, "PEF/3", invoice.DateInPoland(now), true), 430, "invoice.formCode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sess := c.open(access, openOpts{form: tc.form})
			st := sess.invoice(sess.send(tc.doc))
			prefix := tc.field + ": "
			if tc.field == "line " {
				prefix = tc.field // libxml2's findings: "line N: message"
			}
			if st.Status.Code != tc.status || len(st.Status.Details) == 0 || !strings.HasPrefix(st.Status.Details[0], prefix) || st.KSeFNumber != "" {
				t.Fatalf("status %+v, want %d with %s…", st.Status, tc.status, prefix)
			}
		})
	}
	if n := s.InvoiceCount(); n != 0 {
		t.Fatalf("%d invoices stored", n)
	}

	// The API refuses an empty invoice (invoiceSize ≥ 1) before any rule;
	// the rule itself is there for what gets past it.
	sess := c.open(access, openOpts{})
	wantException(t, sess.trySend(nil, nil), codeValidation)
	s.ResetSpecViolations()
	if st, _ := s.verifyInvoice(nil, formSpecs[invoice.FA3], now); st.Code != 430 || !strings.HasPrefix(st.Details[0], "invoice: ") {
		t.Fatalf("empty: %+v", st)
	}
	// The good document was good.
	if st := sess.invoice(sess.send(good)); st.Status.Code != 200 {
		t.Fatalf("the unbroken document: %+v", st.Status)
	}
}

// badNIP is nip with its check digit changed.
func badNIP(nip string) string {
	return nip[:9] + string(rune('0'+(nip[9]-'0'+1)%10))
}

// formSpecs must cover every form code core/invoice knows, or a session
// of a new one would open and find no schema.
func TestFormSpecsCoverFormCodes(t *testing.T) {
	for _, c := range invoice.FormCodes() {
		f, ok := formSpecs[c]
		if !ok || f.code != c || f.upoName == "" {
			t.Errorf("%s: %+v", formCodeText(c), f)
		}
	}
	if len(formSpecs) != len(invoice.FormCodes()) {
		t.Errorf("%d form specs for %d form codes", len(formSpecs), len(invoice.FormCodes()))
	}
}
