package ops

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/sim/samples"
)

func TestInvoiceOps(t *testing.T) {
	doc, err := samples.Invoice("fa3", samples.Fill{SellerNIP: "5265877635", IssueDate: "2026-05-20"})
	if err != nil {
		t.Fatal(err)
	}
	xml := base64.StdEncoding.EncodeToString(doc)
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	e := call(t, nil, "invoices.kod1", js(map[string]any{"xml": xml, "qrBase": "http://127.0.0.1:1234/"}))
	if !e.OK || !strings.Contains(string(e.Result), `"url":"http://127.0.0.1:1234/invoice/5265877635/20-05-2026/`) {
		t.Fatalf("%+v %s", e.Error, e.Result)
	}
	for _, c := range []struct {
		op    string
		in    map[string]any
		field string
	}{
		{"invoices.kod1", map[string]any{"xml": xml, "qrBase": "https://x", "environment": "test"}, "qrBase"},
		{"invoices.kod1", map[string]any{"xml": xml, "environment": "mars"}, "environment"},
		{"invoices.check", map[string]any{"xml": xml, "formCode": "FA (9)"}, "formCode"},
		{"invoices.check", map[string]any{"xml": xml, "now": "yesterday"}, "now"},
		{"invoices.check", map[string]any{}, "xml"},
		{"upo.verify", map[string]any{"xml": xml, "trustedCertificates": []string{"!"}}, "trustedCertificates[0]"},
		{"upo.verify", map[string]any{"xml": xml, "trustedCertificates": []string{base64.StdEncoding.EncodeToString([]byte("junk"))}}, "trustedCertificates[0]"},
		{"upo.parse", map[string]any{"xml": xml}, "upo"},
	} {
		e := call(t, nil, c.op, js(c.in))
		if e.OK || e.Error.Field != c.field {
			t.Errorf("%s %v: %+v", c.op, c.in, e.Error)
		}
	}
}
