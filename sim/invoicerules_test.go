package sim

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
)

// The stand-in for core/invoice.Check names the same fields.
func TestCheckInvoiceRules(t *testing.T) {
	t.Parallel()
	now := time.Now()
	nip := ids.RandomNIP()
	good := invoiceFA3(t, nip, "C/1", now)
	fa3Spec, _ := lookupForm(fa3)
	if f, broken := checkInvoice(good, fa3Spec, now); broken != nil || f.SellerNIP != nip || f.InvoiceType != "VAT" || !strings.Contains(f.InvoiceNumber, "C/1") {
		t.Fatalf("good: %+v %v", f, broken)
	}
	badNIP := nip[:9] + string(rune('0'+(nip[9]-'0'+1)%10))
	for field, doc := range map[string][]byte{
		"invoice":                       nil,
		"invoice.bom":                   append([]byte("\xef\xbb\xbf"), good...),
		"invoice.encoding":              bytes.Replace(good, []byte(`encoding="UTF-8"`), []byte(`encoding="ISO-8859-2"`), 1),
		"invoice.processingInstruction": bytes.Replace(good, []byte("<Faktura"), []byte("<?xml-stylesheet href=\"a\"?><Faktura"), 1),
		"invoice.characters":            bytes.Replace(good, []byte("<P_2>"), []byte("<P_2>\x01"), 1),
		"invoice.xml":                   good[:len(good)-20],
		"invoice.formCode":              bytes.Replace(good, []byte(`kodSystemowy="FA (3)"`), []byte(`kodSystemowy="FA (2)"`), 1),
		"invoice.P_1":                   invoiceFA3(t, nip, "C/2", now.AddDate(0, 0, 3)),
		"invoice.Podmiot1.NIP":          invoiceFA3(t, badNIP, "C/3", now),
		"invoice.size":                  bytes.Replace(good, []byte("</Faktura>"), []byte("<!--"+strings.Repeat("x", 1_000_000)+"--></Faktura>"), 1),
	} {
		if _, broken := checkInvoice(doc, fa3Spec, now); broken == nil || broken.Field != field || len(broken.Findings) == 0 {
			t.Errorf("%s: got %v", field, broken)
		}
	}
	if !bytes.Contains(good, []byte(`encoding="UTF-8"`)) {
		t.Fatal("the template's prolog changed; the encoding case tests nothing")
	}
}
