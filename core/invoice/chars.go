package invoice

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// charProblem is one code point KSeF rejects, at a byte offset.
type charProblem struct {
	off  int
	r    rune
	kind charKind
}

type charKind uint8

const (
	charNotXML      charKind = iota + 1 // outside XML 1.0's Char production
	charDiscouraged                     // in the XML 1.0 §2.2 list KSeF rejects
)

func (p charProblem) String() string {
	if p.kind == charNotXML {
		return fmt.Sprintf("U+%04X at byte %d is not a character XML 1.0 allows", p.r, p.off)
	}
	return fmt.Sprintf("U+%04X at byte %d is a code point the XML 1.0 specification discourages (§2.2), which KSeF rejects", p.r, p.off)
}

// isXMLChar is XML 1.0's Char: #x9 | #xA | #xD | [#x20-#xD7FF] |
// [#xE000-#xFFFD] | [#x10000-#x10FFFF].
func isXMLChar(r rune) bool {
	switch {
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	default:
		return r >= 0x10000 && r <= 0x10FFFF
	}
}

// isDiscouraged is the list of the note in XML 1.0 §2.2 that KSeF enforces
// ("faktury/weryfikacja-faktury.md"): [#x7F-#x84], [#x86-#x9F],
// [#xFDD0-#xFDEF] and the last two code points of planes 1 to 16
// (#x1FFFE-#x1FFFF … #x10FFFE-#x10FFFF). The BMP's #xFFFE and #xFFFF are not
// in the list because they are not XML characters at all.
func isDiscouraged(r rune) bool {
	switch {
	case r >= 0x7F && r <= 0x84, r >= 0x86 && r <= 0x9F:
		return true
	case r >= 0xFDD0 && r <= 0xFDEF:
		return true
	default:
		return r >= 0x10000 && r&0xFFFE == 0xFFFE
	}
}

// plainASCII reports whether the eight bytes of x are all printable ASCII
// or tab, LF, CR — the common case, tested a word at a time: no byte ≥
// 0x80, none equal to 0x7F, and the bytes below 0x20 (found with the
// borrow trick, which may also flag bytes above a true one; those are
// filtered by looking) are whitespace.
func plainASCII(x uint64) bool {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	if x&msb != 0 {
		return false
	}
	if d := x ^ 0x7F*lsb; (d-lsb)&^d&msb != 0 {
		return false
	}
	for m := (x - 0x20*lsb) &^ x & msb; m != 0; m &= m - 1 {
		c := byte(x >> (bits.TrailingZeros64(m) &^ 7))
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// maxCharProblems caps how many code points are reported one by one; a
// document full of them needs fixing once, not a thousand-line error.
const maxCharProblems = 5

// scanChars checks that doc is UTF-8 and holds only characters KSeF
// accepts. It returns the first offset of invalid UTF-8 (or -1), up to
// maxCharProblems problems, and the total number of problem code points.
// One pass; ASCII text, nearly all of an invoice, costs a compare per byte.
func scanChars(doc []byte) (badUTF8 int, probs []charProblem, total int) {
	badUTF8 = -1
	for i := 0; i < len(doc); {
		if i+8 <= len(doc) && plainASCII(binary.LittleEndian.Uint64(doc[i:])) {
			i += 8
			continue
		}
		c := doc[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c < 0x7F || c == '\n' || c == '\t' || c == '\r' {
				i++
				continue
			}
			kind := charNotXML
			if c == 0x7F {
				kind = charDiscouraged
			}
			total++
			if len(probs) < maxCharProblems {
				probs = append(probs, charProblem{i, rune(c), kind})
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(doc[i:])
		if r == utf8.RuneError && n == 1 {
			return i, probs, total
		}
		var kind charKind
		if !isXMLChar(r) {
			kind = charNotXML
		} else if isDiscouraged(r) {
			kind = charDiscouraged
		}
		if kind != 0 {
			total++
			if len(probs) < maxCharProblems {
				probs = append(probs, charProblem{i, r, kind})
			}
		}
		i += n
	}
	return badUTF8, probs, total
}
