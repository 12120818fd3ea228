package invoice

import (
	"errors"
	"strings"
)

// cents is an amount in hundredths, summed exactly (float64 sums of
// decimal amounts drift: 0.1 + 0.2 ≠ 0.3).
type cents int64

func (c cents) float() float64 { return float64(c) / 100 }

// maxIntegerDigits bounds amounts: FA's TKwotowy allows 16 integer digits
// (totalDigits 18, fractionDigits 2), which int64 cents hold with room for
// sums.
const maxIntegerDigits = 16

var errAmount = errors.New("not a decimal amount (digits, an optional sign and decimal point)")

// parseCents reads an xsd:decimal (after whitespace collapse). More than
// two decimals (possible in UBL) are rounded half away from zero.
func parseCents(s string) (cents, error) {
	s = strings.Trim(s, xmlSpace)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(whole) > maxIntegerDigits || !digits(whole) || !digits(frac) {
		return 0, errAmount
	}
	var v int64
	for i := 0; i < len(whole); i++ {
		v = v*10 + int64(whole[i]-'0')
	}
	for i := 0; i < 2; i++ {
		v *= 10
		if i < len(frac) {
			v += int64(frac[i] - '0')
		}
	}
	if len(frac) > 2 && frac[2] >= '5' {
		v++
	}
	if neg {
		v = -v
	}
	return cents(v), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
