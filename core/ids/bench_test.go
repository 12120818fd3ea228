package ids

import "testing"

// The validators run on every context identifier a host passes in; these
// figures are printed, never asserted (make bench).

func BenchmarkValidateNIP(b *testing.B) {
	for b.Loop() {
		if ValidateNIP("5265877635") != nil {
			b.Fatal("rejected")
		}
	}
}

func BenchmarkValidatePESEL(b *testing.B) {
	for b.Loop() {
		if ValidatePESEL("44051401359") != nil {
			b.Fatal("rejected")
		}
	}
}

func BenchmarkValidateNipVatUe(b *testing.B) {
	for b.Loop() {
		if ValidateNipVatUe("5265877635-XIGD123") != nil {
			b.Fatal("rejected")
		}
	}
}

func BenchmarkValidateKSeFNumber(b *testing.B) {
	for b.Loop() {
		if ValidateKSeFNumber("5265877635-20250826-0100001AF629-AF") != nil {
			b.Fatal("rejected")
		}
	}
}
