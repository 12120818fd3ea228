package ids

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The hand-written matchers must accept exactly what the OpenAPI patterns
// accept — with Go's regexp semantics, since these are the patterns ids.go
// compiled before the matchers replaced them — and return the same NIP group.
// Importing regexp here costs the wasm module nothing: tests are not linked in.

// pattern pairs a regexp with the matcher that replaced it.
type pattern struct {
	name string
	re   *regexp.Regexp
	// match also returns the first submatch, the NIP, when group is set:
	// the callers of those patterns use it.
	match func(string) (string, bool)
	group bool
}

func boolPattern(name, re string, f func(string) bool) pattern {
	return pattern{name, regexp.MustCompile(re), func(s string) (string, bool) { return "", f(s) }, false}
}

func groupPattern(name, re string, f func(string) (string, bool)) pattern {
	return pattern{name, regexp.MustCompile(re), f, true}
}

var (
	nipPat = boolPattern("NIP", `^[1-9]((\d[1-9])|([1-9]\d))\d{7}$`, matchNIP)

	peselPat = boolPattern("PESEL", `^\d{2}(?:0[1-9]|1[0-2]|2[1-9]|3[0-2]|4[1-9]|5[0-2]|6[1-9]|7[0-2]|8[1-9]|9[0-2])\d{7}$`, matchPESEL)

	internalIDPat = groupPattern("InternalId", `^([1-9]((\d[1-9])|([1-9]\d))\d{7})-\d{5}$`, matchInternalID)

	nipVatUePat = groupPattern("NipVatUe", `^([1-9]((\d[1-9])|([1-9]\d))\d{7})-(ATU\d{8}|BE[01]{1}\d{9}|BG\d{9,10}|CY\d{8}[A-Z]|CZ\d{8,10}|DE\d{9}|DK\d{8}|EE\d{9}|EL\d{9}|ES([A-Z]\d{8}|\d{8}[A-Z]|[A-Z]\d{7}[A-Z])|FI\d{8}|FR[A-Z0-9]{2}\d{9}|HR\d{11}|HU\d{8}|IE(\d{7}[A-Z]{2}|\d[A-Z0-9+*]\d{5}[A-Z])|IT\d{11}|LT(\d{9}|\d{12})|LU\d{8}|LV\d{11}|MT\d{8}|NL[A-Z0-9+*]{12}|PT\d{9}|RO\d{2,10}|SE\d{12}|SI\d{8}|SK\d{10}|XI((\d{9}|\d{12})|(GD|HA)\d{3}))$`, matchNipVatUe)

	peppolPat = boolPattern("PeppolId", `^P[A-Z]{2}[0-9]{6}$`, matchPeppolID)

	ksefNumberPat = groupPattern("KSeF number", `^([1-9](\d[1-9]|[1-9]\d)\d{7})-(20[2-9][0-9]|2[1-9]\d{2}|[3-9]\d{3})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})$`, matchKSeFNumber)

	allPatterns = []pattern{nipPat, peselPat, internalIDPat, nipVatUePat, peppolPat, ksefNumberPat}
)

// check reports a disagreement between p's regexp and its matcher on s.
func (p pattern) check(t testing.TB, s string) {
	m := p.re.FindStringSubmatch(s)
	group, ok := p.match(s)
	switch {
	case ok != (m != nil):
		t.Errorf("%s %q: matcher says %v, regexp says %v", p.name, s, ok, m != nil)
	case ok && p.group && group != m[1]:
		t.Errorf("%s %q: matcher group %q, regexp group %q", p.name, s, group, m[1])
	}
}

// checkAll holds every matcher to its regexp on s: a string built for one
// pattern is an edge case for the others too.
func checkAll(t testing.TB, s string) {
	for _, p := range allPatterns {
		p.check(t, s)
	}
}

// validExamples match their pattern; every shape of every NipVatUe country
// has one, so that mutating them reaches each branch.
var validExamples = map[*pattern][]string{
	&nipPat:        {"5265877635", "1010000000", "1100000000", "9999999999", "1234567890"},
	&peselPat:      {"44051401359", "02070803628", "00210100000", "99923199999", "00810000000", "00320000000"},
	&internalIDPat: {"5265877635-12345", "1010000000-00000"},
	&nipVatUePat: {
		"5265877635-ATU12345678", "5265877635-BE0123456789", "5265877635-BE1123456789",
		"5265877635-BG123456789", "5265877635-BG1234567890", "5265877635-CY12345678Z",
		"5265877635-CZ12345678", "5265877635-CZ123456789", "5265877635-CZ1234567890",
		"5265877635-DE123456789", "5265877635-DK12345678", "5265877635-EE123456789",
		"5265877635-EL123456789", "5265877635-ESA12345678", "5265877635-ES12345678Z",
		"5265877635-ESA1234567Z", "5265877635-FI12345678", "5265877635-FRA1123456789",
		"5265877635-FR12123456789", "5265877635-FRZZ123456789", "5265877635-HR12345678901",
		"5265877635-HU12345678", "5265877635-IE1234567AB", "5265877635-IE1+12345A",
		"5265877635-IE1*12345A", "5265877635-IE1Z12345A", "5265877635-IE1912345A",
		"5265877635-IT12345678901", "5265877635-LT123456789", "5265877635-LT123456789012",
		"5265877635-LU12345678", "5265877635-LV12345678901", "5265877635-MT12345678",
		"5265877635-NL123456789B01", "5265877635-NL+*AZ09+*AZ09", "5265877635-PT123456789",
		"5265877635-RO12", "5265877635-RO12345", "5265877635-RO1234567890",
		"5265877635-SE123456789012", "5265877635-SI12345678", "5265877635-SK1234567890",
		"5265877635-XI123456789", "5265877635-XI123456789012", "5265877635-XIGD123",
		"5265877635-XIHA123",
	},
	&peppolPat: {"PPL123456", "PAZ000000", "PZA999999"},
	&ksefNumberPat: {
		"5265877635-20250826-0100001AF629-AF", "5265877635-20250626-010080DD2B5E-26",
		"5265877635-20250826-010000-1AF629-AF", "5265877635-20200101-000000000000-00",
		"5265877635-99991231-FFFFFFFFFFFF-FF", "5265877635-30000131-ABCDEF-012345-9F",
		"5265877635-21000229-000000000000-00",
	},
}

// edgeCases are the boundaries of each pattern, valid or not.
var edgeCases = []string{
	"", "-", "\n", "0", "٣",
	// NIP: first digit, the pair in positions 2–3, lengths ±1, non-ASCII digits.
	"0265877635", "1000000000", "1001000000", "1010000000", "1100000000", "9009999999",
	"526587763", "52658776355", "5265877635\n", "\n5265877635", "5265877635\r", " 5265877635",
	"52658776٣5", "٣265877635", "５265877635", "52658a7635", "5265877635\x00", "\xff265877635",
	// PESEL: month field boundaries.
	"44001401359", "44011401359", "44121401359", "44131401359", "44201401359", "44211401359",
	"44321401359", "44331401359", "44901401359", "44921401359", "44931401359", "4405140135",
	"440514013590", "44051401359\n", "4405140135٣",
	// InternalId.
	"5265877635-1234", "5265877635-123456", "5265877635-12345\n", "5265877635_12345",
	"0265877635-12345", "1000000000-12345", "5265877635-1234٣", "5265877635--12345",
	// NipVatUe: lengths around each shape, lower case, unknown and look-alike prefixes.
	"5265877635-", "5265877635-D", "5265877635-DE", "5265877635-DE12345678",
	"5265877635-DE1234567890", "5265877635-de123456789", "5265877635-De123456789",
	"5265877635-DE123456789\n", "5265877635-XX123456789", "5265877635-PL1234567890",
	"5265877635-GR123456789", "5265877635-AT12345678", "5265877635-ATU1234567",
	"5265877635-ATU123456789", "5265877635-BE2123456789", "5265877635-BE012345678",
	"5265877635-BG12345678", "5265877635-BG12345678901", "5265877635-CY123456789",
	"5265877635-CY12345678z", "5265877635-CZ1234567", "5265877635-CZ12345678901",
	"5265877635-ES123456789", "5265877635-ESAB1234567", "5265877635-ESA12345678Z",
	"5265877635-ESA123456Z", "5265877635-FR+A123456789", "5265877635-FRa1123456789",
	"5265877635-IE1234567A", "5265877635-IE1234567ABC", "5265877635-IE1-12345A",
	"5265877635-IE++12345A", "5265877635-LT1234567890", "5265877635-LT12345678901",
	"5265877635-LT1234567890123", "5265877635-NL123456789B0", "5265877635-NL123456789B012",
	"5265877635-NL123456789b01", "5265877635-NL123456789-01", "5265877635-RO", "5265877635-RO1",
	"5265877635-RO12345678901", "5265877635-RO12345٣", "5265877635-XIGD12", "5265877635-XIGD1234",
	"5265877635-XIGA123", "5265877635-XIHD123", "5265877635-XIgd123", "5265877635-XI12345678",
	"5265877635-XI1234567890", "5265877635-XI1234567890123", "0265877635-DE123456789",
	"1000000000-DE123456789", "5265877635DE123456789", "5265877635-ĄT12345678",
	// PeppolId.
	"ppl123456", "PPL12345", "PPL1234567", "QPL123456", "PP1123456", "PPLL12345",
	"PPL123456\n", "PĄL123456", "PPL12345٣",
	// KSeF numbers: years, months, days, the optional dash, hex case, lengths.
	"5265877635-20190826-0100001AF629-AF", "5265877635-20200826-0100001AF629-AF",
	"5265877635-20990826-0100001AF629-AF", "5265877635-21000826-0100001AF629-AF",
	"5265877635-29990826-0100001AF629-AF", "5265877635-30000826-0100001AF629-AF",
	"5265877635-99990826-0100001AF629-AF", "5265877635-19990826-0100001AF629-AF",
	"5265877635-02020826-0100001AF629-AF", "5265877635-20250026-0100001AF629-AF",
	"5265877635-20251326-0100001AF629-AF", "5265877635-20251226-0100001AF629-AF",
	"5265877635-20250800-0100001AF629-AF", "5265877635-20250832-0100001AF629-AF",
	"5265877635-20250831-0100001AF629-AF", "5265877635-20250830-0100001AF629-AF",
	"5265877635-20250810-0100001AF629-AF", "5265877635-20250820-0100001AF629-AF",
	"5265877635-20250826-0100001af629-AF", "5265877635-20250826-0100001AF629-af",
	"5265877635-20250826-0100001AG629-AF", "5265877635-20250826-010000-1AF629-AF",
	"5265877635-20250826-010000--1AF629-AF", "5265877635-20250826-0100001-AF629-AF",
	"5265877635-20250826-01000-01AF629-AF", "5265877635-20250826-0100001AF629AF",
	"5265877635-20250826-0100001AF629-AF\n", "5265877635-20250826-0100001AF629-A",
	"5265877635-20250826-0100001AF629-AF0", "5265877635-20250826-0100001AF62-AF",
	"5265877635-20250826-0100001AF6290-AF", "5265877635-2025082-0100001AF629-AF",
	"5265877635-202508260-100001AF629-AF", "5265877635-2025082٣-0100001AF629-AF",
	"5265877635-20250826-0100001AF629", "0265877635-20250826-0100001AF629-AF",
	"5265877635-20250826-01000٣1AF629-AF", "5265877635-20250826-0100001AF629-٣F",
	"5265877635-2025-08-26-0100001AF629-AF", "5265877635-20250826_0100001AF629-AF",
}

func TestMatchersAgreeWithPatterns(t *testing.T) {
	for p, examples := range validExamples {
		for _, s := range examples {
			if !p.re.MatchString(s) {
				t.Fatalf("example %q does not match the %s pattern", s, p.name)
			}
			checkAll(t, s)
		}
	}
	for _, s := range edgeCases {
		checkAll(t, s)
	}
}

// mutationAlphabet has a member of every class the patterns use, their
// neighbours in ASCII, line breaks, and non-ASCII and invalid UTF-8 bytes.
var mutationAlphabet = []string{
	"0", "1", "2", "3", "9", "A", "B", "F", "G", "U", "Z", "@", "[", "a", "f", "z", "/", ":",
	"+", "*", "-", "_", " ", "\n", "\r", "\x00", "\x7f", "\xff", "\xc3", "٣", "Ą", "０",
}

// mutations returns every string one edit away from s: each byte replaced
// by or preceded by each member of the alphabet, deleted, or swapped with
// the next, and s with a member appended.
func mutations(s string) []string {
	var out []string
	for i := 0; i <= len(s); i++ {
		for _, c := range mutationAlphabet {
			out = append(out, s[:i]+c+s[i:])
			if i < len(s) {
				out = append(out, s[:i]+c+s[i+1:])
			}
		}
		if i < len(s) {
			out = append(out, s[:i]+s[i+1:])
		}
		if i+1 < len(s) {
			out = append(out, s[:i]+s[i+1:i+2]+s[i:i+1]+s[i+2:])
		}
	}
	return out
}

// randomEdit deletes, replaces or inserts one character of s at random.
func randomEdit(rng *rand.Rand, s string) string {
	i := rng.IntN(len(s) + 1)
	c := mutationAlphabet[rng.IntN(len(mutationAlphabet))]
	switch {
	case i < len(s) && rng.IntN(3) == 0:
		return s[:i] + s[i+1:]
	case i < len(s) && rng.IntN(2) == 0:
		return s[:i] + c + s[i+1:]
	default:
		return s[:i] + c + s[i:]
	}
}

func TestMatchersAgreeOnMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for p, examples := range validExamples {
		for _, s := range examples {
			for _, m := range mutations(s) {
				checkAll(t, m)
			}
			// And a hundred random double and triple edits.
			for range 100 {
				m := s
				for range 2 + rng.IntN(2) {
					m = randomEdit(rng, m)
				}
				p.check(t, m)
			}
		}
	}
}

// TestMatchersAgreeExhaustively walks every value of the fields whose
// ranges the patterns spell out digit by digit.
func TestMatchersAgreeExhaustively(t *testing.T) {
	for i := range 1000 {
		checkAll(t, fmt.Sprintf("%03d5877635", i))                          // NIP positions 1–3
		checkAll(t, fmt.Sprintf("%03d5877635-12345", i))                    // … inside InternalId
		checkAll(t, fmt.Sprintf("%03d5877635-20250826-0100001AF629-AF", i)) // … inside a KSeF number
	}
	for i := range 100 {
		checkAll(t, fmt.Sprintf("44%02d1401359", i))                              // PESEL month
		checkAll(t, fmt.Sprintf("5265877635-2025%02d26-0100001AF629-AF", i))      // month
		checkAll(t, fmt.Sprintf("5265877635-202508%02d-0100001AF629-AF", i))      // day
		checkAll(t, fmt.Sprintf("5265877635-2025%02d%02d-0100001AF629-AF", i, i)) // both
	}
	for y := range 10000 {
		ksefNumberPat.check(t, fmt.Sprintf("5265877635-%04d0826-0100001AF629-AF", y))
	}
	// Every upper-case two-letter prefix, known or not, with tails of every
	// length up to 15 in each character mix the shapes use.
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			for n := range 16 {
				d := strings.Repeat("7", n)
				for _, tail := range []string{d, "U" + d, "A" + d, d + "Z", d + "AB", "Z" + d + "Z",
					"GD" + d, "HA" + d, "1+" + d, "1*" + d + "Q", strings.Repeat("K", n), strings.Repeat("+", n)} {
					nipVatUePat.check(t, "5265877635-"+string(a)+string(b)+tail)
				}
			}
		}
	}
}

// TestMatchersAgreeOnRandomStrings draws strings from the characters the
// patterns care about, glued onto valid-looking prefixes.
func TestMatchersAgreeOnRandomStrings(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	prefixes := []string{"", "5265877635", "5265877635-", "1000000000-", "P", "5265877635-2025"}
	const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+*-\na"
	for range 50000 {
		var b strings.Builder
		b.WriteString(prefixes[rng.IntN(len(prefixes))])
		for range rng.IntN(26) {
			b.WriteByte(chars[rng.IntN(len(chars))])
		}
		checkAll(t, b.String())
	}
}

func fuzzAgainst(f *testing.F, p pattern) {
	for _, examples := range validExamples {
		for _, s := range examples {
			f.Add(s)
		}
	}
	for _, s := range edgeCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { p.check(t, s) })
}

func FuzzNIPAgainstRegexp(f *testing.F)        { fuzzAgainst(f, nipPat) }
func FuzzPESELAgainstRegexp(f *testing.F)      { fuzzAgainst(f, peselPat) }
func FuzzInternalIDAgainstRegexp(f *testing.F) { fuzzAgainst(f, internalIDPat) }
func FuzzNipVatUeAgainstRegexp(f *testing.F)   { fuzzAgainst(f, nipVatUePat) }
func FuzzPeppolIDAgainstRegexp(f *testing.F)   { fuzzAgainst(f, peppolPat) }
func FuzzKSeFNumberAgainstRegexp(f *testing.F) { fuzzAgainst(f, ksefNumberPat) }
