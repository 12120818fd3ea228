package sim

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/sim/samples"
)

// Every official sample validates against the schema of its form code,
// through libxml2 with StrukturyDanych mapped to the local copy; a
// document with an element the schema does not know does not.
func TestXSDValidation(t *testing.T) {
	t.Parallel()
	for _, name := range samples.Names() {
		form, err := samples.FormCode(name)
		if err != nil {
			t.Fatal(err)
		}
		doc := sample(t, name, samples.Fill{Number: "FV/1/2026"})
		if errs, err := validateXSD(formSpecs[form].schema, doc); err != nil || errs != nil {
			t.Errorf("%s: %v %v", name, err, errs)
		}
	}
	bad := bytes.Replace(sample(t, "fa3", samples.Fill{}), []byte("<P_2>"), []byte("<P_2x>x</P_2x><P_2>"), 1)
	errs, err := validateXSD(schemaFA3, bad)
	if err != nil || len(errs) == 0 || !strings.Contains(errs[0], "P_2x") || !strings.HasPrefix(errs[0], "line ") {
		t.Fatalf("%v %q", err, errs)
	}
	if _, err := validateXSD(schemaFA3, []byte("<a>")); err != nil {
		t.Fatal(err)
	}
}
