package invoice

import (
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
)

// FormCode is KSeF's formCode triple; JSON {"systemCode","schemaVersion","value"}.
type FormCode struct {
	SystemCode    string `json:"systemCode"`    // "FA (3)" — note the space
	SchemaVersion string `json:"schemaVersion"` // "1-0E"
	Value         string `json:"value"`         // "FA"
}

// The form codes KSeF accepts (protocol.md §6). FA3 is the default
// everywhere; FA2 is accepted on TEST only; PEF3 and PEFKOR3 (UBL 2.1 Peppol
// documents) only in online sessions.
var (
	FA2     = FormCode{SystemCode: "FA (2)", SchemaVersion: "1-0E", Value: "FA"}
	FA3     = FormCode{SystemCode: "FA (3)", SchemaVersion: "1-0E", Value: "FA"}
	FARR1   = FormCode{SystemCode: "FA_RR (1)", SchemaVersion: "1-1E", Value: "FA_RR"}
	PEF3    = FormCode{SystemCode: "PEF (3)", SchemaVersion: "2-1", Value: "PEF"}
	PEFKOR3 = FormCode{SystemCode: "PEF_KOR (3)", SchemaVersion: "2-1", Value: "PEF"}
)

// Root namespaces of the documents of each form. FA and FA_RR are the
// targetNamespace of their XSDs; PEF and PEF_KOR are UBL 2.1 Invoice and
// CreditNote documents (Peppol BIS Billing 3.0 with KSeF's rules).
const (
	NamespaceFA2        = "http://crd.gov.pl/wzor/2023/06/29/12648/"
	NamespaceFA3        = "http://crd.gov.pl/wzor/2025/06/25/13775/"
	NamespaceFARR1      = "http://crd.gov.pl/wzor/2026/03/06/14189/"
	NamespaceUBLInvoice = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	NamespaceUBLCredit  = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	namespaceUBLCAC     = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	namespaceUBLCBC     = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
)

// layout is how the facts are laid out in a form's documents.
type layout uint8

const (
	layoutFA  layout = iota + 1 // Faktura/Naglowek, Podmiot1, Fa/P_1, Fa/P_2 …
	layoutRR                    // Faktura/Naglowek, Podmiot1, FakturaRR/P_4B, P_4C …
	layoutUBL                   // Invoice|CreditNote/cbc:ID, cbc:IssueDate, cac:AccountingSupplierParty …
)

// form is everything this package knows about one form code.
type form struct {
	code      FormCode
	namespace string
	root      string // local name of the root element
	layout    layout
	// aliases are the lower-case spellings LookupFormCode accepts besides
	// the system code ("fa3", "fa(3)").
	aliases []string
}

// forms is the table of supported form codes, FA3 first. An array, not a
// map: static data costs the wasm module nothing at start-up.
var forms = [...]form{
	{FA3, NamespaceFA3, "Faktura", layoutFA, []string{"fa3", "fa(3)", "fa (3)"}},
	{FA2, NamespaceFA2, "Faktura", layoutFA, []string{"fa2", "fa(2)", "fa (2)"}},
	{FARR1, NamespaceFARR1, "Faktura", layoutRR, []string{"fa_rr1", "fa_rr(1)", "fa_rr (1)", "farr1", "farr(1)", "fa-rr1"}},
	{PEF3, NamespaceUBLInvoice, "Invoice", layoutUBL, []string{"pef3", "pef(3)", "pef (3)"}},
	{PEFKOR3, NamespaceUBLCredit, "CreditNote", layoutUBL, []string{"pef_kor3", "pef_kor(3)", "pef_kor (3)", "pefkor3", "pef-kor3"}},
}

// FormCodes returns all supported form codes, FA3 first.
func FormCodes() []FormCode {
	out := make([]FormCode, len(forms))
	for i := range forms {
		out[i] = forms[i].code
	}
	return out
}

// LookupFormCode accepts a system code ("FA (3)") and the usual spellings
// without the space or in lower case ("FA(3)", "fa3", "FA_RR(1)", "pef_kor3").
func LookupFormCode(name string) (FormCode, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	for i := range forms {
		f := &forms[i]
		if strings.EqualFold(key, f.code.SystemCode) {
			return f.code, nil
		}
		for _, a := range f.aliases {
			if key == a {
				return f.code, nil
			}
		}
	}
	names := make([]string, len(forms))
	for i := range forms {
		names[i] = forms[i].code.SystemCode
	}
	return FormCode{}, errs.Invalid("formCode", "unknown form code %q; expected one of %s", name, strings.Join(names, ", "))
}

// lookupForm finds the table entry of a form code; zero means FA3.
func lookupForm(f FormCode) (*form, bool) {
	if f.IsZero() {
		return &forms[0], true
	}
	for i := range forms {
		if forms[i].code == f {
			return &forms[i], true
		}
	}
	return nil, false
}

// Namespace is the root XML namespace of documents of that form ("" for a
// form code this package does not know).
func (f FormCode) Namespace() string {
	if x, ok := lookupForm(f); ok && !f.IsZero() {
		return x.namespace
	}
	return ""
}

// IsZero reports whether no field is set.
func (f FormCode) IsZero() bool { return f == FormCode{} }

// String is the system code, e.g. "FA (3)".
func (f FormCode) String() string { return f.SystemCode }
