package ids

import (
	"errors"
	"testing"
)

// FuzzValidate: every identifier check takes any string (they all come
// from callers or from KSeF's answers) and either accepts it or returns an
// *ids.Error naming the kind; an accepted identifier stays accepted as part
// of the composite forms that embed it. Seeds: testdata/fuzz/FuzzValidate
// (valid and nearly valid identifiers of every kind).
func FuzzValidate(f *testing.F) {
	f.Add("5265877635")
	checks := map[string]func(string) error{
		"NIP": ValidateNIP, "PESEL": ValidatePESEL, "InternalId": ValidateInternalID, "NipVatUe": ValidateNipVatUe,
		"PeppolId": ValidatePeppolID, "KSeF number": ValidateKSeFNumber,
	}
	f.Fuzz(func(t *testing.T, s string) {
		for kind, check := range checks {
			err := check(s)
			if err == nil {
				continue
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != kind || e.Reason == "" || e.Error() == "" {
				t.Fatalf("%s(%q): %v (%T)", kind, s, err, err)
			}
		}
		if ValidateNIP(s) == nil {
			if err := ValidateInternalID(s + "-12345"); err != nil {
				t.Fatalf("valid NIP %q rejected inside an internal id: %v", s, err)
			}
			if len(KSeFNumberChecksum(s)) != 2 {
				t.Fatal("checksum is not two hex digits")
			}
		}
		for _, ct := range ContextTypes {
			_ = ContextIdentifier{Type: ct, Value: s}.Validate()
		}
		if ct, err := ParseContextType(s); err == nil && (ContextIdentifier{Type: ct, Value: "x"}).Validate() == nil {
			t.Fatalf("context type %q accepted value x", ct)
		}
		_ = ContextIdentifier{Type: ContextType(s), Value: s}.Validate()
	})
}
