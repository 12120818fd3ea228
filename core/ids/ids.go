// Package ids validates the identifiers KSeF uses — NIP, PESEL, internal
// identifiers, composite NIP-VAT-UE identifiers, Peppol provider ids, KSeF
// numbers — and the context identifier that every authentication names.
//
// Validation happens locally, before any network call: a wrong digit in a NIP
// is a typed input error here rather than an opaque 450 or 21405 from the
// server minutes later.
package ids

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
)

// ContextType is the kind of context an authentication acts in.
type ContextType string

// The context identifier types of AuthenticationContextIdentifierType.
const (
	ContextNip        ContextType = "Nip"
	ContextInternalID ContextType = "InternalId"
	ContextNipVatUe   ContextType = "NipVatUe"
	ContextPeppolID   ContextType = "PeppolId"
)

// ContextTypes lists every context type in the order of the specification.
var ContextTypes = []ContextType{ContextNip, ContextInternalID, ContextNipVatUe, ContextPeppolID}

// ContextIdentifier names the taxpayer (context) an authenticated client acts for.
type ContextIdentifier struct {
	Type  ContextType `json:"type"`
	Value string      `json:"value"`
}

// String renders the identifier as "Type:Value" for logs and messages.
func (c ContextIdentifier) String() string { return string(c.Type) + ":" + c.Value }

// Validate checks the value against the rules of its type.
func (c ContextIdentifier) Validate() error {
	switch c.Type {
	case ContextNip:
		return ValidateNIP(c.Value)
	case ContextInternalID:
		return ValidateInternalID(c.Value)
	case ContextNipVatUe:
		return ValidateNipVatUe(c.Value)
	case ContextPeppolID:
		return ValidatePeppolID(c.Value)
	case "":
		return invalid("context type", "", "missing; expected one of Nip, InternalId, NipVatUe, PeppolId")
	default:
		return invalid("context type", string(c.Type), "unknown; expected one of Nip, InternalId, NipVatUe, PeppolId")
	}
}

// ParseContextType accepts the canonical names and their common lower-case
// spellings ("nip", "internalid", "nipvatue", "peppolid"), also with
// underscores as ksef2's profiles write them ("internal_id", "nip_vat_ue").
func ParseContextType(s string) (ContextType, error) {
	folded := strings.ReplaceAll(s, "_", "")
	for _, t := range ContextTypes {
		if strings.EqualFold(folded, string(t)) {
			return t, nil
		}
	}
	return "", invalid("context type", s, "unknown; expected one of Nip, InternalId, NipVatUe, PeppolId")
}

// Error reports an identifier that failed validation. It does not hold the
// value (core/errs: the echo rule): a value that fails to be a NIP is often
// something else — a KSeF token pasted into the wrong field — so the
// message describes it by its Shape (length and character classes) only.
type Error struct {
	Kind   string // "NIP", "PESEL", "InternalId", …
	Shape  string // errs.Shape of the value: "10 characters: digits"
	Reason string
}

func invalid(kind, value, reason string) *Error {
	return &Error{Kind: kind, Shape: errs.Shape(value), Reason: reason}
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid %s (%s): %s", e.Kind, e.Shape, e.Reason)
}

// The identifier formats below are checked by hand rather than with package
// regexp, which with its Unicode tables costs the wasm module ~0.5 MB. Each
// matcher accepts exactly the strings of the OpenAPI pattern it names;
// patterns_test.go keeps those patterns as regexps and holds the two to the
// same answers.

func isDigit(c byte) bool    { return '0' <= c && c <= '9' }
func isUpper(c byte) bool    { return 'A' <= c && c <= 'Z' }
func isUpperHex(c byte) bool { return isDigit(c) || 'A' <= c && c <= 'F' }

// allDigits reports whether every byte of s is an ASCII digit, as \d means
// in Go; callers check the length.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// matchNIP is ^[1-9]((\d[1-9])|([1-9]\d))\d{7}$: ten digits, the first not 0,
// the second and third not both 0.
func matchNIP(s string) bool {
	return len(s) == 10 && allDigits(s) && s[0] != '0' && (s[1] != '0' || s[2] != '0')
}

// matchPESEL is ^\d{2}(?:0[1-9]|1[0-2]|2[1-9]|3[0-2]|…|9[0-2])\d{7}$. The
// month field is the birth month plus 0, 20, 40, 60 or 80 for the century:
// after an even tens digit 1–9 may follow, after an odd one 0–2.
func matchPESEL(s string) bool {
	if len(s) != 11 || !allDigits(s) {
		return false
	}
	tens, units := s[2]-'0', s[3]
	if tens%2 == 1 {
		return units <= '2'
	}
	return units != '0'
}

// cutNIP splits the "NIP-" that starts InternalId, NipVatUe and KSeF
// numbers, returning the NIP (the patterns' first group) and what follows.
func cutNIP(s string) (nip, rest string, ok bool) {
	if len(s) < 11 || s[10] != '-' || !matchNIP(s[:10]) {
		return "", "", false
	}
	return s[:10], s[11:], true
}

// matchInternalID is ^([1-9]((\d[1-9])|([1-9]\d))\d{7})-\d{5}$ and returns
// the NIP part.
func matchInternalID(s string) (nip string, ok bool) {
	nip, rest, ok := cutNIP(s)
	if !ok || len(rest) != 5 || !allDigits(rest) {
		return "", false
	}
	return nip, true
}

// vatUeShapes is the EU VAT number of a NipVatUe identifier by its country
// prefix, transcribed from the OpenAPI pattern; a country may allow several
// shapes. In a shape d is a digit, a an upper-case letter, x a digit or an
// upper-case letter, p the same or '+' or '*', b is 0 or 1; a count or a
// range may follow ("d8", "d9-10"). Upper-case letters stand for themselves.
// Each entry is the country prefix followed by one shape. A flat array, not
// a map: Go initializes a map literal with code at start-up (~9 KB of the
// wasm module), an array of strings is static data.
var vatUeShapes = [...]string{
	"ATUd8", "BEbd9", "BGd9-10", "CYd8a", "CZd8-10", "DEd9", "DKd8", "EEd9",
	"ELd9", "ESad8", "ESd8a", "ESad7a", "FId8", "FRx2d9", "HRd11", "HUd8",
	"IEd7a2", "IEdpd5a", "ITd11", "LTd9", "LTd12", "LUd8", "LVd11", "MTd8",
	"NLp12", "PTd9", "ROd2-10", "SEd12", "SId8", "SKd10", "XId9", "XId12",
	"XIGDd3", "XIHAd3",
}

// matchNipVatUe is the OpenAPI NipVatUe pattern, ^(NIP)-(country shapes)$,
// and returns the NIP part.
func matchNipVatUe(s string) (nip string, ok bool) {
	nip, vat, ok := cutNIP(s)
	if !ok || len(vat) < 2 {
		return "", false
	}
	for _, entry := range vatUeShapes {
		if entry[:2] == vat[:2] && matchShape(entry[2:], vat[2:]) {
			return nip, true
		}
	}
	return "", false
}

// matchShape reports whether all of s has the shape (see vatUeShapes).
func matchShape(shape, s string) bool {
	if shape == "" {
		return s == ""
	}
	class, lo, hi, rest := shapeToken(shape)
	// Try every count the token allows: a range need not be last.
	for n := 0; n <= hi; n++ {
		if n >= lo && matchShape(rest, s[n:]) {
			return true
		}
		if n == len(s) || !inClass(class, s[n]) {
			return false
		}
	}
	return false
}

// shapeToken splits the first class letter and its count off a shape.
func shapeToken(shape string) (class byte, lo, hi int, rest string) {
	class, rest = shape[0], shape[1:]
	count := func() int {
		n := 0
		for len(rest) > 0 && isDigit(rest[0]) {
			n = n*10 + int(rest[0]-'0')
			rest = rest[1:]
		}
		return n
	}
	lo, hi = 1, 1
	if len(rest) > 0 && isDigit(rest[0]) {
		lo = count()
		hi = lo
		if len(rest) > 0 && rest[0] == '-' {
			rest = rest[1:]
			hi = count()
		}
	}
	return class, lo, hi, rest
}

func inClass(class, c byte) bool {
	switch class {
	case 'd':
		return isDigit(c)
	case 'a':
		return isUpper(c)
	case 'x':
		return isDigit(c) || isUpper(c)
	case 'p':
		return isDigit(c) || isUpper(c) || c == '+' || c == '*'
	case 'b':
		return c == '0' || c == '1'
	default:
		return c == class
	}
}

// matchPeppolID is ^P[A-Z]{2}[0-9]{6}$.
func matchPeppolID(s string) bool {
	return len(s) == 9 && s[0] == 'P' && isUpper(s[1]) && isUpper(s[2]) && allDigits(s[3:])
}

// matchKSeFNumber is the OpenAPI KSeF number pattern,
// NIP-YYYYMMDD-XXXXXX[-]XXXXXX-XX with a year from 2020 to 9999, a month
// 01–12, a day 01–31 (not checked against the month) and upper-case hex
// digits; it returns the NIP part.
func matchKSeFNumber(s string) (nip string, ok bool) {
	nip, rest, ok := cutNIP(s)
	if !ok || (len(rest) != 24 && len(rest) != 25) || rest[8] != '-' {
		return "", false
	}
	date, serial, crc := rest[:8], rest[9:len(rest)-3], rest[len(rest)-3:]
	year, month, day := date[:4], date[4:6], date[6:]
	// On equal-length digit strings, string order is numeric order.
	if !allDigits(date) || year < "2020" || month < "01" || month > "12" || day < "01" || day > "31" {
		return "", false
	}
	if (len(serial) == 13 && serial[6] != '-') || !upperHex(serial[:6]) || !upperHex(serial[len(serial)-6:]) {
		return "", false
	}
	if crc[0] != '-' || !upperHex(crc[1:]) {
		return "", false
	}
	return nip, true
}

func upperHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isUpperHex(s[i]) {
			return false
		}
	}
	return true
}

var nipWeights = [9]int{6, 5, 7, 2, 3, 4, 5, 6, 7}

// nipCheckDigit returns the check digit of the first nine digits, or -1 when
// the weighted sum gives 10, which no valid NIP can have.
func nipCheckDigit(first9 string) int {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(first9[i]-'0') * nipWeights[i]
	}
	if sum%11 == 10 {
		return -1
	}
	return sum % 11
}

// ValidateNIP checks the format (the OpenAPI pattern) and the checksum of a
// Polish tax identification number.
func ValidateNIP(nip string) error {
	if len(nip) != 10 {
		return invalid("NIP", nip, "must have exactly 10 digits")
	}
	if !matchNIP(nip) {
		return invalid("NIP", nip, "does not match the KSeF NIP pattern (10 digits, first not 0)")
	}
	if c := nipCheckDigit(nip[:9]); c < 0 || int(nip[9]-'0') != c {
		return invalid("NIP", nip, "checksum does not match")
	}
	return nil
}

var peselWeights = [10]int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3}

// ValidatePESEL checks the format, the encoded birth month and the checksum of
// a PESEL number.
func ValidatePESEL(pesel string) error {
	if len(pesel) != 11 {
		return invalid("PESEL", pesel, "must have exactly 11 digits")
	}
	if !matchPESEL(pesel) {
		return invalid("PESEL", pesel, "does not match the PESEL pattern (digits with a valid month field)")
	}
	sum := 0
	for i := 0; i < 10; i++ {
		sum += int(pesel[i]-'0') * peselWeights[i]
	}
	if (10-sum%10)%10 != int(pesel[10]-'0') {
		return invalid("PESEL", pesel, "checksum does not match")
	}
	return nil
}

// ValidateInternalID checks a "NIP-nnnnn" internal identifier; the NIP part
// must itself be valid.
func ValidateInternalID(id string) error {
	nip, ok := matchInternalID(id)
	if !ok {
		return invalid("InternalId", id, "must be a NIP, a dash and 5 digits (16 characters)")
	}
	if err := ValidateNIP(nip); err != nil {
		return invalid("InternalId", id, "NIP part: "+err.(*Error).Reason)
	}
	return nil
}

// ValidateNipVatUe checks a composite "NIP-<EU VAT number>" identifier.
func ValidateNipVatUe(id string) error {
	nip, ok := matchNipVatUe(id)
	if !ok {
		return invalid("NipVatUe", id, "must be a Polish NIP, a dash and an EU VAT number with its country prefix (e.g. 5265877635-DE123456789)")
	}
	if err := ValidateNIP(nip); err != nil {
		return invalid("NipVatUe", id, "NIP part: "+err.(*Error).Reason)
	}
	return nil
}

// ValidatePeppolID checks a Peppol service provider id ("P" + 2 letters + 6 digits).
func ValidatePeppolID(id string) error {
	if !matchPeppolID(id) {
		return invalid("PeppolId", id, "must be P, two upper-case letters and six digits (e.g. PPL123456)")
	}
	return nil
}

// KSeFNumberChecksum computes the CRC-8 (polynomial 0x07, init 0, no
// reflection, no final XOR) over the first 32 characters of a KSeF number.
func KSeFNumberChecksum(first32 string) string {
	var crc byte
	for i := 0; i < len(first32); i++ {
		crc ^= first32[i]
		for b := 0; b < 8; b++ {
			if crc&0x80 != 0 {
				crc = crc<<1 ^ 0x07
			} else {
				crc <<= 1
			}
		}
	}
	return fmt.Sprintf("%02X", crc)
}

// ValidateKSeFNumber checks the format of a KSeF invoice number and, for the
// 35-character KSeF 2.0 form, its CRC-8 checksum.
func ValidateKSeFNumber(n string) error {
	nip, ok := matchKSeFNumber(n)
	if !ok {
		return invalid("KSeF number", n, "does not match NIP-YYYYMMDD-XXXXXXXXXXXX-CC")
	}
	if err := ValidateNIP(nip); err != nil {
		return invalid("KSeF number", n, "seller NIP: "+err.(*Error).Reason)
	}
	if len(n) == 35 && KSeFNumberChecksum(n[:32]) != n[33:] {
		return invalid("KSeF number", n, "checksum does not match")
	}
	return nil
}

// RandomNIP returns a random checksum-valid NIP. The TEST environment shares
// data between all integrators, so tests should never reuse fixed NIPs.
func RandomNIP() string {
	for {
		b := make([]byte, 10)
		for i := 0; i < 9; i++ {
			n, _ := rand.Int(rand.Reader, big.NewInt(10))
			b[i] = byte('0' + n.Int64())
		}
		c := nipCheckDigit(string(b[:9]))
		if c < 0 {
			continue
		}
		b[9] = byte('0' + c)
		if matchNIP(string(b)) {
			return string(b)
		}
	}
}

// RandomPESEL returns a random checksum-valid PESEL of a person born in the 1980s.
func RandomPESEL() string {
	d := func(n int64) int64 { v, _ := rand.Int(rand.Reader, big.NewInt(n)); return v.Int64() }
	s := fmt.Sprintf("8%d%02d%02d%04d", d(10), 1+d(12), 1+d(28), d(10000))
	sum := 0
	for i := 0; i < 10; i++ {
		sum += int(s[i]-'0') * peselWeights[i]
	}
	return s + fmt.Sprint((10-sum%10)%10)
}
