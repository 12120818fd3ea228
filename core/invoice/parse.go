package invoice

import (
	"bytes"
	"fmt"
	"strings"
)

// problem is one reason KSeF would reject a document.
type problem struct {
	field string
	msg   string
}

// problems collects every problem found, in document order per rule.
type problems []problem

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, problem{field, fmt.Sprintf(format, args...)})
}

// parsed is a document read once: its XML-level problems and the values
// of the fields the rules look at.
type parsed struct {
	values
	form       *form // the document's form (by root namespace and name); nil: unknown
	rootNS     string
	root       string
	wellFormed bool
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// read runs the byte-level and XML-level rules and collects the values. The
// document is read exactly once; nothing is re-serialised.
func read(doc []byte, probs *problems) *parsed {
	p := &parsed{}
	start := 0
	switch {
	case bytes.HasPrefix(doc, utf8BOM):
		probs.add("invoice.bom", "the document starts with a UTF-8 byte order mark (EF BB BF); KSeF requires UTF-8 without a BOM")
		start = len(utf8BOM)
	case bytes.HasPrefix(doc, []byte{0xFE, 0xFF}), bytes.HasPrefix(doc, []byte{0xFF, 0xFE}):
		probs.add("invoice.encoding", "the document starts with a UTF-16 byte order mark; KSeF requires UTF-8")
		return p
	}
	bad, chars, total := scanChars(doc[start:])
	if bad >= 0 {
		probs.add("invoice.encoding", "the document is not UTF-8: invalid byte sequence at byte %d", start+bad)
		return p
	}
	addChars(probs, chars, total, start)

	r := &reader{sink: &p.values}
	s, err := scan(doc, start, r)
	decl := s.decl
	if decl.encoding != nil && !strings.EqualFold(string(decl.encoding), "UTF-8") {
		probs.add("invoice.encoding", "the XML declaration names the encoding %q; KSeF requires UTF-8 (or no encoding declaration)", decl.encoding)
	}
	if decl.version != nil && string(decl.version) != "1.0" {
		probs.add("invoice.xml", "the XML declaration says version %q; KSeF accepts XML 1.0 documents", decl.version)
	}
	for i, off := range r.pis {
		if i == maxCharProblems {
			probs.add("invoice.processingInstruction", "… and %d more processing instructions", len(r.pis)-i)
			break
		}
		line, col := position(doc, off)
		probs.add("invoice.processingInstruction", "a processing instruction at line %d, column %d; KSeF rejects documents with processing instructions", line, col)
	}
	addChars(probs, s.refChars, s.refCharsTotal, 0)
	if err != nil {
		line, col := position(doc, err.off)
		field := "invoice.xml"
		if err.kind == errDoctype {
			field = "invoice.doctype"
		}
		probs.add(field, "line %d, column %d: %s", line, col, err.msg)
		return p
	}
	p.wellFormed = true
	p.form, p.rootNS, p.root = r.form, r.rootNS, r.root
	return p
}

func addChars(probs *problems, chars []charProblem, total, base int) {
	for _, c := range chars {
		c.off += base
		probs.add("invoice.characters", "%s", c)
	}
	if total > len(chars) {
		probs.add("invoice.characters", "… and %d more such code points", total-len(chars))
	}
}

// position is the 1-based line and column (in bytes) of offset off.
func position(doc []byte, off int) (line, col int) {
	if off > len(doc) {
		off = len(doc)
	}
	before := doc[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = off - bytes.LastIndexByte(before, '\n')
	return line, col
}
