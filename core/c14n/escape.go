package c14n

import (
	"errors"
	"strings"
	"unicode/utf8"
)

var errBadChar = errors.New("c14n: text contains a character XML does not allow")

// appendText writes character data (text or CDATA content) escaped as
// C14N §2.3 requires: & < > and #xD as references, nothing else. A #xD
// left in parsed text came from a character reference (the parser turned
// every literal line end into #xA), so it must stay visible.
func appendText(b []byte, s string) ([]byte, error) {
	return appendEscaped(b, s, &textEscapes)
}

// appendAttrValue writes an attribute (or namespace declaration) value
// escaped as C14N §2.3 requires: & < " and the whitespace characters #x9
// #xA #xD as references, since a parser would normalize them literally.
func appendAttrValue(b []byte, s string) ([]byte, error) {
	return appendEscaped(b, s, &attrEscapes)
}

// escapeTable gives each ASCII byte its replacement: "" copies the byte,
// badChar rejects it (control characters XML does not allow).
type escapeTable [0x80]string

const badChar = "\x00"

var (
	textEscapes = newEscapeTable("&&amp;", "<&lt;", ">&gt;", "\r&#xD;", "\t", "\n")
	attrEscapes = newEscapeTable("&&amp;", "<&lt;", "\"&quot;", "\t&#x9;", "\n&#xA;", "\r&#xD;")
)

// newEscapeTable marks every control character bad unless an entry (the
// byte, then its replacement; none: copied as is) says otherwise.
func newEscapeTable(entries ...string) (t escapeTable) {
	for c := range byte(0x20) {
		t[c] = badChar
	}
	for _, e := range entries {
		t[e[0]] = e[1:]
	}
	return t
}

func appendEscaped(b []byte, s string, table *escapeTable) ([]byte, error) {
	start, wide := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			wide = true
			continue
		}
		esc := table[c]
		if esc == "" {
			continue
		}
		if esc == badChar {
			return b, errBadChar
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	if wide && !validWide(s) {
		return b, errBadChar
	}
	return append(b, s[start:]...), nil
}

// appendRaw writes comment or processing-instruction content, which has no
// escapes. encoding/xml hands these over without the line-end normalization
// XML 1.0 §2.11 applies to the whole entity before parsing (it does it for
// text and attribute values only), so CR LF and lone CR become LF here.
func appendRaw(b []byte, s string) ([]byte, error) {
	start, wide := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\r':
			b = append(b, s[start:i]...)
			b = append(b, '\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			start = i + 1
		case c >= 0x80:
			wide = true
		case c < 0x20 && c != '\t' && c != '\n':
			return b, errBadChar
		}
	}
	if wide && !validWide(s) {
		return b, errBadChar
	}
	return append(b, s[start:]...), nil
}

// validWide checks the non-ASCII part of s: well-formed UTF-8 (which rules
// out surrogates) and none of the two non-characters XML excludes.
func validWide(s string) bool {
	return utf8.ValidString(s) && !strings.Contains(s, "\uFFFE") && !strings.Contains(s, "\uFFFF")
}
