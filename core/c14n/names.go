package c14n

import "unicode/utf8"

// Reserved prefixes and the namespaces they are bound to (Namespaces in
// XML 1.0 §3).
const (
	xmlPrefix   = "xml"
	xmlnsPrefix = "xmlns"
	nsXML       = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS     = "http://www.w3.org/2000/xmlns/"
)

// isNCName is a cheap check that a name cannot break the markup it is
// written into: ASCII is held to the NCName productions, anything beyond
// ASCII only to being valid UTF-8. Parsed trees always pass; the check is
// for trees built in code.
func isNCName(s string) bool { return isName(s, false) }

func isName(s string, colons bool) bool {
	if s == "" {
		return false
	}
	wide := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			wide = true
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
		case i > 0 && ('0' <= c && c <= '9' || c == '-' || c == '.'):
		case colons && c == ':':
		default:
			return false
		}
	}
	return !wide || utf8.ValidString(s)
}

// checkPITarget accepts a processing-instruction target: a name (colons
// allowed, as XML 1.0 Name permits) and not the reserved "xml".
func checkPITarget(s string) bool {
	if len(s) == 3 && (s[0]|0x20) == 'x' && (s[1]|0x20) == 'm' && (s[2]|0x20) == 'l' {
		return false
	}
	return isName(s, true)
}
