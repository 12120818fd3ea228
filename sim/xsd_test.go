package sim

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
)

// fillTemplate substitutes the placeholders of the official SDK templates
// (shared/spec/SOURCES.md): the seller NIP, a unique number, today's date.
func fillTemplate(t *testing.T, path, nip, number string, day time.Time) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer("#nip#", nip, "#invoice_number#", number, "#invoicing_date#", day.Format("2006-01-02"),
		"#buyer_nip#", ids.RandomNIP(), "#nipOdbiorca#", ids.RandomNIP())
	return []byte(r.Replace(string(b)))
}

func TestXSDValidation(t *testing.T) {
	t.Parallel()
	const samples = "testdata/"
	for name, schema := range map[string]string{
		"invoice-template-fa-3.xml":    schemaFA3,
		"invoice-template-fa-2.xml":    schemaFA2,
		"invoice-template-fa-rr-1.xml": schemaFARR1,
	} {
		doc := fillTemplate(t, samples+name, ids.RandomNIP(), "FV/1/2026", time.Now())
		if errs, err := validateXSD(schema, doc); err != nil || errs != nil {
			t.Errorf("%s: %v %v", name, err, errs)
		}
	}
	doc := fillTemplate(t, samples+"invoice-template-fa-3.xml", ids.RandomNIP(), "FV/1/2026", time.Now())
	bad := strings.Replace(string(doc), "<P_2>", "<P_2x>x</P_2x><P_2>", 1)
	errs, err := validateXSD(schemaFA3, []byte(bad))
	if err != nil || len(errs) == 0 || !strings.Contains(errs[0], "P_2x") || !strings.HasPrefix(errs[0], "line ") {
		t.Fatalf("%v %q", err, errs)
	}
	if _, err := validateXSD(schemaFA3, []byte("<a>")); err != nil {
		t.Fatal(err)
	}
}
