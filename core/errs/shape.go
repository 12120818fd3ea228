package errs

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"
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

// JSONInput turns a failure to decode the caller's JSON (an operation
// input, a client configuration) into input.invalid naming the field,
// without the value: encoding/json would quote a number given for a
// string ("cannot unmarshal number 123456 into … password").
func JSONInput(err error, what string) *Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = what
		}
		got, _, _ := strings.Cut(te.Value, " ") // "number 1.5" → "number"
		return Invalid(field, "%s: %s must be %s, not a JSON %s", what, field, jsonKind(te.Type), got)
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		// time.Time's own message quotes the text it could not parse.
		return Invalid(what, "%s: a date-time (%s) is not RFC 3339", what, Shape(pe.Value))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// The message names one character at most ("invalid character 'x'").
		return Invalid(what, "%s is not valid JSON (at byte %d): %s", what, se.Offset, se.Error())
	}
	return Wrap(InputInvalid, err, "%s", what)
}

func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another kind"
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return "a base64 string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}
