package invoice

import (
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
)

func TestFormCodes(t *testing.T) {
	all := FormCodes()
	if len(all) != 5 || all[0] != FA3 {
		t.Fatalf("%v", all)
	}
	namespaces := map[FormCode]string{FA2: NamespaceFA2, FA3: NamespaceFA3, FARR1: NamespaceFARR1, PEF3: NamespaceUBLInvoice, PEFKOR3: NamespaceUBLCredit}
	for f, ns := range namespaces {
		if f.Namespace() != ns {
			t.Errorf("%s: %s", f, f.Namespace())
		}
	}
	if !(FormCode{}).IsZero() || FA3.IsZero() || (FormCode{}).Namespace() != "" {
		t.Error("zero form code")
	}
}

func TestLookupFormCode(t *testing.T) {
	for name, want := range map[string]FormCode{
		"FA (3)": FA3, "FA(3)": FA3, "fa3": FA3, " fa (2) ": FA2, "FA_RR (1)": FARR1, "fa_rr1": FARR1,
		"PEF (3)": PEF3, "pef3": PEF3, "PEF_KOR (3)": PEFKOR3, "pef_kor3": PEFKOR3,
	} {
		got, err := LookupFormCode(name)
		if err != nil || got != want {
			t.Errorf("%q: %v %v", name, got, err)
		}
	}
	for _, name := range []string{"", "FA", "FA (4)", "RR"} {
		if _, err := LookupFormCode(name); errs.As(err).Field != "formCode" {
			t.Errorf("%q: %v", name, err)
		}
	}
}
