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
	"regexp"
	"strings"
	"sync"

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

var (
	nipPattern        = lazyRegexp(`^[1-9]((\d[1-9])|([1-9]\d))\d{7}$`)
	peselPattern      = lazyRegexp(`^\d{2}(?:0[1-9]|1[0-2]|2[1-9]|3[0-2]|4[1-9]|5[0-2]|6[1-9]|7[0-2]|8[1-9]|9[0-2])\d{7}$`)
	internalIDPattern = lazyRegexp(`^([1-9]((\d[1-9])|([1-9]\d))\d{7})-\d{5}$`)
	// The EU VAT part, per country, as the OpenAPI NipVatUe pattern gives it.
	vatUePattern      = lazyRegexp(`^([1-9]((\d[1-9])|([1-9]\d))\d{7})-(ATU\d{8}|BE[01]{1}\d{9}|BG\d{9,10}|CY\d{8}[A-Z]|CZ\d{8,10}|DE\d{9}|DK\d{8}|EE\d{9}|EL\d{9}|ES([A-Z]\d{8}|\d{8}[A-Z]|[A-Z]\d{7}[A-Z])|FI\d{8}|FR[A-Z0-9]{2}\d{9}|HR\d{11}|HU\d{8}|IE(\d{7}[A-Z]{2}|\d[A-Z0-9+*]\d{5}[A-Z])|IT\d{11}|LT(\d{9}|\d{12})|LU\d{8}|LV\d{11}|MT\d{8}|NL[A-Z0-9+*]{12}|PT\d{9}|RO\d{2,10}|SE\d{12}|SI\d{8}|SK\d{10}|XI((\d{9}|\d{12})|(GD|HA)\d{3}))$`)
	peppolPattern     = lazyRegexp(`^P[A-Z]{2}[0-9]{6}$`)
	ksefNumberPattern = lazyRegexp(`^([1-9](\d[1-9]|[1-9]\d)\d{7})-(20[2-9][0-9]|2[1-9]\d{2}|[3-9]\d{3})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})$`)
)

// lazyRegexp compiles a pattern on first use. Compiling all of them at
// package init cost the wasm module ~30 ms of its start-up, paid even by
// hosts that never validate an identifier.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
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
	if !nipPattern().MatchString(nip) {
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
	if !peselPattern().MatchString(pesel) {
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
	m := internalIDPattern().FindStringSubmatch(id)
	if m == nil {
		return invalid("InternalId", id, "must be a NIP, a dash and 5 digits (16 characters)")
	}
	if err := ValidateNIP(m[1]); err != nil {
		return invalid("InternalId", id, "NIP part: "+err.(*Error).Reason)
	}
	return nil
}

// ValidateNipVatUe checks a composite "NIP-<EU VAT number>" identifier.
func ValidateNipVatUe(id string) error {
	m := vatUePattern().FindStringSubmatch(id)
	if m == nil {
		return invalid("NipVatUe", id, "must be a Polish NIP, a dash and an EU VAT number with its country prefix (e.g. 5265877635-DE123456789)")
	}
	if err := ValidateNIP(m[1]); err != nil {
		return invalid("NipVatUe", id, "NIP part: "+err.(*Error).Reason)
	}
	return nil
}

// ValidatePeppolID checks a Peppol service provider id ("P" + 2 letters + 6 digits).
func ValidatePeppolID(id string) error {
	if !peppolPattern().MatchString(id) {
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
	m := ksefNumberPattern().FindStringSubmatch(n)
	if m == nil {
		return invalid("KSeF number", n, "does not match NIP-YYYYMMDD-XXXXXXXXXXXX-CC")
	}
	if err := ValidateNIP(m[1]); err != nil {
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
		if nipPattern().MatchString(string(b)) {
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
