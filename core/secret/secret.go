// Package secret holds values that must never be printed: KSeF tokens,
// access and refresh tokens, private-key passwords, AES session keys.
//
// A String or Bytes redacts itself in every way Go prints or serialises a
// value — fmt's verbs (%v, %+v, %#v, %s, %q, %x …, through Format),
// String, GoString, slog (LogValue) and encoding/json (MarshalJSON) — on
// value and pointer receivers alike. Only Reveal yields the raw value; call
// it where the secret is used (a request body, an exported state the caller
// asked for), never to log.
//
// The value sits behind a pointer on purpose: in an unexported struct
// field fmt cannot call methods and prints the field's raw contents; a
// pointer prints as an address, not as the secret.
package secret

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
)

// Redacted is what every printed form of a non-empty secret shows.
const Redacted = "[redacted]"

// String is a secret text. The zero value is the empty secret.
type String struct{ p *string }

// NewString wraps s.
func NewString(s string) String { return String{p: &s} }

// Reveal returns the secret itself.
func (s String) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s.p == nil || *s.p == "" }

// Equal compares two secrets in constant time.
func (s String) Equal(o String) bool {
	return subtle.ConstantTimeCompare([]byte(s.Reveal()), []byte(o.Reveal())) == 1
}

func (s String) String() string             { return show(s.IsZero()) }
func (s String) GoString() string           { return "secret.String(" + show(s.IsZero()) + ")" }
func (s String) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(show(s.IsZero()))) }
func (s String) LogValue() slog.Value       { return slog.StringValue(show(s.IsZero())) }

// MarshalJSON writes the redaction marker, never the value: a secret that
// must travel as JSON (an exported state) is copied into a plain field with
// Reveal by code that means to do it.
func (s String) MarshalJSON() ([]byte, error) { return []byte(`"` + show(s.IsZero()) + `"`), nil }

// UnmarshalJSON reads a JSON string: secrets arrive as operation inputs
// (a token, a password) and only leave through Reveal. Anything else is an
// *json.UnmarshalTypeError that names the JSON kind it got, never the value
// (the decoder adds the field's name to it).
func (s *String) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return wrongKind(b, reflect.TypeFor[string]())
	}
	*s = NewString(v)
	return nil
}

// Bytes is a secret byte string (a key). The zero value is empty.
type Bytes struct{ p *[]byte }

// NewBytes wraps a copy of b.
func NewBytes(b []byte) Bytes {
	c := append([]byte(nil), b...)
	return Bytes{p: &c}
}

// Reveal returns the secret bytes; the caller must not modify them.
func (b Bytes) Reveal() []byte {
	if b.p == nil {
		return nil
	}
	return *b.p
}

// Len is the length of the secret (not itself secret).
func (b Bytes) Len() int { return len(b.Reveal()) }

// IsZero reports whether the secret is empty.
func (b Bytes) IsZero() bool { return b.Len() == 0 }

// Equal compares two secrets in constant time.
func (b Bytes) Equal(o Bytes) bool { return subtle.ConstantTimeCompare(b.Reveal(), o.Reveal()) == 1 }

// Wipe overwrites the bytes with zeros (best effort: copies made by the
// runtime or by Reveal's callers are not reached).
func (b Bytes) Wipe() {
	if b.p != nil {
		clear(*b.p)
	}
}

func (b Bytes) String() string               { return show(b.IsZero()) }
func (b Bytes) GoString() string             { return "secret.Bytes(" + show(b.IsZero()) + ")" }
func (b Bytes) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(show(b.IsZero()))) }
func (b Bytes) LogValue() slog.Value         { return slog.StringValue(show(b.IsZero())) }
func (b Bytes) MarshalJSON() ([]byte, error) { return []byte(`"` + show(b.IsZero()) + `"`), nil }

// UnmarshalJSON reads standard base64 in a JSON string, like []byte.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var v []byte
	if err := json.Unmarshal(data, &v); err != nil {
		return wrongKind(data, reflect.TypeFor[[]byte]())
	}
	*b = Bytes{p: &v}
	return nil
}

func wrongKind(b []byte, want reflect.Type) error {
	kind := "value"
	if len(b) > 0 {
		switch b[0] {
		case '"':
			kind = "string" // not base64
		case '{':
			kind = "object"
		case '[':
			kind = "array"
		case 't', 'f':
			kind = "bool"
		case 'n':
			kind = "null"
		default:
			kind = "number"
		}
	}
	return &json.UnmarshalTypeError{Value: kind, Type: want}
}

func show(empty bool) string {
	if empty {
		return ""
	}
	return Redacted
}
