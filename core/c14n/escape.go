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
	start, wide := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		var esc string
		switch {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '\r':
			esc = "&#xD;"
		case c >= 0x80:
			wide = true
			continue
		case c < 0x20 && c != '\t' && c != '\n':
			return b, errBadChar
		default:
			continue
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

// appendAttrValue writes an attribute (or namespace declaration) value
// escaped as C14N §2.3 requires: & < " and the whitespace characters #x9
// #xA #xD as references, since a parser would normalize them literally.
func appendAttrValue(b []byte, s string) ([]byte, error) {
	start, wide := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		var esc string
		switch {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '"':
			esc = "&quot;"
		case c == '\t':
			esc = "&#x9;"
		case c == '\n':
			esc = "&#xA;"
		case c == '\r':
			esc = "&#xD;"
		case c >= 0x80:
			wide = true
			continue
		case c < 0x20:
			return b, errBadChar
		default:
			continue
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
