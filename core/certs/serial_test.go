package certs

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The regexps the idPatterns replaced; this test import of regexp does not
// reach the wasm module. The patterns are unanchored and non-greedy, so the
// tests compare the captured prefix and digits, not only whether they match.
var idPatternRegexps = []struct {
	name string
	p    idPattern
	re   *regexp.Regexp
}{
	{"peselInSerial", peselInSerial, regexp.MustCompile(`(PNOPL|PESEL).*?(\d{11})`)},
	{"nipInSerial", nipInSerial, regexp.MustCompile(`(TINPL|NIP).*?(\d{10})`)},
	{"nipInOrgID", nipInOrgID, regexp.MustCompile(`(VATPL).*?(\d{10})`)},
}

// checkIDPattern compares FindStringSubmatch only: MatchString is defined
// from it, as it is for a regexp.
func checkIDPattern(t testing.TB, name string, p idPattern, re *regexp.Regexp, s string) {
	if got, want := p.FindStringSubmatch(s), re.FindStringSubmatch(s); !slices.Equal(got, want) {
		t.Errorf("%s.FindStringSubmatch(%q) = %q, the regexp gives %q", name, s, got, want)
	}
}

func checkIDPatterns(t testing.TB, s string) {
	for _, r := range idPatternRegexps {
		checkIDPattern(t, r.name, r.p, r.re, s)
	}
}

var serialCases = []string{
	"", "\n", "PNOPL", "PESEL", "NIP", "TINPL", "VATPL",
	// Real-world forms and where the digits start.
	"PNOPL-44051401359", "PESEL:44051401359", "PESEL 44051401359", "IDCPL-ABC PNOPL-44051401359",
	"TINPL-5265877635", "NIP-5265877635", "NIP 526-587-76-35", "VATPL-5265877635", "VATPL 5265877635",
	// Too few digits, more digits, runs split and continued.
	"PNOPL-4405140135", "PNOPL-440514013591234", "PESEL-1234567890-12345678901",
	"PESEL 1234 12345678901", "NIP526587763", "NIP52658776351", "NIP-12345-1234567890",
	"PNOPL-4405140135x44051401359", "TINPL-526587763 5265877635",
	// Digits before the prefix, prefixes inside prefixes, repeated prefixes.
	"44051401359PNOPL", "44051401359PNOPL-12345678901", "5265877635NIP", "PNOPLPESEL12345678901",
	"PESELPNOPL12345678901", "TINPLNIP-5265877635", "NIPTINPL5265877635", "TINP-NIP-5265877635",
	"VATPLVATPL-5265877635", "VAT-PL-5265877635", "xxPESEL12345678901", "PNOPL-PESEL-12345678901",
	"PNOPL-12345678901PESEL-98765432109", "TINPL-5265877635 NIP-1234567890",
	// Line breaks: '.' stops at '\n' but not at '\r'.
	"PESEL\n12345678901", "PESEL-123\n45678901234", "PNOPL\nPNOPL12345678901", "PNOPL\r12345678901",
	"NIP\r\n1234567890", "NIP\n1234567890NIP", "\nVATPL-5265877635", "VATPL-5265877635\n",
	"VATPL-52658\n77635", "NIP\n\nNIP1234567890", "PESEL12345678901\nPNOPL98765432109",
	// Case, non-ASCII digits and invalid UTF-8.
	"pnopl-44051401359", "Pesel-44051401359", "nip-5265877635", "PNOPL-4405140135٣",
	"PNOPL-٣4405140135", "PNOPL-٣44051401359", "PNOPL-\xff44051401359", "PNOP\xffL-44051401359",
	"NIP-\xc35265877635", "VATPL-５265877635", "NIP-Ąć5265877635", "\xffNIP\xff5265877635\xff",
}

// serialAlphabet holds the prefixes' letters and their neighbours, digits,
// line breaks and non-ASCII bytes.
var serialAlphabet = []string{
	"0", "5", "9", "/", ":", "P", "N", "I", "L", "E", "S", "T", "V", "A", "O", "p", "-", " ",
	"\n", "\r", "\x00", "\xff", "\xc3", "٣", "Ą",
}

func TestIDPatternsAgreeWithRegexps(t *testing.T) {
	for _, s := range serialCases {
		checkIDPatterns(t, s)
	}
	// Every single-character edit of the cases.
	for _, s := range serialCases {
		for i := 0; i <= len(s); i++ {
			for _, c := range serialAlphabet {
				checkIDPatterns(t, s[:i]+c+s[i:])
				if i < len(s) {
					checkIDPatterns(t, s[:i]+c+s[i+1:])
				}
			}
			if i < len(s) {
				checkIDPatterns(t, s[:i]+s[i+1:])
			}
		}
	}
}

// TestIDPatternsAgreeOnRandomStrings glues together prefixes, digit runs of
// lengths around 10 and 11, and separators.
func TestIDPatternsAgreeOnRandomStrings(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"PNOPL", "PESEL", "TINPL", "NIP", "VATPL", "PNOP", "NI", "VAT", "-", " ", "\n", "\r", "x", "\xff", "٣"}
	for range 30000 {
		var b strings.Builder
		for range rng.IntN(8) {
			if rng.IntN(3) == 0 {
				for range 8 + rng.IntN(5) {
					b.WriteByte(byte('0' + rng.IntN(10)))
				}
			} else {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
		checkIDPatterns(t, b.String())
	}
}

// TestIDPatternsAgreeExhaustively scales the patterns down, to short
// prefixes that overlap or share a start and runs of 2 or 3 digits, and
// tries every string of up to 7 characters over a small alphabet.
func TestIDPatternsAgreeExhaustively(t *testing.T) {
	small := []struct {
		p  idPattern
		re *regexp.Regexp
	}{
		{idPattern{[]string{"AB", "B"}, 2}, regexp.MustCompile(`(AB|B).*?(\d{2})`)},
		{idPattern{[]string{"A", "AB"}, 2}, regexp.MustCompile(`(A|AB).*?(\d{2})`)},
		{idPattern{[]string{"BA"}, 3}, regexp.MustCompile(`(BA).*?(\d{3})`)},
	}
	alphabet := []string{"A", "B", "1", "2", "\n"}
	level := []string{""}
	for n := 0; n <= 7; n++ {
		var next []string
		for _, s := range level {
			for _, sp := range small {
				checkIDPattern(t, sp.re.String(), sp.p, sp.re, s)
			}
			for _, c := range alphabet {
				next = append(next, s+c)
			}
		}
		level = next
	}
}

func fuzzIDPattern(f *testing.F, i int) {
	for _, s := range serialCases {
		f.Add(s)
	}
	r := idPatternRegexps[i]
	f.Fuzz(func(t *testing.T, s string) { checkIDPattern(t, r.name, r.p, r.re, s) })
}

func FuzzPeselInSerialAgainstRegexp(f *testing.F) { fuzzIDPattern(f, 0) }
func FuzzNipInSerialAgainstRegexp(f *testing.F)   { fuzzIDPattern(f, 1) }
func FuzzNipInOrgIDAgainstRegexp(f *testing.F)    { fuzzIDPattern(f, 2) }
