package invoice

import "unicode/utf8"

// XML 1.0 (fifth edition) names:
//
//	NameStartChar ::= ":" | [A-Z] | "_" | [a-z] | [#xC0-#xD6] | [#xD8-#xF6] |
//	    [#xF8-#x2FF] | [#x370-#x37D] | [#x37F-#x1FFF] | [#x200C-#x200D] |
//	    [#x2070-#x218F] | [#x2C00-#x2FEF] | [#x3001-#xD7FF] | [#xF900-#xFDCF] |
//	    [#xFDF0-#xFFFD] | [#x10000-#xEFFFF]
//	NameChar ::= NameStartChar | "-" | "." | [0-9] | #xB7 | [#x0300-#x036F] | [#x203F-#x2040]
//
// Written as comparisons rather than with package unicode's tables, which
// would cost the wasm module more than this whole package.

func isNameStartRune(r rune) bool {
	switch {
	case r < 0x80:
		return r == ':' || r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
	case r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF:
		return true
	case r >= 0x370 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF, r >= 0x200C && r <= 0x200D:
		return true
	case r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF, r >= 0x3001 && r <= 0xD7FF:
		return true
	case r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return true
	}
	return false
}

func isNameRune(r rune) bool {
	switch {
	case isNameStartRune(r):
		return true
	case r < 0x80:
		return r == '-' || r == '.' || r >= '0' && r <= '9'
	}
	return r == 0xB7 || r >= 0x300 && r <= 0x36F || r >= 0x203F && r <= 0x2040
}

// asciiName classifies ASCII bytes: 1 may start a name, 2 may continue one.
var asciiName = func() (t [128]uint8) {
	for c := 0; c < 128; c++ {
		if isNameStartRune(rune(c)) {
			t[c] = 1
		} else if isNameRune(rune(c)) {
			t[c] = 2
		}
	}
	return t
}()

// nameLen is the length in bytes of the Name at the start of b (0: none).
func nameLen(b []byte) int {
	i := 0
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			k := asciiName[c]
			if k == 0 || (i == 0 && k != 1) {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		if i == 0 && !isNameStartRune(r) || i > 0 && !isNameRune(r) {
			break
		}
		i += n
	}
	return i
}

// isName reports whether all of b is one Name.
func isName(b []byte) bool { return len(b) > 0 && nameLen(b) == len(b) }
