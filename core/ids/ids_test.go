package ids

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateNIP(t *testing.T) {
	for _, tc := range []struct {
		nip string
		ok  bool
	}{
		{"5265877635", true},
		{"1111111111", true},
		{"5265877636", false}, // checksum
		{"526587763", false},  // too short
		{"52658776355", false},
		{"0265877635", false}, // leading zero
		{"52658a7635", false},
		{"", false},
		{"1010000000", false}, // pattern forbids 0 in positions 2-3 pairs like "01"/"00"
	} {
		err := ValidateNIP(tc.nip)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateNIP(%q) = %v, want ok=%v", tc.nip, err, tc.ok)
		}
		var ie *Error
		if err != nil && !errors.As(err, &ie) {
			t.Errorf("ValidateNIP(%q) error is not *ids.Error", tc.nip)
		}
	}
}

func TestRandomIdentifiersAreValid(t *testing.T) {
	for i := 0; i < 200; i++ {
		if n := RandomNIP(); ValidateNIP(n) != nil {
			t.Fatalf("RandomNIP produced invalid %s", n)
		}
		if p := RandomPESEL(); ValidatePESEL(p) != nil {
			t.Fatalf("RandomPESEL produced invalid %s: %v", p, ValidatePESEL(p))
		}
	}
}

func TestValidatePESEL(t *testing.T) {
	for _, tc := range []struct {
		pesel string
		ok    bool
	}{
		{"44051401359", true},
		{"02070803628", true},
		{"44051401358", false}, // checksum
		{"44131401359", false}, // month 13
		{"4405140135", false},
	} {
		if err := ValidatePESEL(tc.pesel); (err == nil) != tc.ok {
			t.Errorf("ValidatePESEL(%q) = %v, want ok=%v", tc.pesel, err, tc.ok)
		}
	}
}

func TestContextIdentifiers(t *testing.T) {
	for _, tc := range []struct {
		c  ContextIdentifier
		ok bool
	}{
		{ContextIdentifier{ContextNip, "5265877635"}, true},
		{ContextIdentifier{ContextNip, "5265877630"}, false},
		{ContextIdentifier{ContextInternalID, "5265877635-12345"}, true},
		{ContextIdentifier{ContextInternalID, "5265877636-12345"}, false},
		{ContextIdentifier{ContextInternalID, "5265877635-1234"}, false},
		{ContextIdentifier{ContextNipVatUe, "5265877635-DE123456789"}, true},
		{ContextIdentifier{ContextNipVatUe, "5265877635-DE12345678"}, false},
		{ContextIdentifier{ContextNipVatUe, "5265877635-XX123456789"}, false},
		{ContextIdentifier{ContextNipVatUe, "5265877635-ATU12345678"}, true},
		{ContextIdentifier{ContextPeppolID, "PPL123456"}, true},
		{ContextIdentifier{ContextPeppolID, "ppl123456"}, false},
		{ContextIdentifier{ContextPeppolID, "PPL12345"}, false},
		{ContextIdentifier{"Regon", "123"}, false},
		{ContextIdentifier{"", "5265877635"}, false},
	} {
		if err := tc.c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%v.Validate() = %v, want ok=%v", tc.c, err, tc.ok)
		}
	}
}

func TestParseContextType(t *testing.T) {
	if ct, err := ParseContextType("nip"); err != nil || ct != ContextNip {
		t.Fatalf("ParseContextType(nip) = %v, %v", ct, err)
	}
	for in, want := range map[string]ContextType{"internal_id": ContextInternalID, "nip_vat_ue": ContextNipVatUe, "peppol_id": ContextPeppolID, "InternalId": ContextInternalID} {
		if ct, err := ParseContextType(in); err != nil || ct != want {
			t.Errorf("ParseContextType(%s) = %v, %v", in, ct, err)
		}
	}
	if _, err := ParseContextType("vat"); err == nil {
		t.Fatal("ParseContextType(vat) accepted")
	}
}

func TestKSeFNumber(t *testing.T) {
	// The two official examples (protocol.md §15).
	for _, n := range []string{"5265877635-20250826-0100001AF629-AF", "5265877635-20250626-010080DD2B5E-26"} {
		if err := ValidateKSeFNumber(n); err != nil {
			t.Errorf("ValidateKSeFNumber(%s) = %v", n, err)
		}
	}
	if ValidateKSeFNumber("5265877635-20250826-0100001AF629-AE") == nil {
		t.Error("wrong checksum accepted")
	}
	if ValidateKSeFNumber("5265877635-20250826-0100001AF629") == nil {
		t.Error("truncated number accepted")
	}
}

// The echo rule (core/errs): a value that fails validation is described,
// never quoted — a KSeF token pasted where the NIP goes must not end up in
// a log line through the error.
func TestErrorsNeverEchoTheValue(t *testing.T) {
	const token = "20251010-EC-2B1A9C3D4E-5F6A7B8C9D-AB|nip-5265877635|0123456789abcdef0123456789abcdef"
	for name, err := range map[string]error{
		"NIP":        ValidateNIP(token),
		"PESEL":      ValidatePESEL(token),
		"InternalId": ValidateInternalID(token),
		"NipVatUe":   ValidateNipVatUe(token),
		"PeppolId":   ValidatePeppolID(token),
		"KSeF":       ValidateKSeFNumber(token),
		"context":    ContextIdentifier{Type: ContextNip, Value: token}.Validate(),
		"type":       ContextIdentifier{Type: ContextType(token), Value: "5265877635"}.Validate(),
		"checksum":   ValidateNIP("5265877636"),
	} {
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		msg := err.Error()
		if strings.Contains(msg, "0123456789abcdef") || strings.Contains(msg, "20251010") || strings.Contains(msg, "5265877636") {
			t.Errorf("%s: the value is echoed: %s", name, msg)
		}
		if !strings.Contains(msg, "characters") {
			t.Errorf("%s: the shape is missing: %s", name, msg)
		}
	}
}
