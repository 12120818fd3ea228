package errs

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The echo rule. A value the caller gave that failed validation is never
// quoted back in a message, neither whole nor in part: the message names
// the field and describes the value by its Shape — its length and the
// classes of characters in it ("160 characters: letters, digits,
// punctuation"). Values that passed validation (a NIP that checked out, a
// reference number KSeF issued) may be named.
//
// Why not a short prefix: the value that fails is exactly the one most
// likely to be something else than the field expects — a KSeF token pasted
// where the NIP goes, a password in the wrong argument, a PEM key where a
// path was meant. Any prefix of a password or key is a disclosure, and the
// shape already tells the caller what went wrong (a NIP has 10 digits; a
// 160-character string with punctuation is not one). Errors are logged,
// shown and sent to support; they must be safe to show without thought.

// Shape describes s without revealing it: its length in characters and the
// classes of characters it contains, e.g. "10 characters: digits" or
// "empty".
func Shape(s string) string {
	if s == "" {
		return "empty"
	}
	if !utf8.ValidString(s) {
		return strconv.Itoa(len(s)) + " bytes, not UTF-8"
	}
	// (Invalid UTF-8 never reaches an operation; this is for Go callers.)
	var digits, upper, lower, space, punct, control, other bool
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
			digits = true
		case 'A' <= r && r <= 'Z':
			upper = true
		case 'a' <= r && r <= 'z':
			lower = true
		case r == ' ':
			space = true
		case unicode.IsControl(r) || unicode.IsSpace(r):
			control = true
		case r < utf8.RuneSelf:
			punct = true
		default:
			other = true
		}
	}
	var classes []string
	for _, c := range []struct {
		on   bool
		name string
	}{
		{digits, "digits"}, {upper, "upper-case letters"}, {lower, "lower-case letters"}, {space, "spaces"},
		{punct, "punctuation"}, {control, "control characters or line breaks"}, {other, "non-ASCII characters"},
	} {
		if c.on {
			classes = append(classes, c.name)
		}
	}
	n := utf8.RuneCountInString(s)
	unit := " characters: "
	if n == 1 {
		unit = " character: "
	}
	return strconv.Itoa(n) + unit + strings.Join(classes, ", ")
}
